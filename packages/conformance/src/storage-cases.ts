import {
  Dataset,
  KeyValueStore,
  RequestQueue,
  datasetMetadataSchema,
  getDefaultStorageClient,
  getDefaultStorageIds,
  keyValueStoreMetadataSchema,
  requestQueueMetadataSchema,
  setDefaultStorageClient,
  setDefaultStorageIds,
  type OpenStorageInput,
  type StorageClient,
  type StorageKind,
  type StorageTarget,
} from '@x/core';
import { describe, expect } from 'vitest';
import { expectStorageError, sleep, type SuiteContext } from './suite-context.js';

/** The metadata fields every kind of storage has. */
interface CommonMetadata {
  readonly id: string;
  readonly name?: string | undefined;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
  readonly accessedAt: Date;
}

/** What the storage cases need of a user-facing storage class. */
interface StorageHandle {
  readonly id: string;
  readonly name: string | undefined;
  readonly storageClient: StorageClient;
  getMetadata(): Promise<CommonMetadata>;
  drop(): Promise<void>;
}

/** One kind of storage, seen the same way by every storage case. */
interface StorageKindCases<S extends StorageHandle> {
  readonly kind: StorageKind;
  readonly label: string;
  open(input?: OpenStorageInput): Promise<S>;
  /** Opens through the raw client contract, bypassing the instance cache of `@x/core`. */
  openRaw(client: StorageClient, target: StorageTarget): Promise<{ getMetadata(): Promise<CommonMetadata> }>;
  list(client: StorageClient): Promise<CommonMetadata[]>;
  /** Validates one listed or returned metadata object against the kind's schema. */
  parseMetadata(metadata: unknown): CommonMetadata;
  /** Writes one thing (an item, a record, a request) into the storage. */
  write(storage: S, n: number): Promise<void>;
  /** How many things the storage holds, from its metadata or a listing. */
  count(storage: S): Promise<number>;
}

const datasetCases: StorageKindCases<Dataset> = {
  kind: 'dataset',
  label: 'Dataset',
  open: (input) => Dataset.open(input),
  openRaw: (client, target) => client.openDataset(target),
  list: (client) => client.listDatasets(),
  parseMetadata: (metadata) => datasetMetadataSchema.parse(metadata),
  write: (dataset, n) => dataset.pushData({ n }),
  count: async (dataset) => (await dataset.getMetadata()).itemCount,
};

const keyValueStoreCases: StorageKindCases<KeyValueStore> = {
  kind: 'keyValueStore',
  label: 'KeyValueStore',
  open: (input) => KeyValueStore.open(input),
  openRaw: (client, target) => client.openKeyValueStore(target),
  list: (client) => client.listKeyValueStores(),
  parseMetadata: (metadata) => keyValueStoreMetadataSchema.parse(metadata),
  write: (store, n) => store.setValue(`record-${n}`, { n }),
  count: async (store) => {
    let count = 0;
    for await (const _ of store.iterateKeys()) count++;
    return count;
  },
};

const requestQueueCases: StorageKindCases<RequestQueue> = {
  kind: 'requestQueue',
  label: 'RequestQueue',
  open: (input) => RequestQueue.open(input),
  openRaw: (client, target) => client.openRequestQueue(target),
  list: (client) => client.listRequestQueues(),
  parseMetadata: (metadata) => requestQueueMetadataSchema.parse(metadata),
  write: async (queue, n) => {
    await queue.addRequest(`https://example.com/page-${n}`);
  },
  count: async (queue) => (await queue.getMetadata()).totalRequestCount,
};

const BAD_NAMES = ['-a', 'a-', 'a_b', 'a'.repeat(64), '', '../x', 'a b', 'a/b', 'ä'];

/** Registers `client` as the default client while `body` runs, then restores the previous one. */
async function withDefaultClient<T>(client: StorageClient, body: () => Promise<T>): Promise<T> {
  let previous: StorageClient | undefined;
  try {
    previous = getDefaultStorageClient();
  } catch {
    previous = undefined;
  }
  setDefaultStorageClient(client);
  try {
    return await body();
  } finally {
    setDefaultStorageClient(previous);
  }
}

function defineKindCases<S extends StorageHandle>(ctx: SuiteContext, k: StorageKindCases<S>): void {
  describe(k.label, () => {
    ctx.test('open with no id or name opens the default storage', async (storageClient) => {
      const storage = await k.open({ storageClient });
      const defaultId = getDefaultStorageIds()[k.kind];
      expect(storage.id).toBe(defaultId);
      expect(storage.name).toBeUndefined();
      expect(storage.storageClient).toBe(storageClient);
      const metadata = k.parseMetadata(await storage.getMetadata());
      expect(metadata.id).toBe(defaultId);
      expect(metadata.name).toBeUndefined();
      expect(await k.count(storage)).toBe(0);
      expect(await k.open({ storageClient })).toBe(storage);
      expect(await k.open({ id: defaultId, storageClient })).toBe(storage);
      expect((await k.list(storageClient)).map((m) => m.id)).toEqual([defaultId]);
    });

    ctx.test('open() without arguments uses the registered default client', async (storageClient) => {
      await withDefaultClient(storageClient, async () => {
        const storage = await k.open();
        expect(storage.storageClient).toBe(storageClient);
        expect(storage.id).toBe(getDefaultStorageIds()[k.kind]);
        await k.write(storage, 1);
        expect(await k.count(storage)).toBe(1);
      });
      expect((await k.list(storageClient)).map((m) => m.id)).toEqual([getDefaultStorageIds()[k.kind]]);
    });

    ctx.test('open by name as a plain string creates the named storage', async (storageClient) => {
      const storage = await withDefaultClient(storageClient, () => k.open('string-named'));
      expect(storage.name).toBe('string-named');
      expect(storage.storageClient).toBe(storageClient);
      const listed = await k.list(storageClient);
      expect(listed).toHaveLength(1);
      expect(listed[0]?.name).toBe('string-named');
      expect(listed[0]?.id).toBe(storage.id);
    });

    ctx.test('open by { name } creates the storage with that name and an id', async (storageClient) => {
      expect(await k.list(storageClient)).toEqual([]);
      const storage = await k.open({ name: 'my-storage', storageClient });
      expect(storage.name).toBe('my-storage');
      expect(typeof storage.id).toBe('string');
      expect(storage.id.length).toBeGreaterThan(0);
      const metadata = k.parseMetadata(await storage.getMetadata());
      expect(metadata.id).toBe(storage.id);
      expect(metadata.name).toBe('my-storage');
      expect(await k.count(storage)).toBe(0);
      const listed = await k.list(storageClient);
      expect(listed.map((m) => [m.id, m.name])).toEqual([[storage.id, 'my-storage']]);
    });

    ctx.test('reopening by name gives the same instance, the same id and the same contents', async (storageClient) => {
      const first = await k.open({ name: 'again', storageClient });
      await k.write(first, 1);
      const second = await k.open({ name: 'again', storageClient });
      expect(second).toBe(first);
      expect(second.id).toBe(first.id);
      const [third, fourth] = await Promise.all([k.open({ name: 'twice', storageClient }), k.open({ name: 'twice', storageClient })]);
      expect(third).toBe(fourth);
      const listed = await k.list(storageClient);
      expect(listed.map((m) => m.name).sort()).toEqual(['again', 'twice']);
      // Through the raw client, opening the name again finds the same storage, not a new one.
      const raw = await k.openRaw(storageClient, { kind: 'name', name: 'again' });
      expect((await raw.getMetadata()).id).toBe(first.id);
      expect(await k.count(first)).toBe(1);
    });

    ctx.test('a named storage opens by its id', async (storageClient) => {
      const named = await k.open({ name: 'by-id', storageClient });
      await k.write(named, 1);
      const byId = await k.open({ id: named.id, storageClient });
      expect(byId).toBe(named);
      expect(byId.name).toBe('by-id');
      // The client itself finds the storage by id, not only the instance cache of the core.
      const raw = await k.openRaw(storageClient, { kind: 'id', id: named.id });
      const metadata = k.parseMetadata(await raw.getMetadata());
      expect(metadata.id).toBe(named.id);
      expect(metadata.name).toBe('by-id');
      expect(await k.list(storageClient)).toHaveLength(1);
    });

    ctx.test('open by an unknown id rejects with not-found and creates nothing', async (storageClient) => {
      await expectStorageError(k.open({ id: 'noSuchStorage0001', storageClient }), 'not-found');
      await expectStorageError(k.openRaw(storageClient, { kind: 'id', id: 'noSuchStorage0002' }), 'not-found');
      expect(await k.list(storageClient)).toEqual([]);
      // A failed open is not cached: the same id still fails.
      await expectStorageError(k.open({ id: 'noSuchStorage0001', storageClient }), 'not-found');
    });

    ctx.test('open with both id and name rejects with invalid-argument', async (storageClient) => {
      const named = await k.open({ name: 'both', storageClient });
      await expectStorageError(k.open({ id: named.id, name: 'both', storageClient }), 'invalid-argument');
      await expectStorageError(k.open({ id: 'x', name: 'other', storageClient }), 'invalid-argument');
      expect((await k.list(storageClient)).map((m) => m.name)).toEqual(['both']);
    });

    ctx.test('bad names reject with invalid-name and create nothing', async (storageClient) => {
      for (const name of BAD_NAMES) {
        await expectStorageError(k.open({ name, storageClient }), 'invalid-name');
      }
      await withDefaultClient(storageClient, async () => {
        await expectStorageError(k.open('-a'), 'invalid-name');
        await expectStorageError(k.open('a_b'), 'invalid-name');
      });
      expect(await k.list(storageClient)).toEqual([]);
    });

    ctx.test('the name "default", in any case, is reserved: invalid-name, and the default storage is untouched', async (storageClient) => {
      // Locally the default storage's folder is `default`, and Crawlee's default storage is named so.
      const defaultStorage = await k.open({ storageClient });
      await k.write(defaultStorage, 1);
      for (const name of ['default', 'DEFAULT', 'Default']) {
        const error = await expectStorageError(k.open({ name, storageClient }), 'invalid-name');
        expect(error.message).toContain('reserved');
        // A plain string is an id or a name, as in Crawlee: `default`, the default id, is the default storage.
        if (name === 'default') expect(await withDefaultClient(storageClient, () => k.open(name))).toBe(defaultStorage);
        else await withDefaultClient(storageClient, () => expectStorageError(k.open(name), 'invalid-name'));
      }
      expect((await k.list(storageClient)).map((m) => [m.id, m.name])).toEqual([[defaultStorage.id, undefined]]);
      expect(await k.count(defaultStorage)).toBe(1);
    });

    ctx.test("a name equal to the id of the run's default storage rejects with invalid-name and creates nothing", async (storageClient) => {
      const previous = getDefaultStorageIds()[k.kind];
      setDefaultStorageIds({ [k.kind]: 'run-default-7' });
      try {
        const error = await expectStorageError(k.open({ name: 'run-default-7', storageClient }), 'invalid-name');
        expect(error.message).toContain('run-default-7');
      } finally {
        setDefaultStorageIds({ [k.kind]: previous });
      }
      expect(await k.list(storageClient)).toEqual([]);
      // Under other default ids the name is an ordinary one.
      const named = await k.open({ name: 'run-default-7', storageClient });
      expect(named.name).toBe('run-default-7');
      expect(named.id).not.toBe('run-default-7');
    });

    ctx.test('bad ids reject with invalid-argument and create nothing', async (storageClient) => {
      for (const id of ['', '../x', 'a/b', 'a\\b', '..']) {
        await expectStorageError(k.open({ id, storageClient }), 'invalid-argument');
      }
      expect(await k.list(storageClient)).toEqual([]);
    });

    ctx.test('names at the limits are accepted', async (storageClient) => {
      const names = ['a', '7', 'a-b', 'A-1-z', 'a'.repeat(63)];
      for (const name of names) {
        const storage = await k.open({ name, storageClient });
        expect(storage.name).toBe(name);
      }
      expect((await k.list(storageClient)).map((m) => m.name).sort()).toEqual([...names].sort());
    });

    ctx.test('drop() deletes a named storage; opening the name again gives a fresh empty one', async (storageClient) => {
      const storage = await k.open({ name: 'to-drop', storageClient });
      await k.write(storage, 1);
      await k.write(storage, 2);
      expect(await k.count(storage)).toBe(2);
      const oldId = storage.id;
      await storage.drop();
      expect(await k.list(storageClient)).toEqual([]);
      const fresh = await k.open({ name: 'to-drop', storageClient });
      expect(fresh).not.toBe(storage);
      expect(fresh.name).toBe('to-drop');
      expect(await k.count(fresh)).toBe(0);
      expect((await k.list(storageClient)).map((m) => m.id)).toEqual([fresh.id]);
      if (fresh.id !== oldId) await expectStorageError(k.open({ id: oldId, storageClient }), 'not-found');
    });

    ctx.test('drop() deletes the default storage; opening it again gives a fresh empty one', async (storageClient) => {
      const storage = await k.open({ storageClient });
      await k.write(storage, 1);
      await storage.drop();
      expect(await k.list(storageClient)).toEqual([]);
      const fresh = await k.open({ storageClient });
      expect(fresh).not.toBe(storage);
      expect(fresh.id).toBe(getDefaultStorageIds()[k.kind]);
      expect(await k.count(fresh)).toBe(0);
    });

    ctx.test('drop() leaves the other storages alone', async (storageClient) => {
      const keep = await k.open({ name: 'keep', storageClient });
      const drop = await k.open({ name: 'drop', storageClient });
      await k.write(keep, 1);
      await k.write(drop, 1);
      await drop.drop();
      expect((await k.list(storageClient)).map((m) => m.name)).toEqual(['keep']);
      expect(await k.count(keep)).toBe(1);
    });

    ctx.test('metadata has id, name and dates with createdAt <= modifiedAt; writes move modifiedAt', async (storageClient) => {
      const storage = await k.open({ name: 'meta', storageClient });
      const before = k.parseMetadata(await storage.getMetadata());
      expect(before.id).toBe(storage.id);
      expect(before.name).toBe('meta');
      for (const date of [before.createdAt, before.modifiedAt, before.accessedAt]) {
        expect(date).toBeInstanceOf(Date);
        expect(Number.isNaN(date.getTime())).toBe(false);
        expect(Math.abs(date.getTime() - Date.now())).toBeLessThan(60_000);
      }
      expect(before.createdAt.getTime()).toBeLessThanOrEqual(before.modifiedAt.getTime());
      expect(before.createdAt.getTime()).toBeLessThanOrEqual(before.accessedAt.getTime());
      await sleep(20);
      await k.write(storage, 1);
      const after = k.parseMetadata(await storage.getMetadata());
      expect(after.id).toBe(before.id);
      expect(after.createdAt.getTime()).toBe(before.createdAt.getTime());
      expect(after.modifiedAt.getTime()).toBeGreaterThan(before.modifiedAt.getTime());
      expect(after.createdAt.getTime()).toBeLessThanOrEqual(after.modifiedAt.getTime());
      expect(await k.count(storage)).toBe(1);
    });

    ctx.test('the list method lists every storage opened, with valid metadata', async (storageClient) => {
      const defaultStorage = await k.open({ storageClient });
      const first = await k.open({ name: 'first', storageClient });
      const second = await k.open({ name: 'second', storageClient });
      await k.write(first, 1);
      const listed = (await k.list(storageClient)).map((m) => k.parseMetadata(m));
      expect(listed).toHaveLength(3);
      const byId = new Map(listed.map((m) => [m.id, m]));
      expect(byId.get(defaultStorage.id)?.name).toBeUndefined();
      expect(byId.get(first.id)?.name).toBe('first');
      expect(byId.get(second.id)?.name).toBe('second');
    });

    ctx.test('a new client does not see the storages of another', async (storageClient) => {
      const storage = await k.open({ name: 'private', storageClient });
      await k.write(storage, 1);
      const other = await ctx.createExtraClient();
      expect(await k.list(other)).toEqual([]);
      const otherStorage = await k.open({ name: 'private', storageClient: other });
      expect(otherStorage).not.toBe(storage);
      expect(await k.count(otherStorage)).toBe(0);
      expect(await k.count(storage)).toBe(1);
    });

    ctx.test(
      'storages outlive the client object (persistent clients)',
      async (storageClient) => {
        const storage = await k.open({ name: 'lasting', storageClient });
        await k.write(storage, 1);
        await k.write(storage, 2);
        const reopened = await ctx.options.reopenClient!(storageClient);
        const again = await k.open({ name: 'lasting', storageClient: reopened });
        expect(again.id).toBe(storage.id);
        expect(await k.count(again)).toBe(2);
        expect((await k.list(reopened)).map((m) => m.id)).toEqual([storage.id]);
      },
      { skip: !ctx.capabilities.persistent || ctx.options.reopenClient === undefined },
    );
  });
}

/** The cases every kind of storage shares: opening, naming, ids, metadata, listing and dropping. */
export function defineStorageCases(ctx: SuiteContext): void {
  describe('storages', () => {
    defineKindCases(ctx, datasetCases);
    defineKindCases(ctx, keyValueStoreCases);
    defineKindCases(ctx, requestQueueCases);
  });
}
