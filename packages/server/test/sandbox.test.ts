// Every answer under /v2 carries `Content-Security-Policy: sandbox; default-src 'none';
// frame-ancestors 'none'` and nosniff, so that a stored HTML record or an HTML export opened in
// the server's origin (where the storage browser keeps its token in sessionStorage) runs no
// script, loads nothing and cannot be framed. Checked on the headers of every kind of answer, and
// in a real Chromium (skipped, with one line, when there is none and CI is unset).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRecordSignature } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, startServer, type RunningServer } from '../src/index.js';

const CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";
const TOKEN = 'sandbox-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const CHROMIUM = '/usr/bin/chromium';
let server: RunningServer;
let secret: string;

beforeAll(async () => {
  server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN, maxBodyBytes: 64 * 1024 });
  const store = (await (await fetch(`${server.url}/v2/key-value-stores/default`, { headers: auth })).json()) as { data: { urlSigningSecretKey: string } };
  secret = store.data.urlSigningSecretKey;
});

afterAll(async () => {
  await server.close();
});

/** A page that, if it ran or loaded anything, would say so: a script, an inline handler, a beacon image and style. */
function hostilePage(beacon: string): string {
  return (
    `<html><head><link rel="stylesheet" href="${beacon}/style.css"><script>document.documentElement.setAttribute('data-ran', 'script:' + sessionStorage.length)</script></head>` +
    `<body><img src="${beacon}/pixel.png"><img src="x" onerror="document.documentElement.setAttribute('data-ran', 'onerror')"><iframe src="${beacon}/frame"></iframe></body></html>`
  );
}

describe('the API sandbox on every /v2 answer', () => {
  it('data, errors, empty answers, records (HTML, SVG, via a signed URL, HEAD) and exports in every format', async () => {
    const put = (key: string, contentType: string, body: string) =>
      fetch(`${server.url}/v2/key-value-stores/default/records/${key}`, { method: 'PUT', headers: { ...auth, 'content-type': contentType }, body });
    await fetch(`${server.url}/v2/datasets/default/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 1200 }, (_, i) => ({ i, html: '<script>alert(1)</script>' }))),
    });
    const answers: [string, Response][] = [
      ['list', await fetch(`${server.url}/v2/datasets`, { headers: auth })],
      ['create', await fetch(`${server.url}/v2/datasets?name=sandboxed`, { method: 'POST', headers: auth })],
      ['put record', await put('page', 'text/html; charset=utf-8', hostilePage('http://127.0.0.1:9'))],
      ['put svg', await put('image', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
      ['html record', await fetch(`${server.url}/v2/key-value-stores/default/records/page`, { headers: auth })],
      ['html record, HEAD', await fetch(`${server.url}/v2/key-value-stores/default/records/page`, { method: 'HEAD', headers: auth })],
      ['svg record', await fetch(`${server.url}/v2/key-value-stores/default/records/image`, { headers: auth })],
      ['signed record', await fetch(`${server.url}/v2/key-value-stores/default/records/page?signature=${createRecordSignature(secret, 'page')}`)],
      ['no token', await fetch(`${server.url}/v2/datasets`)],
      ['no route', await fetch(`${server.url}/v2/nothing-here`, { headers: auth })],
      ['not found', await fetch(`${server.url}/v2/datasets/noSuchDataset001`, { headers: auth })],
      ['bad method', await fetch(`${server.url}/v2/datasets/default/items`, { method: 'PATCH', headers: auth })],
      ['bad query', await fetch(`${server.url}/v2/datasets/default/items?limit=-1`, { headers: auth })],
      ['too large', await fetch(`${server.url}/v2/datasets/default/items`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: `[${'1,'.repeat(40_000)}1]` })],
      ['delete', await fetch(`${server.url}/v2/key-value-stores/default/records/image`, { method: 'DELETE', headers: auth })],
      ['outside /v2', await fetch(`${server.url}/nothing-here`)],
    ];
    for (const format of ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss']) {
      answers.push([`${format}, one page`, await fetch(`${server.url}/v2/datasets/default/items?format=${format}&limit=10`, { headers: auth })]);
      answers.push([`${format}, streamed`, await fetch(`${server.url}/v2/datasets/default/items?format=${format}`, { headers: auth })]);
    }
    for (const [name, answer] of answers) {
      expect({ name, csp: answer.headers.get('content-security-policy'), nosniff: answer.headers.get('x-content-type-options') }).toEqual({ name, csp: CSP, nosniff: 'nosniff' });
      await answer.arrayBuffer();
    }
    // The streamed ones were streamed (no length) and whole.
    expect(answers.find(([name]) => name === 'html, streamed')![1].headers.get('content-length')).toBeNull();
  });

  it('the app answers the same through app.inject(), without a listening server', async () => {
    const app = createServerApp({ storageClient: new MemoryStorageClient(), token: TOKEN });
    const record = '/v2/key-value-stores/default/records/page';
    const stored = await app.inject({ method: 'PUT', url: record, headers: { ...auth, 'content-type': 'text/html' }, payload: '<script>alert(1)</script>' });
    expect(stored.statusCode).toBe(201);
    const read = await app.inject({ url: record, headers: auth });
    expect(read.body).toBe('<script>alert(1)</script>');
    for (const answer of [stored, read, await app.inject({ url: '/v2/datasets' }), await app.inject({ url: '/v2/datasets', headers: auth })]) {
      expect(answer.headers['content-security-policy']).toBe(CSP);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await app.inject({ url: '/v2/datasets' })).statusCode).toBe(401);
    // A streamed export (more than one page): written to the response as it is read, whole.
    await app.inject({
      method: 'POST',
      url: '/v2/datasets/default/items',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify(Array.from({ length: 2500 }, (_, i) => ({ i }))),
    });
    const items = await app.inject({ url: '/v2/datasets/default/items?format=jsonl', headers: auth });
    expect(items.body.trim().split('\n')).toHaveLength(2500);
    expect(items.headers['x-apify-pagination-total']).toBe('2500');
    await app.close();
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env['CI']) console.log(`sandbox.test.ts: no Chromium at ${CHROMIUM}: the browser check is skipped (apt-get install chromium)`);

describe.runIf(haveChromium || process.env['CI'])('in Chromium', () => {
  let beacon: Server;
  let beaconUrl: string;
  const hits: string[] = [];

  beforeAll(async () => {
    // Counts whatever a page loads from it: a hit means the page loaded something.
    beacon = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => beacon.listen(0, '127.0.0.1', resolve));
    beaconUrl = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => beacon.close(() => resolve()));
  });

  /** The DOM Chromium ends up with after loading `url` (scripts that may run have run). */
  function dumpDom(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--virtual-time-budget=2000', '--dump-dom', url], { timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
  }

  it('an HTML record (signed URL) and an HTML export run no script and load nothing', async () => {
    await fetch(`${server.url}/v2/key-value-stores/default/records/hostile`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/html; charset=utf-8' }, body: hostilePage(beaconUrl) });
    const ds = `/v2/datasets/hostile-items`;
    await fetch(`${server.url}${ds.replace('/hostile-items', '?name=hostile-items')}`, { method: 'POST', headers: auth });
    await fetch(`${server.url}/v2/datasets/~hostile-items/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify([{ page: hostilePage(beaconUrl), url: `${beaconUrl}/link` }]),
    });
    const record = await dumpDom(`${server.url}/v2/key-value-stores/default/records/hostile?signature=${createRecordSignature(secret, 'hostile')}`);
    expect(record).toContain('<img'); // the page was loaded, as a document
    expect(record).not.toMatch(/<html[^>]*data-ran/);
    const exported = await dumpDom(`${server.url}/v2/datasets/~hostile-items/items?format=html&token=${TOKEN}`);
    expect(exported).toContain('<table');
    expect(exported).not.toMatch(/<html[^>]*data-ran/);
    // Not a stylesheet, an image or a frame was fetched (with a bare `sandbox` CSP they were).
    expect(hits).toEqual([]);
  }, 120_000);
});
