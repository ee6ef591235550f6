// Names and the ids of storages without a name are one namespace in every local client, because on
// disk a storage's folder is its name, or its id when it has none (@x/fs-client). The memory client
// keeps the same rules, so that a program behaves the same on either.
import { Dataset, KeyValueStore, RequestQueue, StorageError, setDefaultStorageIds, type StorageErrorCode } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

async function expectRejection(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(StorageError.is(thrown), `expected a StorageError, got ${String(thrown)}`).toBe(true);
  expect((thrown as StorageError).code).toBe(code);
  return thrown as StorageError;
}

afterEach(() => {
  setDefaultStorageIds({ dataset: 'default', keyValueStore: 'default', requestQueue: 'default' });
});

describe('storage names and the ids of storages without a name', () => {
  it('a name that is the id of a storage without a name (a default storage of other default ids) is invalid-name', async () => {
    const storageClient = new MemoryStorageClient();
    setDefaultStorageIds({ dataset: 'abc' });
    const earlierDefault = await Dataset.open({ storageClient });
    await earlierDefault.pushData({ n: 1 });
    expect(earlierDefault.id).toBe('abc');
    setDefaultStorageIds({ dataset: 'default' });

    const error = await expectRejection(Dataset.open({ name: 'abc', storageClient }), 'invalid-name');
    expect(error.message).toContain('"abc"');
    // The raw client contract refuses it too (a server passes names straight to it).
    await expectRejection(storageClient.openDataset({ kind: 'name', name: 'abc' }), 'invalid-name');
    // A storage made without a name under an id (as the server's POST /v2/key-value-stores does).
    await storageClient.openKeyValueStore({ kind: 'default', id: 'unnamed1' });
    await expectRejection(storageClient.openKeyValueStore({ kind: 'name', name: 'unnamed1' }), 'invalid-name');
    // The storage is where it was, by its id, and no storage was made.
    expect((await (await Dataset.open({ id: 'abc', storageClient })).getData()).items).toEqual([{ n: 1 }]);
    expect((await storageClient.listDatasets()).map((m) => [m.id, m.name])).toEqual([['abc', undefined]]);
  });

  it('a name that is the id of a named storage is an ordinary name (their folders differ)', async () => {
    const storageClient = new MemoryStorageClient();
    const first = await RequestQueue.open({ name: 'first', storageClient });
    const second = await RequestQueue.open({ name: first.id, storageClient });
    expect(second).not.toBe(first);
    expect(second.name).toBe(first.id);
  });

  it('a default storage whose id is the name of a storage is that storage, as in a folder on disk', async () => {
    const storageClient = new MemoryStorageClient();
    const named = await KeyValueStore.open({ name: 'shared', storageClient });
    await named.setValue('k', 'v');
    const raw = await storageClient.openKeyValueStore({ kind: 'default', id: 'shared' });
    expect((await raw.getMetadata()).id).toBe(named.id);
    expect(await raw.getRecord('k')).toMatchObject({ body: 'v' });
    expect(await storageClient.listKeyValueStores()).toHaveLength(1);
  });
});
