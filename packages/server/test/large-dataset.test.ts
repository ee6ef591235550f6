// Large dataset reads: one GET of a 60,000-item dataset on the fs client must not keep other
// clients waiting (it read every item file synchronously: ~1.5 s with the event loop blocked), and
// answers of more than a page are written as they are read.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { ApifyClient } from 'apify-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'large-dataset-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const ITEMS = 60_000;

function item(n: number): Record<string, unknown> {
  return { n, url: `https://example.com/products/${n}`, title: `Product number ${n}`, price: n / 100, tags: ['a', 'b', String(n % 7)] };
}

describe('a 60,000-item dataset on the fs client', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'x-server-large-'));
    // The layout Crawlee and the fs client write: one file per item, nine-digit names from 1.
    const datasetDir = join(dir, 'datasets', 'default');
    mkdirSync(datasetDir, { recursive: true });
    for (let n = 1; n <= ITEMS; n++) writeFileSync(join(datasetDir, `${String(n).padStart(9, '0')}.json`), JSON.stringify(item(n)));
    server = await startServer({ storageClient: new FileSystemStorageClient({ storageDir: dir, logger: { warn: () => {} } }), token: TOKEN });
    const put = await fetch(`${server.url}/v2/key-value-stores/default/records/small`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: 'small' });
    expect(put.status).toBe(201);
    // Opening the dataset (a scan of its folder) is not what is measured.
    expect(((await (await fetch(`${server.url}/v2/datasets/default`, { headers: auth })).json()) as { data: { itemCount: number } }).data.itemCount).toBe(ITEMS);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('small requests are answered while all 60,000 items are read (worst delay printed); the answer is whole and in order', async () => {
    // A small GET every 20 ms: any stall of the server longer than that delays one. Sent any more
    // often (every 2 ms), they took CPU from the read they measure and made it half as slow again.
    const pauseMs = 20;
    // The same small GETs with nothing else going on, for a second: the machine's own noise.
    const idleDelays: number[] = [];
    for (const until = performance.now() + 1000; performance.now() < until; ) {
      const started = performance.now();
      await (await fetch(`${server.url}/v2/key-value-stores/default/records/small`, { headers: auth })).text();
      idleDelays.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    const idleWorst = Math.max(...idleDelays);
    let reading = true;
    const delays: number[] = [];
    const small = (async () => {
      while (reading) {
        const started = performance.now();
        const response = await fetch(`${server.url}/v2/key-value-stores/default/records/small`, { headers: auth });
        expect(await response.text()).toBe('small');
        delays.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
    const started = performance.now();
    const response = await fetch(`${server.url}/v2/datasets/default/items`, { headers: auth });
    // The body is taken as bytes while the small requests run; it is parsed after the timing.
    const bytes = Buffer.from(await response.arrayBuffer());
    const readMs = performance.now() - started;
    reading = false;
    await small;
    const worst = Math.max(...delays);
    console.log(
      `60,000-item fs dataset read over HTTP in ${readMs.toFixed(0)} ms (${(bytes.length / 1e6).toFixed(1)} MB); ` +
        `${delays.length} small GETs meanwhile, worst delay ${worst.toFixed(1)} ms, median ${[...delays].sort((a, b) => a - b)[Math.floor(delays.length / 2)]!.toFixed(1)} ms; ` +
        `worst delay with nothing else going on ${idleWorst.toFixed(1)} ms`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-apify-pagination-total')).toBe(String(ITEMS));
    expect(response.headers.get('x-apify-pagination-count')).toBe(String(ITEMS));
    const items = JSON.parse(bytes.toString('utf8')) as { n: number }[];
    expect(items).toHaveLength(ITEMS);
    expect(items.every((value, index) => value.n === index + 1)).toBe(true);
    expect(items[ITEMS - 1]).toEqual(item(ITEMS));
    // The loop ran during the read, not only after it: the server was not blocked.
    expect(delays.length).toBeGreaterThanOrEqual(5);
    // Target < 100 ms on a quiet machine. The bound is generous for a busy shared 2-core one (the
    // whole suite, Chromium included, runs in parallel in CI: 408 ms was seen there once), and
    // grows with the noise measured just before; reading the items synchronously held every other
    // request for the whole read (1 s and more), which stays far above it.
    expect(worst).toBeLessThan(Math.max(750, 4 * idleWorst));
  }, 120_000);

  it('pages across the read pages: offset, limit and desc', async () => {
    const page = await fetch(`${server.url}/v2/datasets/default/items?offset=999&limit=1502&desc=1&fields=n`, { headers: auth });
    expect(page.headers.get('x-apify-pagination-count')).toBe('1502');
    const items = (await page.json()) as { n: number }[];
    expect(items.map((value) => value.n)).toEqual(Array.from({ length: 1502 }, (_, i) => ITEMS - 999 - i));
    const tail = (await (await fetch(`${server.url}/v2/datasets/default/items?offset=${ITEMS - 3}`, { headers: auth })).json()) as { n: number }[];
    expect(tail.map((value) => value.n)).toEqual([ITEMS - 2, ITEMS - 1, ITEMS]);
  });
});

describe('dataset items answers of more than a page (memory client)', () => {
  let server: RunningServer;
  const count = 2_500;

  beforeAll(async () => {
    server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
    // Every third item is empty but for a hidden field, so `clean` and `skipEmpty` drop it.
    const items = Array.from({ length: count }, (_, i) => (i % 3 === 2 ? { '#hidden': i } : { i, '#hidden': i, other: 'x' }));
    for (let start = 0; start < count; start += 1000) {
      const answer = await fetch(`${server.url}/v2/datasets/default/items`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(items.slice(start, start + 1000)) });
      expect(answer.status).toBe(201);
    }
  });

  afterAll(async () => {
    await server.close();
  });

  it('is streamed (no Content-Length) with the same items, fields and headers as one page would be', async () => {
    const whole = await fetch(`${server.url}/v2/datasets/default/items?clean=1`, { headers: auth });
    expect(whole.headers.get('content-length')).toBeNull();
    expect(whole.headers.get('x-apify-pagination-count')).toBe(String(count));
    const clean = (await whole.json()) as { i: number }[];
    expect(clean).toEqual(Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 !== 2).map((i) => ({ i, other: 'x' })));
    const omitted = (await (await fetch(`${server.url}/v2/datasets/default/items?omit=other,%23hidden&skipEmpty=1&offset=1&limit=2000`, { headers: auth })).json()) as { i: number }[];
    expect(omitted).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1).filter((i) => i % 3 !== 2).map((i) => ({ i })));
    // One page: sent whole, with its length.
    const small = await fetch(`${server.url}/v2/datasets/default/items?limit=10`, { headers: auth });
    expect(small.headers.get('content-length')).not.toBeNull();
    expect(((await small.json()) as unknown[]).length).toBe(10);
    const empty = await fetch(`${server.url}/v2/datasets/default/items?offset=${count}`, { headers: auth });
    expect(await empty.json()).toEqual([]);
  });

  it('apify-client reads it whole and in pages', async () => {
    const client = new ApifyClient({ baseUrl: server.url, token: TOKEN, maxRetries: 0 });
    const all = await client.dataset('default').listItems();
    expect(all.items).toHaveLength(count);
    expect(all.total).toBe(count);
    const page = await client.dataset('default').listItems({ offset: 1200, limit: 1100, desc: true });
    expect(page.items[0]).toEqual({ i: count - 1 - 1200, '#hidden': count - 1 - 1200, other: 'x' });
    expect(page.items).toHaveLength(1100);
  });

  it('storage lists give at most 1000, /head at most 1000 and /head/lock at most 25 (the API limits)', async () => {
    const created = await fetch(`${server.url}/v2/request-queues?name=capped`, { method: 'POST', headers: auth });
    const { data } = (await created.json()) as { data: { id: string } };
    const list = (await (await fetch(`${server.url}/v2/datasets?limit=5000&unnamed=1`, { headers: auth })).json()) as { data: { limit: number } };
    expect(list.data.limit).toBe(1000);
    const head = (await (await fetch(`${server.url}/v2/request-queues/${data.id}/head?limit=1000000`, { headers: auth })).json()) as { data: { limit: number } };
    expect(head.data.limit).toBe(1000);
    const lock = (await (await fetch(`${server.url}/v2/request-queues/${data.id}/head/lock?limit=5000&lockSecs=10`, { method: 'POST', headers: auth })).json()) as { data: { limit: number } };
    expect(lock.data.limit).toBe(25);
  });
});
