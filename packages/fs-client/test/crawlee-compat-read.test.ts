// Crawlee 3.18.1 writes a storage folder with its `MemoryStorage` (persisting), @x/fs-client
// reads it: every item, value, content type, request, order and count must come through.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Dataset as CrawleeDataset,
  KeyValueStore as CrawleeKeyValueStore,
  RequestQueue as CrawleeRequestQueue,
  RequestQueueV1 as CrawleeRequestQueueV1,
} from '@crawlee/core';
import { Dataset, KeyValueStore, RequestQueue, requestIdFromUniqueKey, type Request } from '@x/core';
import { describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import {
  PNG_PIXEL,
  PRODUCT_ITEMS,
  collectingLogger,
  crawleeStorage,
  storageDirsPerTest,
  sleep,
  url,
} from './crawlee-fixtures.js';

const newDir = storageDirsPerTest();

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Fetches every pending request (leaving them in progress), in the order the queue serves them. */
async function fetchAll(queue: RequestQueue): Promise<Request[]> {
  const fetched: Request[] = [];
  for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) fetched.push(request);
  return fetched;
}

describe('Crawlee 3.18.1 writes, @x/fs-client reads', () => {
  it('reads every dataset item, exactly and in order, with the item counts', async () => {
    const dir = newDir('datasets');
    const { storage, options } = crawleeStorage(dir);
    const products = await CrawleeDataset.open('products', options);
    await products.pushData(PRODUCT_ITEMS[0]!);
    await products.pushData(PRODUCT_ITEMS[1]!);
    await products.pushData(PRODUCT_ITEMS.slice(2));
    const defaultDataset = await CrawleeDataset.open(undefined, options);
    await defaultDataset.pushData([{ run: 'default', n: 1 }, { run: 'default', n: 2 }]);
    await storage.teardown(); // Waits for Crawlee's background metadata writes.

    // Crawlee's layout: one tab-indented file per item, nine-digit names from 1.
    const productsDir = join(dir, 'datasets', 'products');
    expect(readdirSync(productsDir).sort()).toEqual([
      '000000001.json',
      '000000002.json',
      '000000003.json',
      '000000004.json',
      '000000005.json',
      '__metadata__.json',
    ]);
    // Crawlee writes `__metadata__.json` in the background, each change a plain writeFile racing
    // the others, so now and then (about 1 run in 150 here) the file left holds an older count.
    // Make that happen every time: the count must come from the item files.
    const metadataPath = join(productsDir, '__metadata__.json');
    const crawleeMetadata = readJson(metadataPath) as { id: string; name: string; itemCount: number };
    expect(crawleeMetadata).toMatchObject({ name: 'products' });
    writeFileSync(metadataPath, JSON.stringify({ ...crawleeMetadata, itemCount: 2 }, null, '\t'));

    const logger = collectingLogger();
    const storageClient = new FileSystemStorageClient({ storageDir: dir, logger });
    const dataset = await Dataset.open({ name: 'products', storageClient });
    expect(dataset.id).toBe(crawleeMetadata.id);
    expect(dataset.name).toBe('products');
    const page = await dataset.getData();
    expect(page.items).toStrictEqual(PRODUCT_ITEMS);
    expect(page.total).toBe(5);
    expect((await dataset.getMetadata()).itemCount).toBe(5);
    expect((await dataset.getData({ desc: true })).items).toStrictEqual([...PRODUCT_ITEMS].reverse());
    expect((await dataset.getData({ offset: 1, limit: 2 })).items).toStrictEqual(PRODUCT_ITEMS.slice(1, 3));
    const iterated: unknown[] = [];
    for await (const item of dataset.iterateItems({ pageSize: 2 })) iterated.push(item);
    expect(iterated).toStrictEqual(PRODUCT_ITEMS);

    // Crawlee's default dataset is a folder `default` whose metadata names it "default".
    const fallback = await Dataset.open({ storageClient });
    expect((await fallback.getData()).items).toStrictEqual([
      { run: 'default', n: 1 },
      { run: 'default', n: 2 },
    ]);
    expect((await fallback.getMetadata()).itemCount).toBe(2);
    expect(logger.messages).toEqual([]);
  });

  it('reads every record with its value, bytes and content type, through the doubly encoded sidecars', async () => {
    const dir = newDir('kvs');
    const { storage, options } = crawleeStorage(dir);
    const input = { startUrls: [{ url: 'https://example.com' }], maxItems: 10, proxy: null, note: 'Grüße 🎉' };
    const text = 'Plain text — Grüße 🎉\nsecond line\n';
    const csv = 'id,title\n1,"Chair, oak"\n2,Ž\n';
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const store = await CrawleeKeyValueStore.open(undefined, options);
    await store.setValue('INPUT', input);
    // Crawlee's KeyValueStore stores a string without a content type as JSON (`"…"`).
    await store.setValue('greeting', 'Hello, world');
    await store.setValue('note', text, { contentType: 'text/plain; charset=utf-8' });
    await store.setValue('table', csv, { contentType: 'text/csv' });
    // When the key already ends with the type's extension, Crawlee writes the file as the bare key.
    await store.setValue('report.csv', csv, { contentType: 'text/csv' });
    await store.setValue('pixel', PNG_PIXEL, { contentType: 'image/png' });
    // Without a content type, Crawlee's KeyValueStore stores any value as JSON, a Buffer too.
    await store.setValue('blob', bytes, { contentType: 'application/octet-stream' });
    const files = await CrawleeKeyValueStore.open('files', options);
    await files.setValue('logo', PNG_PIXEL, { contentType: 'image/png' });
    await files.setValue('state', { done: 3, queue: ['a', 'b'] });
    await storage.teardown();

    const storeDir = join(dir, 'key_value_stores', 'default');
    expect(readdirSync(storeDir).sort()).toEqual(
      [
        '__metadata__.json',
        'INPUT.json',
        'INPUT.__metadata__.json',
        'blob.bin',
        'blob.__metadata__.json',
        'greeting.json',
        'greeting.__metadata__.json',
        'note.txt',
        'note.__metadata__.json',
        'pixel.png',
        'pixel.__metadata__.json',
        'report.csv',
        'report.csv.__metadata__.json',
        'table.csv',
        'table.__metadata__.json',
      ].sort(),
    );
    // The sidecars are JSON strings holding JSON: JSON-encoded twice.
    const sidecarText = readFileSync(join(storeDir, 'report.csv.__metadata__.json'), 'utf8');
    const once: unknown = JSON.parse(sidecarText);
    expect(typeof once).toBe('string');
    expect(JSON.parse(once as string)).toStrictEqual({ extension: 'csv', key: 'report.csv', contentType: 'text/csv' });
    expect(readFileSync(join(storeDir, 'pixel.png')).equals(PNG_PIXEL)).toBe(true);

    const logger = collectingLogger();
    const storageClient = new FileSystemStorageClient({ storageDir: dir, logger });
    const kvs = await KeyValueStore.open({ storageClient });
    expect(await kvs.getValue('INPUT')).toStrictEqual(input);
    expect(await kvs.getValue('greeting')).toBe('Hello, world');
    expect(await kvs.getValue('note')).toBe(text);
    expect(await kvs.getValue('table')).toBe(csv);
    expect(await kvs.getValue('report.csv')).toBe(csv);
    const pixel = await kvs.getValue<Buffer>('pixel');
    expect(Buffer.isBuffer(pixel) && pixel.equals(PNG_PIXEL)).toBe(true);
    const blob = await kvs.getValue<Buffer>('blob');
    expect(Buffer.isBuffer(blob) && blob.equals(bytes)).toBe(true);
    expect(await kvs.recordExists('report')).toBe(false);

    // Content types are the ones Crawlee recorded in the sidecars: `text/csv` without the charset
    // the extension alone would give, and the key `report.csv` (not `report`) of the bare file.
    const keys = [];
    for await (const info of kvs.iterateKeys()) keys.push(info);
    const sizeOf = (file: string): number => statSync(join(storeDir, file)).size;
    expect(keys).toStrictEqual([
      { key: 'INPUT', size: sizeOf('INPUT.json'), contentType: 'application/json; charset=utf-8' },
      { key: 'blob', size: 256, contentType: 'application/octet-stream' },
      { key: 'greeting', size: sizeOf('greeting.json'), contentType: 'application/json; charset=utf-8' },
      { key: 'note', size: Buffer.byteLength(text), contentType: 'text/plain; charset=utf-8' },
      { key: 'pixel', size: PNG_PIXEL.length, contentType: 'image/png' },
      { key: 'report.csv', size: Buffer.byteLength(csv), contentType: 'text/csv' },
      { key: 'table', size: Buffer.byteLength(csv), contentType: 'text/csv' },
    ]);
    expect(await kvs.getPublicUrl('report.csv')).toBe(pathToFileURL(join(storeDir, 'report.csv')).href);
    expect(await kvs.getPublicUrl('pixel')).toBe(pathToFileURL(join(storeDir, 'pixel.png')).href);
    const record = await (await storageClient.openKeyValueStore({ kind: 'name', name: 'files' })).getRecord('logo');
    expect(record?.contentType).toBe('image/png');

    const named = await KeyValueStore.open({ name: 'files', storageClient });
    const logo = await named.getValue<Buffer>('logo');
    expect(Buffer.isBuffer(logo) && logo.equals(PNG_PIXEL)).toBe(true);
    expect(await named.getValue('state')).toStrictEqual({ done: 3, queue: ['a', 'b'] });
    expect(logger.messages).toEqual([]);
  });

  it('serves the requests in Crawlee order (newest forefront first, then regular in insertion order) and not the handled ones', async () => {
    const dir = newDir('queue');
    const { storage, options } = crawleeStorage(dir);
    // Crawlee's RequestQueueV1: its fetchNextRequest keeps requests in progress in memory, so the
    // order keys on disk stay as they were added. (The default RequestQueue locks the whole head on
    // disk, overwriting those keys: see the next test.)
    const queue = await CrawleeRequestQueueV1.open('orders', options);
    const handledAt = new Date().toISOString();
    const added: Record<string, string> = {};
    const add = async (name: string, extra: Record<string, unknown> = {}, forefront = false): Promise<void> => {
      const result = await queue.addRequest({ url: url(name), ...extra }, { forefront });
      added[name] = result.requestId;
      // Crawlee's order key is `Date.now()`: requests added in the same millisecond tie, and a tie
      // carries no order on disk (Crawlee itself serves ties in directory order once reopened).
      await sleep(3);
    };
    await add('r1', { userData: { label: 'DETAIL', depth: 1, meta: { tags: ['a', 'ü'] } } });
    await add('r2', { method: 'POST', payload: '{"q":"x"}', headers: { 'content-type': 'application/json' }, uniqueKey: 'post-r2' });
    await add('f1', {}, true);
    await add('r3');
    await add('f2', {}, true);
    await add('h1', { handledAt });
    await add('f3', {}, true);
    await add('r4', { retryCount: 2, errorMessages: ['timeout'] });
    await add('f4', {}, true);
    const first = await queue.fetchNextRequest();
    const second = await queue.fetchNextRequest();
    expect([first?.url, second?.url]).toEqual([url('f4'), url('f3')]);
    await queue.markRequestHandled(first!);
    await queue.markRequestHandled(second!);
    await storage.teardown();

    const queueDir = join(dir, 'request_queues', 'orders');
    const onDisk = readJson(join(queueDir, `${added['f4']}.json`)) as Record<string, unknown>;
    expect(Object.keys(onDisk).sort()).toEqual(['id', 'json', 'method', 'orderNo', 'retryCount', 'uniqueKey', 'url']);
    expect(onDisk['orderNo']).toBeNull();
    expect((readJson(join(queueDir, `${added['f1']}.json`)) as { orderNo: number }).orderNo).toBeLessThan(0);

    const logger = collectingLogger();
    const storageClient = new FileSystemStorageClient({ storageDir: dir, logger });
    const ours = await RequestQueue.open({ name: 'orders', storageClient });
    expect(await ours.getMetadata()).toMatchObject({ totalRequestCount: 9, handledRequestCount: 3, pendingRequestCount: 6 });
    expect(await ours.getHandledCount()).toBe(3);
    expect(await ours.getTotalCount()).toBe(9);
    expect(await ours.isFinished()).toBe(false);

    const fetched = await fetchAll(ours);
    const order = ['f2', 'f1', 'r1', 'r2', 'r3', 'r4'];
    expect(fetched.map((r) => r.url)).toEqual(order.map(url));
    expect(fetched.map((r) => r.id)).toEqual(order.map((name) => added[name]));
    const byUrl = new Map(fetched.map((r) => [r.url, r]));
    expect(byUrl.get(url('r1'))?.toData()).toStrictEqual({
      id: added['r1'],
      url: url('r1'),
      uniqueKey: url('r1'),
      method: 'GET',
      headers: {},
      userData: { label: 'DETAIL', depth: 1, meta: { tags: ['a', 'ü'] } },
      retryCount: 0,
      noRetry: false,
      errorMessages: [],
    });
    expect(byUrl.get(url('r1'))?.label).toBe('DETAIL');
    expect(byUrl.get(url('r2'))?.toData()).toMatchObject({
      uniqueKey: 'post-r2',
      method: 'POST',
      payload: '{"q":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(byUrl.get(url('r4'))?.toData()).toMatchObject({ retryCount: 2, errorMessages: ['timeout'] });
    expect(fetched.every((r) => r.handledAt === undefined)).toBe(true);

    // Handled requests are there, with their handledAt, but never served.
    expect((await ours.getRequest(added['h1']!))?.handledAt).toBe(handledAt);
    expect((await ours.getRequest(added['f4']!))?.handledAt).toBe(first!.handledAt);
    expect((await ours.getRequest(added['f3']!))?.handledAt).toBe(second!.handledAt);
    expect(await ours.fetchNextRequest()).toBeNull();
    expect(await ours.isEmpty()).toBe(true);
    for (const request of fetched) await ours.markRequestAsHandled(request);
    expect(await ours.isFinished()).toBe(true);
    expect(await ours.getMetadata()).toMatchObject({ totalRequestCount: 9, handledRequestCount: 9, pendingRequestCount: 0 });
    expect(logger.messages).toEqual([]);
  });

  it('resumes a queue Crawlee left mid-crawl: locked requests come back, handled ones stay handled', async () => {
    const dir = newDir('midcrawl');
    const { storage, options } = crawleeStorage(dir);
    const queue = await CrawleeRequestQueue.open(undefined, options);
    await queue.addRequests(['a1', 'a2', 'a3', 'a4'].map((name) => ({ url: url(name) })));
    await queue.addRequest({ url: url('b1') }, { forefront: true });
    await sleep(3);
    await queue.addRequest({ url: url('b2') }, { forefront: true });
    const b2 = await queue.fetchNextRequest();
    expect(b2?.url).toBe(url('b2'));
    await queue.markRequestHandled(b2!);
    const b1 = await queue.fetchNextRequest(); // Left in progress: the crawler stops here.
    expect(b1?.url).toBe(url('b1'));
    const a1 = await queue.fetchNextRequest();
    expect(a1?.url).toBe(url('a1'));
    await queue.markRequestHandled(a1!);
    await storage.teardown();

    // Crawlee's RequestQueue locks the head on disk: every request it listed got the same order
    // key, the lock's expiry, so their relative order is no longer on disk. And fetchNextRequest
    // prolongs the lock of the request it hands out without the forefront sign
    // (`prolongRequestLock(id, { lockSecs })`): b1, forefront when added, is on disk as a regular
    // request locked a lock period after the others. The files still say which are handled.
    const queueDir = join(dir, 'request_queues', 'default');
    // Crawlee and @x/core derive the same id from a unique key.
    const requestId = (name: string): string => requestIdFromUniqueKey(url(name));
    expect(requestId('b1')).toBe(b1!.id);
    const orderNo = (id: string): number | null => (readJson(join(queueDir, `${id}.json`)) as { orderNo: number | null }).orderNo;
    const headLock = orderNo(requestId('a2'))!;
    expect(headLock).toBeGreaterThan(Date.now());
    expect([orderNo(requestId('a3')), orderNo(requestId('a4'))]).toEqual([headLock, headLock]);
    expect(orderNo(b1!.id!)).toBeGreaterThan(headLock);
    expect(orderNo(b2!.id!)).toBeNull();
    expect(orderNo(a1!.id!)).toBeNull();

    const logger = collectingLogger();
    const storageClient = new FileSystemStorageClient({ storageDir: dir, logger });
    const ours = await RequestQueue.open({ storageClient });
    expect(await ours.getMetadata()).toMatchObject({ totalRequestCount: 6, handledRequestCount: 2, pendingRequestCount: 4 });
    const fetched = await fetchAll(ours);
    // Every request still pending or in progress when Crawlee stopped is served once, in the order
    // of the keys on disk: the head Crawlee locked together (a tie), then b1.
    expect(fetched.slice(0, 3).map((r) => r.url).sort()).toEqual([url('a2'), url('a3'), url('a4')]);
    expect(fetched[3]?.url).toBe(url('b1'));
    expect(fetched).toHaveLength(4);
    for (const request of fetched) await ours.markRequestAsHandled(request);
    expect(await ours.isFinished()).toBe(true);
    expect(await ours.getHandledCount()).toBe(6);
    expect(logger.messages).toEqual([]);
  });

  it('opens a folder with what an interrupted Crawlee leaves behind, with warnings and no crash', async () => {
    const dir = newDir('leftovers');
    const { storage, options } = crawleeStorage(dir);
    const dataset = await CrawleeDataset.open(undefined, options);
    await dataset.pushData([{ n: 1 }, { n: 2, title: 'cut short' }, { n: 3 }]);
    const store = await CrawleeKeyValueStore.open(undefined, options);
    await store.setValue('INPUT', { a: 1 });
    await store.setValue('table', 'a,b\n', { contentType: 'text/csv' });
    const queue = await CrawleeRequestQueue.open(undefined, options);
    const added = await queue.addRequests(['q1', 'q2', 'q3', 'q4'].map((name) => ({ url: url(name) })));
    await storage.teardown();
    const [q1, q2, q3, q4] = added.processedRequests.map((result) => result.requestId);

    // Crawlee writes in place, under a proper-lockfile lock (`<file>.lock/`, a directory): a
    // killed Crawlee leaves the lock and a truncated file.
    const datasetDir = join(dir, 'datasets', 'default');
    const storeDir = join(dir, 'key_value_stores', 'default');
    const queueDir = join(dir, 'request_queues', 'default');
    mkdirSync(join(datasetDir, '000000002.json.lock'));
    writeFileSync(join(datasetDir, '000000002.json'), '{\n\t"n": 2,\n\t"title": "cut');
    writeFileSync(join(datasetDir, '.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    writeFileSync(join(datasetDir, 'notes.txt'), 'a file someone put here\n');
    mkdirSync(join(storeDir, 'INPUT.json.lock'));
    writeFileSync(join(storeDir, 'table.__metadata__.json'), '"{\\"extension\\":\\"csv\\",\\"ke');
    // Value files without a sidecar, as the Apify CLI or a user puts them: the extension says the type.
    writeFileSync(join(storeDir, 'extra.txt'), 'no sidecar');
    writeFileSync(join(storeDir, 'settings.json'), '{"debug":true}');
    mkdirSync(join(queueDir, `${q2}.json.lock`));
    writeFileSync(join(queueDir, `${q2}.json`), '{\n\t"id": "' + q2 + '",\n\t"json": "{\\"id\\":');
    // Cut after its order key: it looks pending until it is read whole.
    const q4Text = readFileSync(join(queueDir, `${q4}.json`), 'utf8');
    writeFileSync(join(queueDir, `${q4}.json`), q4Text.slice(0, q4Text.indexOf('"uniqueKey"') + 6));
    writeFileSync(join(queueDir, 'foreign.json'), '{"hello":"world"}');
    writeFileSync(join(queueDir, 'README.md'), '# not a request\n');
    writeFileSync(join(queueDir, '__metadata__.json'), '{\n\t"accessedAt": "2025-');

    const logger = collectingLogger();
    const storageClient = new FileSystemStorageClient({ storageDir: dir, logger });
    const ours = await Dataset.open({ storageClient });
    expect((await ours.getData()).items).toStrictEqual([{ n: 1 }, { n: 3 }]);

    const kvs = await KeyValueStore.open({ storageClient });
    expect(await kvs.getValue('INPUT')).toStrictEqual({ a: 1 });
    expect(await kvs.getValue('table')).toBe('a,b\n');
    expect(await kvs.getValue('extra')).toBe('no sidecar');
    expect(await kvs.getValue('settings')).toStrictEqual({ debug: true });
    const keys = [];
    for await (const info of kvs.iterateKeys()) keys.push(info);
    // The lock directory is no record; the sidecar that was cut short gives way to the extension.
    expect(keys).toStrictEqual([
      { key: 'INPUT', size: statSync(join(storeDir, 'INPUT.json')).size, contentType: 'application/json; charset=utf-8' },
      { key: 'extra', size: 10, contentType: 'text/plain; charset=utf-8' },
      { key: 'settings', size: 14, contentType: 'application/json; charset=utf-8' },
      { key: 'table', size: 4, contentType: 'text/csv; charset=utf-8' },
    ]);

    const requests = await RequestQueue.open({ storageClient });
    const fetched = await fetchAll(requests);
    expect(fetched.map((r) => r.id).sort()).toEqual([q1, q3].sort());
    expect(await requests.getRequest(q2!)).toBeNull();
    expect(await requests.getRequest(q4!)).toBeNull();
    for (const request of fetched) await requests.markRequestAsHandled(request);
    expect(await requests.isFinished()).toBe(true);
    expect(await requests.getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 2, pendingRequestCount: 0 });

    // Each warning names the file it skipped: `… <path>: <why>`.
    const warned = (path: string): boolean => logger.messages.some((message) => message.includes(`${path}:`));
    expect(warned(join(datasetDir, '000000002.json'))).toBe(true);
    expect(warned(join(storeDir, 'table.__metadata__.json'))).toBe(true);
    expect(warned(join(storeDir, 'INPUT.json.lock'))).toBe(true);
    expect(warned(join(queueDir, `${q2}.json`))).toBe(true);
    expect(warned(join(queueDir, `${q4}.json`))).toBe(true);
    expect(warned(join(queueDir, 'foreign.json'))).toBe(true);
    expect(warned(join(queueDir, '__metadata__.json'))).toBe(true);
  });
});
