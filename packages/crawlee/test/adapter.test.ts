import { BasicCrawler, Configuration, Dataset as CrawleeDataset, KeyValueStore as CrawleeKeyValueStore, RequestQueue as CrawleeRequestQueue } from '@crawlee/basic';
import { Dataset, KeyValueStore, RequestQueue, StorageError } from '@x/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toCrawleeStorageClient } from '../src/index.js';
import { CLIENT_CASES, type OpenedClient } from './fixtures/clients.js';
import { quietCrawlee } from './fixtures/crawl.js';

beforeAll(() => {
  quietCrawlee();
});

describe.each(CLIENT_CASES)('toCrawleeStorageClient on the $name client', (clientCase) => {
  let opened: OpenedClient;

  beforeEach(async () => {
    opened = await clientCase.open();
  });

  afterEach(async () => {
    await opened.dispose();
  });

  it("purge() empties the default storages but the INPUT record, and keeps named storages (Crawlee's purgeOnStart)", async () => {
    const storageClient = opened.client;
    await (await Dataset.open({ storageClient })).pushData({ old: true });
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('INPUT', { start: 1 });
    await store.setValue('STATE', { old: true });
    await (await RequestQueue.open({ storageClient })).addRequest('https://example.com/old');
    await (await Dataset.open({ name: 'kept', storageClient })).pushData({ kept: true });

    const adapter = toCrawleeStorageClient(storageClient);
    const config = new Configuration({ storageClient: adapter, purgeOnStart: true });
    // Crawlee purges once, when the first storage is opened.
    const dataset = await CrawleeDataset.open(undefined, { config });
    expect((await dataset.getData()).items).toEqual([]);
    const crawleeStore = await CrawleeKeyValueStore.open(undefined, { config });
    expect(await crawleeStore.getValue('INPUT')).toEqual({ start: 1 });
    expect(await crawleeStore.getValue('STATE')).toBeNull();
    const queue = await CrawleeRequestQueue.open(undefined, { config });
    expect(await queue.getInfo()).toMatchObject({ totalRequestCount: 0 });
    expect((await (await Dataset.open({ name: 'kept', storageClient })).getData()).items).toEqual([{ kept: true }]);
  });

  it('teardown() at the end of a run leaves the client open: the results read back, and a second run crawls again', async () => {
    const storageClient = opened.client;
    const config = new Configuration({ storageClient: toCrawleeStorageClient(storageClient), purgeOnStart: true });
    const seen: string[] = [];
    const crawler = new BasicCrawler(
      {
        async requestHandler({ request, pushData }) {
          seen.push(request.url);
          await pushData({ url: request.url });
        },
      },
      config,
    );
    const urls = ['https://example.com/a', 'https://example.com/b'];
    await crawler.run(urls);
    expect((await (await Dataset.open({ storageClient })).getData()).items).toEqual(urls.map((url) => ({ url })));
    // Crawlee drops its default queue (by the name `default`) before running again, so the same
    // URLs are crawled once more, as on Crawlee's own storage.
    await crawler.run(urls);
    expect(seen).toEqual([...urls, ...urls]);
    expect((await (await Dataset.open({ storageClient })).getData()).total).toBe(4);
  });

  it("maps Crawlee's ids and names to ours: `default` is the run's default storage, a name a named one", async () => {
    const adapter = toCrawleeStorageClient(opened.client);
    expect(await adapter.dataset('default').get()).toMatchObject({ id: 'default', name: 'default', itemCount: 0 });
    expect(await adapter.datasets().getOrCreate('default')).toMatchObject({ id: 'default', name: 'default' });
    const named = await adapter.keyValueStores().getOrCreate('my-store');
    expect(named.name).toBe('my-store');
    expect(await adapter.keyValueStore(named.id).get()).toMatchObject({ id: named.id, name: 'my-store' });
    // Only what Crawlee's info has: no secret of ours (the store's URL-signing key) goes to Crawlee.
    expect(Object.keys((await adapter.keyValueStore(named.id).get())!).sort()).toEqual(['accessedAt', 'createdAt', 'id', 'modifiedAt', 'name']);
    // Crawlee asks for a storage by its name first: not an id of ours, so not found.
    expect(await adapter.keyValueStore('my-store').get()).toBeUndefined();
    expect(await adapter.requestQueue('no-such-id').get()).toBeUndefined();
    expect(await adapter.requestQueue('not/an/id').get()).toBeUndefined();
    await expect(adapter.requestQueues().getOrCreate(undefined as unknown as string)).rejects.toSatisfy((error) => StorageError.is(error, 'invalid-argument'));
    const list = await adapter.keyValueStores().list();
    expect(list.items.map((s) => s.name).sort()).toEqual(['my-store']);
    expect(list.total).toBe(1);
  });

  it('refuses what our storages cannot do with typed errors: renaming, names our clients do not take, bad keys', async () => {
    const adapter = toCrawleeStorageClient(opened.client);
    const { id } = await adapter.datasets().getOrCreate('results');
    await expect(adapter.dataset(id).update({ name: 'other' })).rejects.toSatisfy((error) => StorageError.is(error, 'invalid-argument'));
    expect(await adapter.dataset(id).update({ name: 'results' })).toMatchObject({ id, name: 'results' });
    await expect(adapter.datasets().getOrCreate('under_score')).rejects.toSatisfy((error) => StorageError.is(error, 'invalid-name'));
    const store = adapter.keyValueStore('default');
    await expect(store.setRecord({ key: 'bad/key', value: 'x' })).rejects.toSatisfy((error) => StorageError.is(error, 'invalid-key'));
    expect(await store.getRecord('bad/key')).toBeUndefined();
    expect(await store.recordExists('bad/key')).toBe(false);
    await expect(store.setRecord({ key: 'json', value: '{not json', contentType: 'application/json' })).rejects.toSatisfy((error) =>
      StorageError.is(error, 'invalid-value'),
    );
    expect(await store.recordExists('json')).toBe(false);
  });

  it('getRecord gives the value parsed as Crawlee does, or a Buffer, or a stream', async () => {
    const store = toCrawleeStorageClient(opened.client).keyValueStore('default');
    await store.setRecord({ key: 'page', value: '<p>x</p>', contentType: 'text/html; charset=utf-8' });
    await store.setRecord({ key: 'data', value: JSON.stringify({ a: 1 }, null, 2), contentType: 'application/json; charset=utf-8' });
    await store.setRecord({ key: 'bytes', value: Buffer.from([0, 255]) });
    expect(await store.getRecord('page')).toEqual({ key: 'page', value: '<p>x</p>', contentType: 'text/html; charset=utf-8' });
    expect((await store.getRecord('data'))?.value).toEqual({ a: 1 });
    expect((await store.getRecord('data', { buffer: true }))?.value).toEqual(Buffer.from(JSON.stringify({ a: 1 }, null, 2)));
    expect(await store.getRecord('bytes')).toEqual({ key: 'bytes', value: Buffer.from([0, 255]), contentType: 'application/octet-stream' });
    const streamed = (await store.getRecord('bytes', { stream: true }))?.value as AsyncIterable<Buffer>;
    const chunks: Buffer[] = [];
    for await (const chunk of streamed) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0, 255]));
  });

  it('a request another consumer holds cannot be changed by this one; Crawlee request state survives a round trip', async () => {
    const adapter = toCrawleeStorageClient(opened.client);
    const { id } = await adapter.requestQueues().getOrCreate('shared');
    const a = adapter.requestQueue(id, { clientKey: 'consumer-a' });
    const b = adapter.requestQueue(id, { clientKey: 'consumer-b' });
    const config = new Configuration({ storageClient: adapter, purgeOnStart: false });
    const queue = await CrawleeRequestQueue.open('shared', { config });
    await queue.addRequest({ url: 'https://example.com/x', label: 'DETAIL', userData: { n: 1 }, maxRetries: 7, crawlDepth: 2 });
    const { items } = await a.listAndLockHead({ limit: 5, lockSecs: 60 });
    expect(items).toHaveLength(1);
    const { items: none, queueHasLockedRequests } = await b.listAndLockHead({ limit: 5, lockSecs: 60 });
    expect(none).toEqual([]);
    expect(queueHasLockedRequests).toBe(true);
    const stored = await b.getRequest(items[0]!.id);
    await expect(b.updateRequest({ ...(stored as { id: string; url: string; uniqueKey: string }), handledAt: new Date().toISOString() })).rejects.toSatisfy((error) =>
      StorageError.is(error, 'locked'),
    );
    await expect(b.deleteRequestLock(items[0]!.id)).rejects.toSatisfy((error) => StorageError.is(error, 'locked'));
    // The holder handles it; what Crawlee keeps in userData.__crawlee comes back as it was.
    const request = await queue.getRequest(items[0]!.id);
    expect(request).toMatchObject({ url: 'https://example.com/x', label: 'DETAIL', maxRetries: 7, crawlDepth: 2 });
    expect(request!.userData).toMatchObject({ n: 1, label: 'DETAIL' });
    await a.updateRequest({ ...request!, id: items[0]!.id, handledAt: new Date().toISOString() });
    expect(await a.get()).toMatchObject({ handledRequestCount: 1, pendingRequestCount: 0 });
  });
});
