// @x/fs-client writes a storage folder, Crawlee 3.18.1 (a fresh `MemoryStorage` on the same
// folder, and its Dataset, KeyValueStore and RequestQueue classes) reads it back.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Dataset as CrawleeDataset,
  KeyValueStore as CrawleeKeyValueStore,
  RequestQueue as CrawleeRequestQueue,
  RequestQueueV1 as CrawleeRequestQueueV1,
  type Request as CrawleeRequest,
} from '@crawlee/core';
import { Dataset, KeyValueStore, Request, RequestQueue } from '@x/core';
import { describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import { PNG_PIXEL, PRODUCT_ITEMS, collectingLogger, crawleeStorage, storageDirsPerTest, url } from './crawlee-fixtures.js';

const newDir = storageDirsPerTest();

/** Our client on `dir`, with a logger that fails the test on any warning. */
function ourClient(dir: string): { storageClient: FileSystemStorageClient; warnings: string[] } {
  const logger = collectingLogger();
  return { storageClient: new FileSystemStorageClient({ storageDir: dir, logger }), warnings: logger.messages };
}

describe('@x/fs-client writes, Crawlee 3.18.1 reads', () => {
  it('gives Crawlee every dataset item, exactly and in order, with the item counts', async () => {
    const dir = newDir('datasets');
    const { storageClient, warnings } = ourClient(dir);
    const products = await Dataset.open({ name: 'products', storageClient });
    await products.pushData(PRODUCT_ITEMS[0]!);
    await products.pushData(PRODUCT_ITEMS.slice(1, 3));
    await products.pushData(PRODUCT_ITEMS.slice(3));
    const fallback = await Dataset.open({ storageClient });
    await fallback.pushData([{ run: 'default', n: 1 }, { run: 'default', n: 2 }]);
    storageClient.flush();
    expect(warnings).toEqual([]);

    const { storage, options } = crawleeStorage(dir);
    const dataset = await CrawleeDataset.open('products', options);
    expect(dataset.id).toBe(products.id);
    expect(dataset.name).toBe('products');
    const page = await dataset.getData();
    expect(page.items).toStrictEqual(PRODUCT_ITEMS);
    expect(page.total).toBe(5);
    expect(page.count).toBe(5);
    expect((await dataset.getInfo())?.itemCount).toBe(5);
    expect((await dataset.getData({ desc: true })).items).toStrictEqual([...PRODUCT_ITEMS].reverse());
    expect((await dataset.getData({ offset: 3, limit: 10 })).items).toStrictEqual(PRODUCT_ITEMS.slice(3));
    const mapped = await dataset.map((item) => item['id']);
    expect(mapped).toEqual([1, 2, 3, 4, 5]);

    const crawleeDefault = await CrawleeDataset.open(undefined, options);
    expect((await crawleeDefault.getData()).items).toStrictEqual([
      { run: 'default', n: 1 },
      { run: 'default', n: 2 },
    ]);
    expect((await crawleeDefault.getInfo())?.itemCount).toBe(2);
    await storage.teardown();
  });

  it('gives Crawlee every record with its value, bytes and content type', async () => {
    const dir = newDir('kvs');
    const { storageClient, warnings } = ourClient(dir);
    const input = { startUrls: [{ url: 'https://example.com' }], maxItems: 10, proxy: null, note: 'Grüße 🎉' };
    const text = 'Plain text — Grüße 🎉\nsecond line\n';
    const csv = 'id,title\n1,"Chair, oak"\n2,Ž\n';
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const kvs = await KeyValueStore.open({ storageClient });
    await kvs.setValue('INPUT', input);
    await kvs.setValue('config', { depth: 2, list: [1, 'two', { three: 3 }] });
    await kvs.setValue('note', text);
    await kvs.setValue('table', csv, { contentType: 'text/csv' });
    await kvs.setValue('report.csv', csv, { contentType: 'text/csv' });
    await kvs.setValue('pixel', PNG_PIXEL, { contentType: 'image/png' });
    await kvs.setValue('blob', bytes);
    const files = await KeyValueStore.open({ name: 'files', storageClient });
    await files.setValue('logo', PNG_PIXEL, { contentType: 'image/png' });
    storageClient.flush();
    expect(warnings).toEqual([]);

    // Our layout: `<key>.<extension>` and a sidecar in plain JSON (Crawlee parses it once).
    const storeDir = join(dir, 'key_value_stores', 'default');
    expect(readdirSync(storeDir).filter((name) => !name.includes('__metadata__')).sort()).toEqual(
      ['INPUT.json', 'blob.bin', 'config.json', 'note.txt', 'pixel.png', 'report.csv.csv', 'table.csv'].sort(),
    );
    expect(JSON.parse(readFileSync(join(storeDir, 'report.csv.__metadata__.json'), 'utf8'))).toStrictEqual({
      key: 'report.csv',
      contentType: 'text/csv',
      extension: 'csv',
    });

    const { storage, options } = crawleeStorage(dir);
    const store = await CrawleeKeyValueStore.open(undefined, options);
    expect(store.id).toBe(kvs.id);
    expect(await store.getValue('INPUT')).toStrictEqual(input);
    expect(await store.getValue('config')).toStrictEqual({ depth: 2, list: [1, 'two', { three: 3 }] });
    expect(await store.getValue('note')).toBe(text);
    expect(await store.getValue('table')).toBe(csv);
    expect(await store.getValue('report.csv')).toBe(csv);
    const pixel = await store.getValue<Buffer>('pixel');
    expect(Buffer.isBuffer(pixel) && pixel.equals(PNG_PIXEL)).toBe(true);
    const blob = await store.getValue<Buffer>('blob');
    expect(Buffer.isBuffer(blob) && blob.equals(bytes)).toBe(true);
    expect(await store.recordExists('report')).toBe(false);

    const client = storage.keyValueStore(store.id);
    const contentTypes: Record<string, string | undefined> = {};
    for (const key of ['INPUT', 'config', 'note', 'table', 'report.csv', 'pixel', 'blob']) {
      contentTypes[key] = (await client.getRecord(key))?.contentType;
    }
    expect(contentTypes).toStrictEqual({
      INPUT: 'application/json; charset=utf-8',
      config: 'application/json; charset=utf-8',
      note: 'text/plain; charset=utf-8',
      table: 'text/csv',
      'report.csv': 'text/csv',
      pixel: 'image/png',
      blob: 'application/octet-stream',
    });
    const listed = (await client.listKeys()).items.map(({ key, size }) => ({ key, size }));
    const { items: ourKeys } = await (await storageClient.openKeyValueStore({ kind: 'default', id: 'default' })).listKeys({ limit: 100 });
    expect(listed.sort((a, b) => (a.key < b.key ? -1 : 1))).toStrictEqual(ourKeys.map(({ key, size }) => ({ key, size })));
    expect(listed.find((item) => item.key === 'note')?.size).toBe(Buffer.byteLength(text));

    const named = await CrawleeKeyValueStore.open('files', options);
    const logo = await named.getValue<Buffer>('logo');
    expect(Buffer.isBuffer(logo) && logo.equals(PNG_PIXEL)).toBe(true);
    await storage.teardown();
  });

  it('gives Crawlee the requests in our order, handled ones counted and never served', async () => {
    const dir = newDir('queue');
    const { storageClient, warnings } = ourClient(dir);
    const queue = await RequestQueue.open({ name: 'orders', storageClient });
    const handledAt = '2025-01-02T03:04:05.678Z';
    await queue.addRequest({ url: url('r1'), userData: { label: 'DETAIL', depth: 1, meta: { tags: ['a', 'ü'] } } });
    await queue.addRequest({
      url: url('r2'),
      method: 'POST',
      payload: '{"q":"x"}',
      headers: { 'content-type': 'application/json' },
      uniqueKey: 'post-r2',
    });
    await queue.addRequest(url('f1'), { forefront: true });
    const f1 = await queue.fetchNextRequest();
    expect(f1?.url).toBe(url('f1'));
    await queue.markRequestAsHandled(f1!);
    const r1 = await queue.fetchNextRequest();
    expect(r1?.url).toBe(url('r1'));
    await queue.markRequestAsHandled(r1!);
    await queue.addRequest(url('f2'), { forefront: true });
    await queue.addRequest({ url: url('r3'), retryCount: 2, errorMessages: ['timeout'] });
    await queue.addRequest(url('f3'), { forefront: true });
    await queue.addRequest(url('r4'));
    await queue.addRequest({ url: url('h1'), handledAt });
    // Fetched and never finished, as when our process stops: on disk it is pending.
    const f3 = await queue.fetchNextRequest();
    expect(f3?.url).toBe(url('f3'));
    storageClient.flush();
    expect(warnings).toEqual([]);
    const expectedOrder = ['f3', 'f2', 'r2', 'r3', 'r4'].map(url);
    const ids: Record<string, string> = {};
    for (const name of ['r1', 'r2', 'r3', 'r4', 'f1', 'f2', 'f3', 'h1']) {
      ids[name] = name === 'r2' ? new Request({ url: url(name), uniqueKey: 'post-r2' }).id : new Request({ url: url(name) }).id;
    }

    // Crawlee's storage client: the counts from our metadata, and the head in order-key order. (A
    // fresh MemoryStorage finds a storage by its folder name: the name of a named one.)
    const first = crawleeStorage(dir);
    const client = first.storage.requestQueue('orders');
    expect(await client.get()).toMatchObject({
      id: queue.id,
      name: 'orders',
      totalRequestCount: 8,
      handledRequestCount: 3,
      pendingRequestCount: 5,
    });
    const head = await client.listHead({ limit: 100 });
    expect(head.items.map((item) => item.url)).toEqual(expectedOrder);
    expect((await client.getRequest(ids['h1']!))?.handledAt).toBe(handledAt);
    expect((await client.getRequest(ids['f1']!))?.handledAt).toBe(f1!.handledAt);
    // Crawlee's RequestQueueV1 serves the head as listed: exactly our order.
    const v1 = await CrawleeRequestQueueV1.open('orders', first.options);
    const servedByV1: string[] = [];
    for (let request = await v1.fetchNextRequest(); request; request = await v1.fetchNextRequest()) servedByV1.push(request.url);
    expect(servedByV1).toEqual(expectedOrder);
    await first.storage.teardown();

    // Crawlee's RequestQueue (the default one) on a fresh MemoryStorage, as a crawler runs it.
    const second = crawleeStorage(dir);
    const crawleeQueue = await CrawleeRequestQueue.open('orders', second.options);
    expect(await crawleeQueue.getInfo()).toMatchObject({ totalRequestCount: 8, handledRequestCount: 3, pendingRequestCount: 5 });
    expect(await crawleeQueue.handledCount()).toBe(3);
    const served: CrawleeRequest[] = [];
    for (let request = await crawleeQueue.fetchNextRequest(); request; request = await crawleeQueue.fetchNextRequest()) {
      served.push(request);
      await crawleeQueue.markRequestHandled(request);
    }
    // Every pending request once, no handled one. Not in order: for a folder it did not write in
    // this process, Crawlee's RequestQueue serves requests in the order of the folder listing.
    // Its listAndLockHead does not sort by order key, and walks the `forefrontRequestIds` of the
    // resource client at hand, a fresh one, not those read from `__metadata__.json` (which go to
    // MemoryStorage's cached client and are never walked). Only listHead (and RequestQueueV1
    // above) sorts by the order keys on disk.
    expect(served.map((r) => r.url).sort()).toEqual([...expectedOrder].sort());
    const byUrl = new Map(served.map((r) => [r.url, r]));
    const r2 = byUrl.get(url('r2'))!;
    expect({ id: r2.id, uniqueKey: r2.uniqueKey, method: r2.method, payload: r2.payload, headers: r2.headers }).toStrictEqual({
      id: ids['r2'],
      uniqueKey: 'post-r2',
      method: 'POST',
      payload: '{"q":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    const r3 = byUrl.get(url('r3'))!;
    expect({ retryCount: r3.retryCount, errorMessages: r3.errorMessages, userData: r3.userData }).toStrictEqual({
      retryCount: 2,
      errorMessages: ['timeout'],
      userData: {},
    });
    expect(await crawleeQueue.fetchNextRequest()).toBeNull();
    expect(await crawleeQueue.isFinished()).toBe(true);
    expect(await crawleeQueue.getInfo()).toMatchObject({ totalRequestCount: 8, handledRequestCount: 8, pendingRequestCount: 0 });
    await second.storage.teardown();

    // And back: what Crawlee marked handled is handled for us.
    const again = ourClient(dir);
    const reopened = await RequestQueue.open({ name: 'orders', storageClient: again.storageClient });
    expect(await reopened.getMetadata()).toMatchObject({ totalRequestCount: 8, handledRequestCount: 8, pendingRequestCount: 0 });
    expect(await reopened.fetchNextRequest()).toBeNull();
    expect(await reopened.isFinished()).toBe(true);
    expect((await reopened.getRequest(ids['r1']!))?.userData).toStrictEqual({ label: 'DETAIL', depth: 1, meta: { tags: ['a', 'ü'] } });
    expect(again.warnings).toEqual([]);
  });
});
