import { MemoryStorageClient } from '@x/memory-client';
import { ApifyClient } from 'apify-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'interop-token-1234';
let server: RunningServer;
let client: ApifyClient;

beforeAll(async () => {
  server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
  client = new ApifyClient({ baseUrl: server.url, token: TOKEN, maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
});

// The official apify-client npm package drives @x/server through every storage call it offers.
describe('apify-client against @x/server', () => {
  it('datasets: get-or-create, list, get, push items, list items with offset/limit/desc/fields/omit, delete', async () => {
    const created = await client.datasets().getOrCreate('results');
    expect(created).toMatchObject({ name: 'results', itemCount: 0 });
    expect(typeof created.id).toBe('string');
    const again = await client.datasets().getOrCreate('results');
    expect(again.id).toBe(created.id);
    const listed = await client.datasets().list();
    expect(listed.items.map((d) => d.name)).toEqual(['results']);
    expect(listed.total).toBe(1);
    const dataset = client.dataset(created.id);
    await dataset.pushItems({ n: 0, a: 'x', b: 'y' });
    await dataset.pushItems(Array.from({ length: 9 }, (_, i) => ({ n: i + 1, a: `a${i + 1}`, b: `b${i + 1}` })));
    expect((await dataset.get())?.itemCount).toBe(10);
    const page = await dataset.listItems({ offset: 2, limit: 3 });
    expect(page.items.map((item) => item['n'])).toEqual([2, 3, 4]);
    expect(page).toMatchObject({ total: 10, offset: 2, limit: 3, count: 3 });
    const desc = await dataset.listItems({ limit: 2, desc: true });
    expect(desc.items.map((item) => item['n'])).toEqual([9, 8]);
    expect(desc.desc).toBe(true);
    expect((await dataset.listItems({ limit: 1, fields: ['n', 'a'] })).items).toEqual([{ n: 0, a: 'x' }]);
    expect((await dataset.listItems({ limit: 1, omit: ['a'] })).items).toEqual([{ n: 0, b: 'y' }]);
    // Addressed by ~name too.
    expect((await client.dataset('~results').get())?.id).toBe(created.id);
    await dataset.delete();
    expect(await dataset.get()).toBeUndefined();
    expect((await client.datasets().list()).items).toEqual([]);
  });

  it('key-value stores: records of several content types, exists, keys paging, delete', async () => {
    const created = await client.keyValueStores().getOrCreate('store');
    expect(created.name).toBe('store');
    expect((await client.keyValueStores().list()).items.map((s) => s.id)).toEqual([created.id]);
    const store = client.keyValueStore(created.id);
    await store.setRecord({ key: 'json', value: { hello: 'world', list: [1, 2] } });
    await store.setRecord({ key: 'text', value: 'plain text ✓', contentType: 'text/plain; charset=utf-8' });
    await store.setRecord({ key: 'bytes', value: Buffer.from([0, 1, 2, 255]) as never, contentType: 'application/octet-stream' });
    await store.setRecord({ key: 'big', value: { blob: 'x'.repeat(50_000) } });
    const json = await store.getRecord('json');
    expect(json?.value).toEqual({ hello: 'world', list: [1, 2] });
    expect(json?.contentType).toMatch(/^application\/json/);
    const text = await store.getRecord('text');
    expect(text?.value).toBe('plain text ✓');
    expect(text?.contentType).toMatch(/^text\/plain/);
    const bytes = await store.getRecord('bytes');
    expect(Buffer.isBuffer(bytes?.value)).toBe(true);
    expect([...(bytes?.value as unknown as Buffer)]).toEqual([0, 1, 2, 255]);
    expect(((await store.getRecord('big'))?.value as { blob: string }).blob).toHaveLength(50_000);
    expect(await store.recordExists('json')).toBe(true);
    expect(await store.recordExists('nope')).toBe(false);
    expect(await store.getRecord('nope')).toBeUndefined();
    const first = await store.listKeys({ limit: 2 });
    expect(first.items.map((item) => item.key)).toEqual(['big', 'bytes']);
    expect(first.isTruncated).toBe(true);
    expect(first.items[1]?.size).toBe(4);
    const second = await store.listKeys({ limit: 2, exclusiveStartKey: first.nextExclusiveStartKey! });
    expect(second.items.map((item) => item.key)).toEqual(['json', 'text']);
    expect(second.isTruncated).toBe(false);
    await store.deleteRecord('json');
    expect(await store.recordExists('json')).toBe(false);
    await store.delete();
    expect(await store.get()).toBeUndefined();
  });

  it('request queues: add, batch add, get, update to handled, list head, lock, prolong, delete lock, unlock, list, delete', async () => {
    const created = await client.requestQueues().getOrCreate('queue');
    const queueA = client.requestQueue(created.id, { clientKey: 'client-a' });
    const queueB = client.requestQueue(created.id, { clientKey: 'client-b' });
    const added = await queueA.addRequest({ url: 'https://example.com/0', uniqueKey: 'https://example.com/0' });
    expect(added).toMatchObject({ wasAlreadyPresent: false, wasAlreadyHandled: false });
    expect((await queueA.addRequest({ url: 'https://example.com/0', uniqueKey: 'https://example.com/0' })).wasAlreadyPresent).toBe(true);
    const urls = Array.from({ length: 30 }, (_, i) => `https://example.com/${i + 1}`);
    // apify-client splits the 30 into batches of 25; one at a time keeps their order.
    const batch = await queueA.batchAddRequests(urls.map((url) => ({ url, uniqueKey: url, userData: { i: url } })), { maxParallel: 1 });
    expect(batch.processedRequests).toHaveLength(30);
    expect(batch.unprocessedRequests).toEqual([]);
    const request = await queueA.getRequest(added.requestId);
    expect(request).toMatchObject({ id: added.requestId, url: 'https://example.com/0', uniqueKey: 'https://example.com/0' });
    const updated = await queueA.updateRequest({ ...request!, handledAt: new Date().toISOString() });
    expect(updated).toMatchObject({ requestId: added.requestId, wasAlreadyPresent: true, wasAlreadyHandled: false });
    expect(await queueA.get()).toMatchObject({ totalRequestCount: 31, handledRequestCount: 1 });
    const head = await queueA.listHead({ limit: 3 });
    expect(head.items.map((item) => item.url)).toEqual(urls.slice(0, 3));
    const locked = await queueA.listAndLockHead({ lockSecs: 60, limit: 2 });
    expect(locked.items.map((item) => item.url)).toEqual(urls.slice(0, 2));
    expect(locked.lockSecs).toBe(60);
    expect(locked.items[0]?.lockExpiresAt).toBeInstanceOf(Date);
    // Another client does not get the locked requests.
    const lockedB = await queueB.listAndLockHead({ lockSecs: 60, limit: 1 });
    expect(lockedB.items.map((item) => item.url)).toEqual([urls[2]]);
    expect((await queueA.listHead({ limit: 1 })).items[0]?.url).toBe(urls[3]);
    const first = locked.items[0]!;
    const prolonged = await queueA.prolongRequestLock(first.id, { lockSecs: 120 });
    expect(prolonged.lockExpiresAt.getTime()).toBeGreaterThan(first.lockExpiresAt!.getTime());
    // Only the holder prolongs or deletes a lock.
    await expect(queueB.prolongRequestLock(first.id, { lockSecs: 10 })).rejects.toThrow();
    await queueA.deleteRequestLock(first.id, { forefront: true });
    expect((await queueA.listHead({ limit: 1 })).items[0]?.id).toBe(first.id);
    const unlocked = await queueA.unlockRequests();
    expect(unlocked.unlockedCount).toBe(1);
    expect((await queueB.unlockRequests()).unlockedCount).toBe(1);
    const listed = await queueA.listRequests({ limit: 100 });
    expect(listed.items).toHaveLength(31);
    expect(listed.items.map((item) => item.id)).toEqual([...listed.items.map((item) => item.id)].sort());
    await queueA.deleteRequest(listed.items[0]!.id);
    expect(await queueA.getRequest(listed.items[0]!.id)).toBeUndefined();
    expect((await queueA.get())?.totalRequestCount).toBe(30);
    await queueA.delete();
    expect(await queueA.get()).toBeUndefined();
  });
});
