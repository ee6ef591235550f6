import { Dataset, KeyValueStore, RequestQueue, purgeDefaultStorages } from '@x/core';
import { describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

describe('purgeDefaultStorages', () => {
  it('empties the default storages, keeps INPUT and the named storages', async () => {
    const storageClient = new MemoryStorageClient();
    const dataset = await Dataset.open({ storageClient });
    await dataset.pushData([{ a: 1 }, { a: 2 }]);
    const queue = await RequestQueue.open({ storageClient });
    await queue.addRequest('https://example.com/1');
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('INPUT', { start: 'https://example.com' });
    await store.setValue('STATE', { page: 3 });
    await store.setValue('OUTPUT', 'done');
    const named = await Dataset.open({ name: 'keep-me', storageClient });
    await named.pushData({ kept: true });
    const namedStore = await KeyValueStore.open({ name: 'keep-store', storageClient });
    await namedStore.setValue('STATE', 1);

    await purgeDefaultStorages(storageClient);

    const freshDataset = await Dataset.open({ storageClient });
    expect((await freshDataset.getMetadata()).itemCount).toBe(0);
    const freshQueue = await RequestQueue.open({ storageClient });
    expect(await freshQueue.isFinished()).toBe(true);
    expect((await freshQueue.getMetadata()).totalRequestCount).toBe(0);
    const keys: string[] = [];
    for await (const { key } of store.iterateKeys()) keys.push(key);
    expect(keys).toEqual(['INPUT']);
    expect(await store.getValue('INPUT')).toEqual({ start: 'https://example.com' });
    expect((await Dataset.open({ name: 'keep-me', storageClient })).id).toBe(named.id);
    expect((await named.getData()).items).toEqual([{ kept: true }]);
    expect(await namedStore.getValue('STATE')).toBe(1);
  });

  it('keeps a custom input key', async () => {
    const storageClient = new MemoryStorageClient();
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('MY-INPUT', 'x');
    await store.setValue('INPUT', 'y');
    await purgeDefaultStorages(storageClient, { inputKey: 'MY-INPUT' });
    expect(await store.getValue('MY-INPUT')).toBe('x');
    expect(await store.getValue('INPUT')).toBeNull();
  });
});
