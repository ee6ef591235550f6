import { KeyValueStore, StorageError, eventBus, setDefaultStorageClient } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

// The names and signatures of Crawlee's and the Apify SDK's `KeyValueStore` work as equals of ours.

afterEach(() => setDefaultStorageClient(undefined));

describe('KeyValueStore.forEachKey', () => {
  it('calls the iteratee with every key in order, its index and { size }, one call at a time', async () => {
    const store = await KeyValueStore.open({ storageClient: new MemoryStorageClient() });
    const keys = Array.from({ length: 1205 }, (_, i) => `key-${String(i).padStart(4, '0')}`);
    for (const key of keys) await store.setValue(key, key === 'key-0000' ? 'hello' : { key });
    const seen: [string, number, number, string][] = [];
    let running = 0;
    await store.forEachKey(async (key, index, info) => {
      running++;
      expect(running).toBe(1);
      if (index % 400 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push([key, index, info.size, info.contentType]);
      running--;
    });
    // Past one page of keys (1000), in ascending order, indexes from 0.
    expect(seen.map(([key]) => key)).toEqual(keys);
    expect(seen.map(([, index]) => index)).toEqual(keys.map((_, i) => i));
    expect(seen[0]).toEqual(['key-0000', 0, 5, 'text/plain; charset=utf-8']);
    expect(seen[1]).toEqual(['key-0001', 1, Buffer.byteLength(JSON.stringify({ key: 'key-0001' })), 'application/json; charset=utf-8']);
  });

  it('takes exclusiveStartKey and prefix; the index still starts at 0', async () => {
    const store = await KeyValueStore.open({ storageClient: new MemoryStorageClient() });
    for (const key of ['a-1', 'a-2', 'a-3', 'b-1', 'b-2']) await store.setValue(key, 1);
    const after: [string, number][] = [];
    await store.forEachKey((key, index) => void after.push([key, index]), { exclusiveStartKey: 'a-2' });
    expect(after).toEqual([
      ['a-3', 0],
      ['b-1', 1],
      ['b-2', 2],
    ]);
    const prefixed: string[] = [];
    await store.forEachKey((key) => void prefixed.push(key), { prefix: 'b-' });
    expect(prefixed).toEqual(['b-1', 'b-2']);
  });

  it('stops at the first throw and rejects with it', async () => {
    const store = await KeyValueStore.open({ storageClient: new MemoryStorageClient() });
    for (const key of ['k1', 'k2', 'k3']) await store.setValue(key, key);
    const seen: string[] = [];
    const failure = new Error('enough');
    await expect(
      store.forEachKey((key) => {
        seen.push(key);
        if (key === 'k2') throw failure;
      }),
    ).rejects.toBe(failure);
    expect(seen).toEqual(['k1', 'k2']);
    await expect(store.forEachKey(undefined as never)).rejects.toThrow(StorageError);
  });
});

describe('KeyValueStore.open(idOrName, options)', () => {
  it('opens by a name (created when missing) or by the id of an existing store, on the client of the second argument', async () => {
    const storageClient = new MemoryStorageClient();
    const registered = new MemoryStorageClient();
    setDefaultStorageClient(registered);
    const byName = await KeyValueStore.open('my-store', { storageClient });
    expect(byName.name).toBe('my-store');
    expect(byName.storageClient).toBe(storageClient);
    await byName.setValue('state', { page: 3 });
    expect(await KeyValueStore.open(byName.id, { storageClient })).toBe(byName);
    expect(await KeyValueStore.open({ name: 'my-store', storageClient })).toBe(byName);
    // A store no frontend opened yet, found by its id.
    const { id } = await (await storageClient.openKeyValueStore({ kind: 'name', name: 'from-client' })).getMetadata();
    const byId = await KeyValueStore.open(id, { storageClient });
    expect(byId.name).toBe('from-client');
    // Without the second argument, the default client, as before.
    expect((await KeyValueStore.open('my-store')).storageClient).toBe(registered);
    expect(await registered.listKeyValueStores()).toHaveLength(1);
    expect((await KeyValueStore.open(null, { storageClient })).id).toBe('default');
  });
});

describe('KeyValueStore.getAutoSavedValue without a default', () => {
  it('starts from {} as in Crawlee, and is saved on persistState', async () => {
    const store = await KeyValueStore.open({ storageClient: new MemoryStorageClient() });
    const state = await store.getAutoSavedValue<{ page?: number }>('STATE');
    expect(state).toEqual({});
    state.page = 7;
    await eventBus.emitAndWait('persistState', { isMigrating: false });
    expect(await store.getValue('STATE')).toEqual({ page: 7 });
    await store.drop();
  });
});
