import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, KeyValueStore, RequestQueue, purgeDefaultStorages } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x-fs-purge-'));
  dirs.push(dir);
  return dir;
}

function newClient(storageDir: string): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

/** Fills the default storages (with an INPUT) and a named storage of each kind. */
async function fill(storageDir: string): Promise<void> {
  const storageClient = newClient(storageDir);
  await (await Dataset.open({ storageClient })).pushData([{ a: 1 }, { a: 2 }, { a: 3 }]);
  const queue = await RequestQueue.open({ storageClient });
  await queue.addRequests(['https://example.com/1', 'https://example.com/2', 'https://example.com/3']);
  await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
  await queue.fetchNextRequest(); // left in progress
  const store = await KeyValueStore.open({ storageClient });
  await store.setValue('INPUT', { startUrls: ['https://example.com'] });
  await store.setValue('STATE', { page: 3 });
  await store.setValue('OUTPUT', 'done');
  await store.setValue('SCREENSHOT', PNG, { contentType: 'image/png' });
  await (await Dataset.open({ name: 'kept-ds', storageClient })).pushData({ kept: true });
  await (await KeyValueStore.open({ name: 'kept-kvs', storageClient })).setValue('STATE', { kept: true });
  await (await KeyValueStore.open({ name: 'kept-kvs', storageClient })).setValue('INPUT', 'named input');
  await (await RequestQueue.open({ name: 'kept-q', storageClient })).addRequest('https://example.com/kept');
  storageClient.flush();
}

describe('purgeDefaultStorages on disk', () => {
  it('empties the default dataset, queue and store but keeps INPUT; named storages are kept', async () => {
    const storageDir = newDir();
    await fill(storageDir);
    const inputPath = join(storageDir, 'key_value_stores', 'default', 'INPUT.json');
    const inputBytes = readFileSync(inputPath);

    const storageClient = newClient(storageDir);
    await purgeDefaultStorages(storageClient);
    storageClient.flush();

    // On disk: no item, request or record file of the default storages is left but INPUT's.
    const datasetDir = join(storageDir, 'datasets', 'default');
    const queueDir = join(storageDir, 'request_queues', 'default');
    const storeDir = join(storageDir, 'key_value_stores', 'default');
    const files = (dir: string): string[] => {
      try {
        return readdirSync(dir).filter((name) => name !== '__metadata__.json').sort();
      } catch {
        return [];
      }
    };
    expect(files(datasetDir)).toEqual([]);
    expect(files(queueDir)).toEqual([]);
    expect(files(storeDir)).toEqual(['INPUT.__metadata__.json', 'INPUT.json']);
    expect(readFileSync(inputPath).equals(inputBytes)).toBe(true);

    // A new process sees empty default storages, with their default ids, and the named ones whole.
    const reopened = newClient(storageDir);
    const dataset = await Dataset.open({ storageClient: reopened });
    expect(dataset.id).toBe('default');
    expect((await dataset.getMetadata()).itemCount).toBe(0);
    expect((await dataset.getData()).items).toEqual([]);
    const queue = await RequestQueue.open({ storageClient: reopened });
    expect(queue.id).toBe('default');
    expect(await queue.isFinished()).toBe(true);
    expect(await queue.fetchNextRequest()).toBeNull();
    expect((await queue.getMetadata()).totalRequestCount).toBe(0);
    const store = await KeyValueStore.open({ storageClient: reopened });
    const keys: string[] = [];
    for await (const { key } of store.iterateKeys()) keys.push(key);
    expect(keys).toEqual(['INPUT']);
    expect(await store.getValue('INPUT')).toEqual({ startUrls: ['https://example.com'] });

    expect((await (await Dataset.open({ name: 'kept-ds', storageClient: reopened })).getData()).items).toEqual([{ kept: true }]);
    const keptStore = await KeyValueStore.open({ name: 'kept-kvs', storageClient: reopened });
    expect(await keptStore.getValue('STATE')).toEqual({ kept: true });
    expect(await keptStore.getValue('INPUT')).toBe('named input');
    const keptQueue = await RequestQueue.open({ name: 'kept-q', storageClient: reopened });
    expect((await keptQueue.fetchNextRequest())?.url).toBe('https://example.com/kept');

    // The purged storages work as new ones.
    await dataset.pushData({ fresh: 1 });
    await queue.addRequest('https://example.com/1');
    reopened.flush();
    expect(readdirSync(datasetDir).sort()).toEqual(['000000001.json', '__metadata__.json']);
    expect((await (await Dataset.open({ storageClient: newClient(storageDir) })).getData()).items).toEqual([{ fresh: 1 }]);
    const fresh = await RequestQueue.open({ storageClient: newClient(storageDir) });
    expect((await fresh.fetchNextRequest())?.url).toBe('https://example.com/1');
  });

  it('keeps an INPUT of any content type, and one the Apify CLI wrote without a sidecar', async () => {
    for (const [name, bytes] of [
      ['INPUT.json', Buffer.from('{"fromCli":true}')],
      ['INPUT.png', PNG],
      ['INPUT', Buffer.from('no extension')],
    ] as const) {
      const storageDir = newDir();
      const storeDir = join(storageDir, 'key_value_stores', 'default');
      mkdirSync(storeDir, { recursive: true });
      writeFileSync(join(storeDir, name), bytes);
      writeFileSync(join(storeDir, 'OTHER.txt'), 'goes');
      const storageClient = newClient(storageDir);
      await purgeDefaultStorages(storageClient);
      storageClient.flush();
      expect(readdirSync(storeDir).filter((file) => file !== '__metadata__.json')).toEqual([name]);
      expect(readFileSync(join(storeDir, name)).equals(bytes)).toBe(true);
    }
  });

  it('keeps a custom input key instead, and works on a folder with nothing in it', async () => {
    const storageDir = newDir();
    const storageClient = newClient(storageDir);
    await purgeDefaultStorages(storageClient);
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('MY-INPUT', { mine: true });
    await store.setValue('INPUT', 'goes this time');
    await purgeDefaultStorages(storageClient, { inputKey: 'MY-INPUT' });
    storageClient.flush();
    const reopened = await KeyValueStore.open({ storageClient: newClient(storageDir) });
    expect(await reopened.getValue('MY-INPUT')).toEqual({ mine: true });
    expect(await reopened.getValue('INPUT')).toBeNull();
  });
});
