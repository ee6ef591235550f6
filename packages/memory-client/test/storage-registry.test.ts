import { afterEach, describe, expect, it } from 'vitest';
import {
  Dataset,
  KeyValueStore,
  RequestQueue,
  StorageError,
  getDefaultStorageClient,
  eventBus,
  getDefaultStorageIds,
  releaseStorages,
  resolveOpenInput,
  setDefaultStorageClient,
  setDefaultStorageIds,
  type StorageErrorCode,
} from '@x/core';
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
  setDefaultStorageClient(undefined);
  setDefaultStorageIds({ dataset: 'default', keyValueStore: 'default', requestQueue: 'default' });
});

describe('the default storage client', () => {
  it('is missing until one is registered: open() fails with client-missing naming @x/memory-client', async () => {
    expect(() => getDefaultStorageClient()).toThrow(StorageError);
    for (const open of [() => Dataset.open(), () => KeyValueStore.open({ name: 'x' }), () => RequestQueue.open('q')]) {
      const error = await expectRejection(open(), 'client-missing');
      expect(error.message).toContain('@x/memory-client');
      expect(error.message).toContain('setDefaultStorageClient');
    }
  });

  it('is used by open() once registered', async () => {
    const client = new MemoryStorageClient();
    setDefaultStorageClient(client);
    expect(getDefaultStorageClient()).toBe(client);
    const dataset = await Dataset.open();
    expect(dataset.id).toBe('default');
    expect(dataset.name).toBeUndefined();
    expect(dataset.storageClient).toBe(client);
    await dataset.pushData({ a: 1 });
    expect((await dataset.getData()).items).toEqual([{ a: 1 }]);
  });

  it('can be unregistered again', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    await Dataset.open();
    setDefaultStorageClient(undefined);
    await expectRejection(Dataset.open(), 'client-missing');
  });

  it('is not needed when open() is given a client', async () => {
    const storageClient = new MemoryStorageClient();
    const store = await KeyValueStore.open({ name: 'explicit', storageClient });
    expect(store.storageClient).toBe(storageClient);
    expect(store.name).toBe('explicit');
  });
});

describe('the instance cache', () => {
  it('gives the same instance for the same name opened twice', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const a = await Dataset.open('results');
    const b = await Dataset.open({ name: 'results' });
    expect(b).toBe(a);
    expect(a.name).toBe('results');
    expect(await KeyValueStore.open('state')).toBe(await KeyValueStore.open('state'));
    expect(await RequestQueue.open('queue')).toBe(await RequestQueue.open({ name: 'queue' }));
  });

  it('gives the same instance to concurrent opens of the same name', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const opened = await Promise.all([Dataset.open('same'), Dataset.open('same'), Dataset.open({ name: 'same' })]);
    expect(opened[1]).toBe(opened[0]);
    expect(opened[2]).toBe(opened[0]);
    const queues = await Promise.all([RequestQueue.open('q'), RequestQueue.open('q')]);
    expect(queues[1]).toBe(queues[0]);
  });

  it('gives the same instance when a named storage is opened by its id', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const byName = await KeyValueStore.open('named-store');
    expect(byName.id).not.toBe('named-store');
    const byId = await KeyValueStore.open({ id: byName.id });
    expect(byId).toBe(byName);
    expect(await KeyValueStore.open('named-store')).toBe(byName);
  });

  it('gives the same instance when a named storage is opened by id first and by name after', async () => {
    const storageClient = new MemoryStorageClient();
    setDefaultStorageClient(storageClient);
    // The storage exists on the client, but no frontend has opened it yet.
    const { id } = await (await storageClient.openDataset({ kind: 'name', name: 'made-elsewhere' })).getMetadata();
    const byId = await Dataset.open({ id });
    expect(byId.name).toBe('made-elsewhere');
    const byName = await Dataset.open('made-elsewhere');
    expect(byName).toBe(byId);
    await byName.drop();
    const reopened = await Dataset.open('made-elsewhere');
    expect(reopened).not.toBe(byId);
    expect(reopened.id).not.toBe(id);
  });

  it('gives the same instance to concurrent opens by name and by id', async () => {
    const storageClient = new MemoryStorageClient();
    setDefaultStorageClient(storageClient);
    const { id } = await (await storageClient.openKeyValueStore({ kind: 'name', name: 'both-ways' })).getMetadata();
    const [byName, byId, again] = await Promise.all([KeyValueStore.open('both-ways'), KeyValueStore.open({ id }), KeyValueStore.open('both-ways')]);
    expect(byId).toBe(byName);
    expect(again).toBe(byName);
  });

  it('gives the same instance for the default storage opened with and without its id', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const implicit = await RequestQueue.open();
    expect(await RequestQueue.open(null)).toBe(implicit);
    expect(await RequestQueue.open({})).toBe(implicit);
    expect(await RequestQueue.open({ id: 'default' })).toBe(implicit);
  });

  it('keeps kinds apart: a dataset and a store of the same name are different storages', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const dataset = await Dataset.open('shared-name');
    const store = await KeyValueStore.open('shared-name');
    expect(dataset).toBeInstanceOf(Dataset);
    expect(store).toBeInstanceOf(KeyValueStore);
  });

  it('keeps clients apart: the same name on two clients gives two storages', async () => {
    const first = new MemoryStorageClient();
    const second = new MemoryStorageClient();
    const a = await Dataset.open({ name: 'n', storageClient: first });
    const b = await Dataset.open({ name: 'n', storageClient: second });
    expect(b).not.toBe(a);
    await a.pushData({ x: 1 });
    expect((await b.getData()).total).toBe(0);
  });

  it('gives a new instance after drop', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const first = await Dataset.open('temp');
    await first.pushData({ a: 1 });
    await first.drop();
    const second = await Dataset.open('temp');
    expect(second).not.toBe(first);
    expect(second.id).not.toBe(first.id);
    expect((await second.getData()).total).toBe(0);
    // The old id is gone: opening it does not give back the dropped instance.
    await expectRejection(Dataset.open({ id: first.id }), 'not-found');
    expect(await Dataset.open('temp')).toBe(second);
  });

  it('gives a new instance after the default storage is dropped', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const first = await KeyValueStore.open();
    await first.setValue('k', 'v');
    await first.drop();
    const second = await KeyValueStore.open();
    expect(second).not.toBe(first);
    expect(second.id).toBe('default');
    expect(await second.getValue('k')).toBeNull();
  });

  it('forgets a named storage under both its name and its id after drop', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const first = await RequestQueue.open('drop-me');
    expect(await RequestQueue.open({ id: first.id })).toBe(first);
    await first.drop();
    await expectRejection(RequestQueue.open({ id: first.id }), 'not-found');
    const second = await RequestQueue.open('drop-me');
    expect(second).not.toBe(first);
  });

  it('does not cache a failed open', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    await expectRejection(Dataset.open({ id: 'does-not-exist' }), 'not-found');
    await expectRejection(Dataset.open({ id: 'does-not-exist' }), 'not-found');
  });
});

describe('default storage ids', () => {
  it('are "default" unless set', () => {
    expect(getDefaultStorageIds()).toEqual({ dataset: 'default', keyValueStore: 'default', requestQueue: 'default' });
  });

  it('setDefaultStorageIds changes which id open() opens by default, per kind', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    setDefaultStorageIds({ dataset: 'run-dataset-1' });
    expect(getDefaultStorageIds()).toEqual({ dataset: 'run-dataset-1', keyValueStore: 'default', requestQueue: 'default' });
    const dataset = await Dataset.open();
    expect(dataset.id).toBe('run-dataset-1');
    expect(await Dataset.open({ id: 'run-dataset-1' })).toBe(dataset);
    expect((await KeyValueStore.open()).id).toBe('default');

    setDefaultStorageIds({ keyValueStore: 'run-kvs-1', requestQueue: 'run-rq-1' });
    expect((await KeyValueStore.open()).id).toBe('run-kvs-1');
    expect((await RequestQueue.open()).id).toBe('run-rq-1');
    expect((await Dataset.open()).id).toBe('run-dataset-1');
  });

  it('skips undefined entries and rejects bad ids with invalid-argument', () => {
    setDefaultStorageIds({ dataset: 'kept' });
    setDefaultStorageIds({ dataset: undefined as unknown as string });
    expect(getDefaultStorageIds().dataset).toBe('kept');
    expect(() => setDefaultStorageIds({ keyValueStore: 'a/b' })).toThrow(StorageError);
    expect(() => setDefaultStorageIds({ keyValueStore: '' })).toThrow(StorageError);
    expect(getDefaultStorageIds().keyValueStore).toBe('default');
  });

  it('getDefaultStorageIds gives a copy', () => {
    const ids = getDefaultStorageIds() as Record<string, string>;
    ids['dataset'] = 'changed';
    expect(getDefaultStorageIds().dataset).toBe('default');
  });
});

describe('open() arguments', () => {
  it('rejects id and name together with invalid-argument', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    const error = await expectRejection(Dataset.open({ id: 'default', name: 'x' }), 'invalid-argument');
    expect(error.message).toContain('not both');
    await expectRejection(KeyValueStore.open({ id: 'a', name: 'b', storageClient: new MemoryStorageClient() }), 'invalid-argument');
    await expectRejection(RequestQueue.open({ id: 'a', name: 'b' }), 'invalid-argument');
  });

  it('rejects a bad name with invalid-name and a bad id with invalid-argument', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    await expectRejection(Dataset.open('bad_name'), 'invalid-name');
    await expectRejection(Dataset.open({ name: '-x' }), 'invalid-name');
    await expectRejection(Dataset.open({ id: '../escape' }), 'invalid-argument');
    await expectRejection(Dataset.open({ id: '' }), 'invalid-argument');
  });

  it('rejects something that is neither a name nor options with invalid-argument', async () => {
    setDefaultStorageClient(new MemoryStorageClient());
    await expectRejection(Dataset.open(42 as unknown as string), 'invalid-argument');
  });

  it('opens an unknown id as not-found, and does not create it', async () => {
    const storageClient = new MemoryStorageClient();
    await expectRejection(Dataset.open({ id: 'missing', storageClient }), 'not-found');
    expect(await storageClient.listDatasets()).toEqual([]);
  });

  it('resolveOpenInput maps input to targets', () => {
    const client = new MemoryStorageClient();
    expect(resolveOpenInput('dataset', { storageClient: client }).target).toEqual({ kind: 'default', id: 'default' });
    expect(resolveOpenInput('dataset', { name: 'n', storageClient: client }).target).toEqual({ kind: 'name', name: 'n' });
    expect(resolveOpenInput('dataset', { id: 'abc', storageClient: client }).target).toEqual({ kind: 'id', id: 'abc' });
    expect(resolveOpenInput('dataset', { id: 'default', storageClient: client }).target).toEqual({ kind: 'default', id: 'default' });
    setDefaultStorageClient(client);
    expect(resolveOpenInput('keyValueStore', 'by-name')).toEqual({ client, target: { kind: 'name', name: 'by-name' } });
    expect(resolveOpenInput('requestQueue', undefined)).toEqual({ client, target: { kind: 'default', id: 'default' } });
  });
});

describe('releaseStorages', () => {
  it('stops auto-saving the released stores and makes open() give new instances', async () => {
    const storageClient = new MemoryStorageClient();
    const store = await KeyValueStore.open({ name: 'released', storageClient });
    const state = await store.getAutoSavedValue('STATE', { n: 0 });
    state.n = 1;
    await eventBus.emitAndWait('persistState', { isMigrating: false });
    expect(await store.getValue('STATE')).toEqual({ n: 1 });

    await releaseStorages(storageClient);
    state.n = 2;
    await eventBus.emitAndWait('persistState', { isMigrating: false });
    const reopened = await KeyValueStore.open({ name: 'released', storageClient });
    expect(reopened).not.toBe(store);
    expect(reopened.id).toBe(store.id);
    expect(await reopened.getValue('STATE')).toEqual({ n: 1 });
  });

  it('leaves the storages of other clients alone', async () => {
    const kept = new MemoryStorageClient();
    const released = new MemoryStorageClient();
    const keptStore = await KeyValueStore.open({ name: 'kept', storageClient: kept });
    const state = await keptStore.getAutoSavedValue('STATE', { n: 0 });
    await releaseStorages(released);
    state.n = 5;
    await eventBus.emitAndWait('persistState', { isMigrating: false });
    expect(await keptStore.getValue('STATE')).toEqual({ n: 5 });
    expect(await KeyValueStore.open({ name: 'kept', storageClient: kept })).toBe(keptStore);
  });
});
