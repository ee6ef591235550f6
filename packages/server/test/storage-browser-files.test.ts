// The storage browser's files: served from `uiDir` at /, /index.html and /assets/<name> with the
// page's own strict CSP and nosniff, without a token (the API under /v2 still needs one), and
// never a file outside the folder. Real files in a temp dir, a real server on loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'browser-files-token';
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-4f2a9c.js"></script></head><body></body></html>';
const SCRIPT = 'console.log("storage browser");';
const root = mkdtempSync(join(tmpdir(), 'x-server-ui-'));
const uiDir = join(root, 'ui');
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(join(uiDir, 'assets'), { recursive: true });
  writeFileSync(join(uiDir, 'index.html'), INDEX);
  writeFileSync(join(uiDir, 'assets', 'app-4f2a9c.js'), SCRIPT);
  writeFileSync(join(uiDir, 'assets', 'app-4f2a9c.css'), 'body{margin:0}');
  // Files a path traversal would reach: beside the assets, and beside the folder.
  writeFileSync(join(uiDir, 'secret.json'), '{"marker":"ui-secret"}');
  writeFileSync(join(root, 'secret.json'), '{"marker":"root-secret"}');
  server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN, uiDir });
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** A request with the path exactly as given (fetch would resolve dot segments). */
function raw(target: RunningServer, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the storage browser files', () => {
  it('the page and its assets need no token, with a strict CSP of their own, nosniff and cache rules', async () => {
    for (const path of ['/', '/index.html']) {
      const page = await fetch(`${server.url}${path}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(INDEX);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const csp = page.headers.get('content-security-policy') ?? '';
      for (const rule of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(rule);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('sandbox'); // the page runs its own script
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const script = await fetch(`${server.url}/assets/app-4f2a9c.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toBe(SCRIPT);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${server.url}/assets/app-4f2a9c.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // HEAD: the headers, the length, no body.
    const head = await raw(server, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(INDEX)));
    expect(head.body).toBe('');
  });

  it('the API under /v2 still needs the token', async () => {
    const anonymous = await fetch(`${server.url}/v2/datasets`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('token-not-valid');
    expect((await fetch(`${server.url}/v2/datasets`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('refuses every path that would leave the folder or name another file', async () => {
    const paths = [
      '/assets/..%2f..%2fpackage.json',
      '/assets/..%2fsecret.json',
      '/assets/..%2F..%2Fsecret.json',
      '/assets/../secret.json',
      '/assets/../x',
      '/assets/%2e%2e/secret.json',
      '/assets/%2e%2e%2fsecret.json',
      '/assets/..%5csecret.json',
      '/assets/.%2e/.%2e/secret.json',
      '/../secret.json',
      '/..%2fsecret.json',
      '/secret.json',
      '/index.html/../secret.json',
      '/assets/',
      '/assets/app-4f2a9c.js%00.html',
      '/assets/nested/app-4f2a9c.js',
    ];
    for (const path of paths) {
      const answer = await raw(server, 'GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: expect.toSatisfy((s: number) => s === 400 || s === 404) });
      expect(answer.body).not.toContain('secret');
      expect(answer.body).not.toContain('"name"');
      expect(JSON.parse(answer.body).error.type).toMatch(/^(invalid-input|page-not-found)$/);
    }
    // Other methods on the page are no route.
    expect((await raw(server, 'POST', '/')).status).toBe(404);
    expect((await raw(server, 'DELETE', '/index.html')).status).toBe(404);
  });

  it('when the page is not built, / says so (404) and the API works on', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'x-server-no-ui-'));
    const bare = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN, uiDir: empty });
    try {
      const page = await fetch(`${bare.url}/`);
      expect(page.status).toBe(404);
      expect(await page.json()).toEqual({
        error: { type: 'page-not-found', message: 'The storage browser is not built here (run the package build); the API is under /v2' },
      });
      expect((await fetch(`${bare.url}/index.html`)).status).toBe(404);
      expect((await fetch(`${bare.url}/assets/app-4f2a9c.js`)).status).toBe(404);
      expect((await fetch(`${bare.url}/v2/datasets?token=${TOKEN}`)).status).toBe(200);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('without a token the page is for this machine only, as the API', async () => {
    const local = await startServer({ storageClient: new MemoryStorageClient(), uiDir });
    try {
      expect((await fetch(`${local.url}/`)).status).toBe(200);
      const foreign = await raw(local, 'GET', '/', { host: 'evil.example' });
      expect(foreign.status).toBe(403);
      expect(foreign.body).not.toContain('<html');
    } finally {
      await local.close();
    }
  });
});
