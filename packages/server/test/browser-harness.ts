// What the browser tests of the storage browser share: Chromium (Debian's, at /usr/bin/chromium,
// driven by playwright-core), a real server over a real storage client, and a page that records
// every URL it asks for, every dialog it opens and every error it throws.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The built page (the package's build writes it). */
const UI_INDEX = fileURLToPath(new URL('../dist/ui/index.html', import.meta.url));

/** Screenshots of every view, to be looked at (the folder is gitignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('./screenshots/', import.meta.url));

/**
 * Why the browser tests cannot run here, or `undefined` when they run. Without Chromium they are
 * skipped, unless `CI` is set: then they run and fail.
 */
export const browserSkipReason: string | undefined =
  existsSync(CHROMIUM) || process.env['CI'] ? undefined : `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium; with CI set they fail instead)`;

/** Launches headless Chromium; fails with a clear message when the page is not built. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(UI_INDEX)) throw new Error(`The storage browser is not built (${UI_INDEX} is missing): run npx -y pnpm@10 --filter @x/server build`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page and what it did. */
export interface WatchedPage {
  readonly page: Page;
  /** Every URL the page requested (documents, scripts, API calls, images, blob: URLs). */
  readonly requests: string[];
  /** The messages of dialogs (alert, confirm, prompt) it opened; each is dismissed. */
  readonly dialogs: string[];
  /** Uncaught errors and console errors. */
  readonly errors: string[];
}

/** A new page in a fresh context (its own sessionStorage), watched. */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const watched: WatchedPage = { page, requests: [], dialogs: [], errors: [] };
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  return watched;
}

/** Saves a full-page screenshot as `<name>.png` in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true });
}

/** Calls the server's API with the token; throws on an answer that is not 2xx. */
export async function api(baseUrl: string, token: string | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${baseUrl}/v2${path}`, { ...init, headers });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** Creates a storage by name through the API and gives its id. */
export async function createStorage(baseUrl: string, token: string | undefined, collection: string, name: string): Promise<string> {
  const response = await api(baseUrl, token, `/${collection}?name=${encodeURIComponent(name)}`, { method: 'POST' });
  return ((await response.json()) as { data: { id: string } }).data.id;
}

/** Pushes items into a dataset through the API (in batches). */
export async function pushItems(baseUrl: string, token: string | undefined, datasetId: string, items: readonly unknown[]): Promise<void> {
  for (let at = 0; at < items.length; at += 5000) {
    await api(baseUrl, token, `/datasets/${datasetId}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(items.slice(at, at + 5000)),
    });
  }
}

/** Stores a record through the API. */
export async function putRecord(baseUrl: string, token: string | undefined, storeId: string, key: string, body: string | Uint8Array, contentType: string): Promise<void> {
  await api(baseUrl, token, `/key-value-stores/${storeId}/records/${encodeURIComponent(key)}`, { method: 'PUT', headers: { 'content-type': contentType }, body });
}

/** Adds requests to a queue through the API (in batches of 25). */
export async function addRequests(baseUrl: string, token: string | undefined, queueId: string, requests: readonly Record<string, unknown>[]): Promise<void> {
  for (let at = 0; at < requests.length; at += 25) {
    await api(baseUrl, token, `/request-queues/${queueId}/requests/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requests.slice(at, at + 25)),
    });
  }
}

/** A PNG of `width` × `height` pixels with a colour gradient, made here (zlib and CRC-32 from Node). */
export function makePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = Math.round((255 * x) / width);
      row[2 + x * 3] = Math.round((255 * y) / height);
      row[3 + x * 3] = 200;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Waits until `expression`, evaluated in the page, is truthy. Playwright's `waitForFunction` polls
 * with `eval` inside the page, which the page's CSP (rightly) refuses; this asks from outside.
 */
export async function waitUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate<unknown>(expression)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
