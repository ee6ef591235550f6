import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extname, join } from 'node:path';

/**
 * The storage browser's files (the default folder): built by Vite from `ui/` into `dist/ui` at the package's build.
 * `src/` and `dist/` are both one level below the package root, so one relative path serves both.
 */
export const UI_DIR = fileURLToPath(new URL('../dist/ui/', import.meta.url));

/**
 * Headers of every file of the storage browser: scripts, styles and images from the server only,
 * no inline script, no framing, no sniffing, no referrer (the page's URL carries the token in its
 * fragment, which browsers never send, but the rule costs nothing).
 */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** One file of the storage browser, ready to send. */
export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** `index.html` is never cached (it names the hashed assets); hashed assets are immutable. */
  readonly cacheControl: string;
}

/** File names Vite writes into `assets/`: letters, digits, `-`, `_` and dots, never `..`. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/**
 * The file of the storage browser at a URL path (`/`, `/index.html` or `/assets/<name>`), or
 * `undefined` for any other path or a file that is not there. Never leaves `uiDir` (default
 * {@link UI_DIR}).
 */
export async function readUiAsset(pathname: string, uiDir: string = UI_DIR): Promise<UiAsset | undefined> {
  let relative: string;
  if (pathname === '/' || pathname === '/index.html') relative = 'index.html';
  else if (pathname.startsWith('/assets/')) {
    const name = pathname.slice('/assets/'.length);
    if (!ASSET_NAME.test(name) || name.includes('..')) return undefined;
    relative = join('assets', name);
  } else return undefined;
  const contentType = CONTENT_TYPES[extname(relative)];
  if (contentType === undefined) return undefined;
  try {
    const body = await readFile(join(uiDir, relative));
    const cacheControl = relative === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
    return { body, contentType, cacheControl };
  } catch {
    return undefined;
  }
}
