// No key, request id or storage name may map to a file or folder of the layout that is not its own:
// a store's `__metadata__.json`, a record's `<key>.__metadata__.json` sidecar, another key's value
// file, a queue's metadata or index, the run's default storage. Each case goes through the public
// API and a new client on the same folder (as the next process would open it).
// File names are case-sensitive on Linux, where this runs: keys differing in case are different files.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, KeyValueStore, Request, RequestQueue, StorageError, setDefaultStorageIds, type StorageErrorCode } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  setDefaultStorageIds({ dataset: 'default', keyValueStore: 'default', requestQueue: 'default' });
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x-fs-collisions-'));
  dirs.push(dir);
  return dir;
}

function client(storageDir: string, warnings: string[] = [], queueSnapshotMinRequests?: number): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, queueSnapshotMinRequests, logger: { warn: (message) => void warnings.push(message) } });
}

async function expectRejection(action: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  let thrown: unknown;
  try {
    await action;
  } catch (error) {
    thrown = error;
  }
  expect(StorageError.is(thrown), `expected a StorageError "${code}", got ${String(thrown)}`).toBe(true);
  expect((thrown as StorageError).code, (thrown as Error).message).toBe(code);
  return thrown as StorageError;
}

async function keysOf(store: KeyValueStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.iterateKeys()) keys.push(key);
  return keys;
}

describe('record keys never collide with the layout', () => {
  it('keys with a __metadata__ part are refused, and the store and its records are intact in the next process', async () => {
    const dir = newDir();
    const store = await KeyValueStore.open({ name: 'store', storageClient: client(dir) });
    await store.setValue('foo', { kept: true });
    const storeDir = join(dir, 'key_value_stores', 'store');
    const files = readdirSync(storeDir).sort();
    // As JSON, `foo.__metadata__` is the file `foo.__metadata__.json`: the sidecar saying what `foo` is.
    await expectRejection(store.setValue('foo.__metadata__', { key: 'foo', contentType: 'text/plain' }), 'invalid-key');
    // As JSON, `__metadata__` is `__metadata__.json`: the store's own metadata.
    await expectRejection(store.setValue('__metadata__', { id: 'someone-else', name: 'other' }), 'invalid-key');
    expect(readdirSync(storeDir).sort()).toEqual(files);

    const warnings: string[] = [];
    const again = await KeyValueStore.open({ name: 'store', storageClient: client(dir, warnings) });
    expect(again.id).toBe(store.id);
    expect(await keysOf(again)).toEqual(['foo']);
    expect(await again.getValue('foo')).toEqual({ kept: true });
    expect((await again.getMetadata()).name).toBe('store');
    expect(warnings).toEqual([]);
  });

  it("a sidecar whose value file is gone does not take another key's file: key a.json vs key a as JSON", async () => {
    const dir = newDir();
    const store = await KeyValueStore.open({ storageClient: client(dir) });
    await store.setValue('a', { of: 'a' }); // a.json
    await store.setValue('a.json', Buffer.from('bytes of a.json')); // a.json.bin, a.json.__metadata__.json
    // What a process killed while deleting `a.json` leaves (the value file first, then the sidecar),
    // or a delete whose sidecar could not be removed.
    unlinkSync(join(dir, 'key_value_stores', 'default', 'a.json.bin'));

    const again = await KeyValueStore.open({ storageClient: client(dir, []) });
    expect(await keysOf(again)).toEqual(['a']);
    expect(await again.getValue('a.json')).toBeNull();
    expect(await again.getValue('a')).toEqual({ of: 'a' });
    // Deleting `a.json` now is deleting nothing, and `a` stays.
    await again.setValue('a.json', null);
    expect(await again.getValue('a')).toEqual({ of: 'a' });
    expect(await keysOf(await KeyValueStore.open({ storageClient: client(dir, []) }))).toEqual(['a']);
  });

  it('a key as long as a file name allows takes a content type with the longest extension, and reads back', async () => {
    const dir = newDir();
    const store = await KeyValueStore.open({ storageClient: client(dir) });
    const contentType = 'message/disposition-notification'; // extension: disposition-notification
    for (const length of [229, 230, 231, 237, 256]) await store.setValue('k'.repeat(length), Buffer.from(`${length}`), { contentType });
    const again = await KeyValueStore.open({ storageClient: client(dir) });
    for (const length of [229, 230, 231, 237, 256]) expect(await again.getValue('k'.repeat(length))).toEqual(Buffer.from(`${length}`));
    for await (const info of again.iterateKeys()) expect(info.contentType).toBe(contentType);
  });
});

describe('a key written under two file-name stems', () => {
  it('is one record (keys of 231 to 237 bytes had their whole key as stem before), and a delete deletes it for good', async () => {
    const dir = newDir();
    const key = 'k'.repeat(231);
    const storeDir = join(dir, 'key_value_stores', 'default');
    const writeOldFiles = (): void => {
      writeFileSync(join(storeDir, `${key}.json`), JSON.stringify({ v: 'old' }));
      writeFileSync(join(storeDir, `${key}.__metadata__.json`), JSON.stringify({ key, contentType: 'application/json; charset=utf-8', extension: 'json' }));
    };
    mkdirSync(storeDir, { recursive: true });
    writeOldFiles();
    const store = await KeyValueStore.open({ storageClient: client(dir) });
    expect(await store.getValue(key)).toEqual({ v: 'old' });
    await store.setValue(key, { v: 'new' });
    expect(readdirSync(storeDir).filter((name) => name.startsWith(`${key}.`))).toEqual([]);
    // A process killed after it wrote the new files, before it removed the old ones, leaves both.
    writeOldFiles();

    const warnings: string[] = [];
    const again = await KeyValueStore.open({ storageClient: client(dir, warnings) });
    expect(await keysOf(again)).toEqual([key]);
    expect(warnings.some((warning) => warning.includes('a write was interrupted'))).toBe(true);
    await again.setValue(key, null);
    expect(await keysOf(await KeyValueStore.open({ storageClient: client(dir, []) }))).toEqual([]);
  });
});

describe('request ids never collide with the layout', () => {
  function requestData(url: string, id: string): ReturnType<Request['toData']> {
    return { ...Request.fromUrl(url).toData(), id };
  }

  it('an id that would be the metadata file (__metadata__) is refused through the client contract, and nothing is written', async () => {
    const dir = newDir();
    const storageClient = client(dir);
    const queue = await RequestQueue.open({ name: 'queue', storageClient });
    await queue.addRequest('https://example.com/1');
    storageClient.flush();
    const raw = await storageClient.openRequestQueue({ kind: 'name', name: 'queue' });
    const queueDir = join(dir, 'request_queues', 'queue');
    const files = readdirSync(queueDir).sort();
    for (const id of ['__metadata__', '.x-index', '.__metadata__.json.1.1.x-tmp']) {
      await expectRejection(raw.addRequests([requestData('https://example.com/2', id)], { forefront: false }), 'invalid-argument');
    }
    expect(readdirSync(queueDir).sort()).toEqual(files);
    storageClient.flush();

    const warnings: string[] = [];
    const again = await RequestQueue.open({ name: 'queue', storageClient: client(dir, warnings) });
    expect(again.id).toBe(queue.id);
    expect(await again.getMetadata()).toMatchObject({ name: 'queue', totalRequestCount: 1, pendingRequestCount: 1 });
    expect((await again.fetchNextRequest())?.url).toBe('https://example.com/1');
    expect(warnings).toEqual([]);
  });

  it('a snapshot naming __metadata__ as a request is not trusted: the request files are read', async () => {
    const dir = newDir();
    const writer = client(dir, [], 5);
    const queue = await RequestQueue.open({ name: 'big', storageClient: writer });
    await queue.addRequests(Array.from({ length: 6 }, (_, i) => `https://example.com/${i}`));
    writer.flush();
    const snapshotPath = join(dir, 'request_queues', 'big', '.x-index', 'queue-snapshot.txt');
    const [header = '', ...lines] = readFileSync(snapshotPath, 'utf8').split('\n');
    const [magic, version, stamp] = header.split(' ');
    // A damaged (or foreign) snapshot that counts the metadata file as a pending request.
    writeFileSync(snapshotPath, [`${magic} ${version} ${stamp} 7`, '__metadata__\t1', ...lines].join('\n'));

    const warnings: string[] = [];
    const again = await RequestQueue.open({ name: 'big', storageClient: client(dir, warnings, 5) });
    expect(await again.getMetadata()).toMatchObject({ totalRequestCount: 6, pendingRequestCount: 6 });
    const urls: string[] = [];
    for (let r = await again.fetchNextRequest(); r; r = await again.fetchNextRequest()) urls.push(r.url);
    expect(urls.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `https://example.com/${i}`).sort());
    expect(warnings.some((warning) => warning.includes('__metadata__'))).toBe(true);
  });
});

describe('storage names never take the folder of another storage', () => {
  it("a name that is the folder of the default storage of an earlier run (other default ids) is invalid-name; the data stays the other storage's", async () => {
    const dir = newDir();
    // Run 1: ACTOR_DEFAULT_DATASET_ID=abc.
    setDefaultStorageIds({ dataset: 'abc' });
    await (await Dataset.open({ storageClient: client(dir) })).pushData({ run: 1 });
    // Run 2: the usual default ids; a storage named `abc` would be the folder datasets/abc.
    setDefaultStorageIds({ dataset: 'default' });
    const storageClient = client(dir);
    const error = await expectRejection(Dataset.open({ name: 'abc', storageClient }), 'invalid-name');
    expect(error.message).toContain('"abc"');
    await expectRejection(storageClient.openDataset({ kind: 'name', name: 'abc' }), 'invalid-name');
    const byId = await Dataset.open({ id: 'abc', storageClient });
    expect(byId.name).toBeUndefined();
    expect((await byId.getData()).items).toEqual([{ run: 1 }]);
    expect((await storageClient.listDatasets()).map((m) => [m.id, m.name])).toEqual([['abc', undefined]]);
  });

  it('a name that is the folder of the default storage, live in this process, is invalid-name through the client contract', async () => {
    const dir = newDir();
    const storageClient = client(dir);
    const queue = await RequestQueue.open({ storageClient });
    await queue.addRequest('https://example.com/default');
    await expectRejection(storageClient.openRequestQueue({ kind: 'name', name: 'default' }), 'invalid-name');
    expect((await storageClient.listRequestQueues()).map((m) => [m.id, m.name])).toEqual([['default', undefined]]);
    // The next process opens the same default queue, unnamed.
    const again = await RequestQueue.open({ storageClient: client(dir) });
    expect(again.name).toBeUndefined();
    expect((await again.getMetadata()).totalRequestCount).toBe(1);
  });

  it('a name whose folder holds a storage named otherwise is invalid-name', async () => {
    const dir = newDir();
    await (await KeyValueStore.open({ name: 'original', storageClient: client(dir) })).setValue('k', 'v');
    // The folder copied (or renamed) by hand: its metadata still names it "original".
    cpSync(join(dir, 'key_value_stores', 'original'), join(dir, 'key_value_stores', 'copy'), { recursive: true });
    const error = await expectRejection(KeyValueStore.open({ name: 'copy', storageClient: client(dir) }), 'invalid-name');
    expect(error.message).toContain('"original"');
  });
});
