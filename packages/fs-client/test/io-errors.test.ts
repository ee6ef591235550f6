// A full disk and a read-only folder, for real: a small tmpfs filled to the last page, and a tmpfs
// remounted read-only. Every write then fails with a StorageError `io` naming the OS code and the
// path (the OS error kept as `cause`), leaves nothing behind (no item, record or request appears,
// now or in the next process), and the storages work again once there is room or write access.
// Mounting needs root: without it the suite is skipped with one line, unless CI is set (then it fails).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, KeyValueStore, RequestQueue, StorageError, purgeDefaultStorages } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

/** Mounts a tmpfs of `size` at `dir`; gives the error message when that is not possible. */
function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString();
    return (stderr || (error as Error).message).replace(/\s+/g, ' ').trim();
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/** Whether this process may mount file systems: tried once, on a throwaway tmpfs, when the file is collected. */
const mountProblem = ((): string | undefined => {
  const probe = mkdtempSync(join(tmpdir(), 'x-fs-io-probe-'));
  try {
    const problem = mountTmpfs(probe, '64k');
    if (problem === undefined) unmount(probe);
    return problem;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
const skip = mountProblem !== undefined && !process.env['CI'];
if (skip) console.warn(`[@x/fs-client io-errors.test] skipped: cannot mount a tmpfs (${mountProblem}); run as root, or set CI to make this a failure`);

let root: string;
let fullDisk: string;
let readOnly: string;
const mounted: string[] = [];

beforeAll(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'x-fs-io-'));
  fullDisk = join(root, 'full');
  readOnly = join(root, 'read-only');
  for (const [dir, size] of [
    [fullDisk, '2m'],
    [readOnly, '4m'],
  ] as const) {
    mkdirSync(dir);
    const problem = mountTmpfs(dir, size);
    if (problem !== undefined) throw new Error(`Cannot mount a tmpfs at ${dir}: ${problem}`);
    mounted.push(dir);
  }
});

afterAll(() => {
  for (const dir of mounted.splice(0).reverse()) {
    try {
      unmount(dir);
    } catch (error) {
      console.warn(`Could not unmount ${dir}: ${(error as Error).message}`);
    }
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

function client(storageDir: string, warnings: string[]): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, logger: { warn: (message) => void warnings.push(message) } });
}

/** Expects `action` to fail with a StorageError `io` whose message names `osCode` and a path under `under`, and whose cause is the OS error. */
async function expectIo(action: Promise<unknown> | (() => unknown), osCode: string, under: string): Promise<StorageError> {
  let thrown: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    thrown = error;
  }
  expect(StorageError.is(thrown), `expected a StorageError io, got ${String(thrown)}`).toBe(true);
  const error = thrown as StorageError;
  expect(error.code, error.message).toBe('io');
  expect(error.message).toContain(osCode);
  expect(error.message).toContain(under);
  expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe(osCode);
  return error;
}

/** Fills the file system of `dir` to the last byte with one file; gives its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  expect(statfsSync(dir).bavail).toBe(0);
  return path;
}

/** Makes exactly `pages` blocks of the file system free again, by shortening the filler. */
function freePages(filler: string, pages: number): void {
  const block = statfsSync(filler).bsize;
  const fd = openSync(filler, 'r+');
  try {
    ftruncateSync(fd, fstatSync(fd).size - pages * block);
  } finally {
    closeSync(fd);
  }
  expect(statfsSync(filler).bavail).toBe(pages);
}

async function keysOf(store: KeyValueStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.iterateKeys()) keys.push(key);
  return keys;
}

describe.skipIf(skip)('OS errors of the file system', () => {
  it('a full disk: every write fails with io (ENOSPC), none leaves an item, record or request behind, and writes work once there is room', async () => {
    const storageDir = join(fullDisk, 'storage');
    const warnings: string[] = [];
    const storageClient = client(storageDir, warnings);
    const dataset = await Dataset.open({ storageClient });
    await dataset.pushData({ n: 1 });
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('kept', { v: 1 });
    const queue = await RequestQueue.open({ storageClient });
    await queue.addRequest('https://example.com/kept');
    storageClient.flush();

    const filler = fill(fullDisk);
    let inProgress;
    try {
      const datasetDir = join(storageDir, 'datasets', 'default');
      const storeDir = join(storageDir, 'key_value_stores', 'default');
      const queueDir = join(storageDir, 'request_queues', 'default');
      await expectIo(dataset.pushData([{ n: 2 }, { n: 3 }]), 'ENOSPC', datasetDir);
      await expectIo(store.setValue('text', 'x'.repeat(10_000)), 'ENOSPC', storeDir);
      await expectIo(store.setValue('large', Buffer.alloc(300_000, 7)), 'ENOSPC', storeDir); // written asynchronously
      await expectIo(store.setValue('kept', 'a new value of another type'), 'ENOSPC', storeDir);
      await expectIo(queue.addRequest('https://example.com/new'), 'ENOSPC', queueDir);
      inProgress = (await queue.fetchNextRequest())!;
      await expectIo(queue.markRequestAsHandled(inProgress), 'ENOSPC', queueDir);
      // A new storage needs its metadata file: the open fails, and leaves no folder.
      await expectIo(Dataset.open({ name: 'new-one', storageClient }), 'ENOSPC', join(storageDir, 'datasets', 'new-one'));
      expect(existsSync(join(storageDir, 'datasets', 'new-one'))).toBe(false);

      expect(await dataset.getData()).toMatchObject({ items: [{ n: 1 }], total: 1 });
      expect(await keysOf(store)).toEqual(['kept']);
      expect(await store.getValue('kept')).toEqual({ v: 1 });
      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: 1, handledRequestCount: 0 });

      // One block free: a small value fits, its sidecar then does not. The record must not appear.
      freePages(filler, 1);
      await expectIo(store.setValue('half', { small: true }), 'ENOSPC', storeDir);
      expect(await store.recordExists('half')).toBe(false);
      // Replacing the value file of `kept` (same extension, another JSON type): the old record stays whole.
      await expectIo(store.setValue('kept', { v: 2 }, { contentType: 'application/json' }), 'ENOSPC', storeDir);
      expect(await store.getValue('kept')).toEqual({ v: 1 });
      expect((await store.getMetadata()).id).toBe('default');
      expect(statfsSync(fullDisk).bavail).toBe(1);
      // An item takes the block; the metadata that counts it cannot be written now, nor later.
      await dataset.pushData({ n: 2 });
      await expectIo(() => storageClient.flush(), 'ENOSPC', join(datasetDir, '__metadata__.json'));

      // The next process, on the same full disk, finds only what was written.
      const reopened = client(storageDir, warnings);
      expect((await (await Dataset.open({ storageClient: reopened })).getData()).items).toEqual([{ n: 1 }, { n: 2 }]);
      const reopenedStore = await KeyValueStore.open({ storageClient: reopened });
      expect(await keysOf(reopenedStore)).toEqual(['kept']);
      expect(await reopenedStore.getValue('kept')).toEqual({ v: 1 });
      expect((await reopenedStore.getMetadata()).id).toBe('default');
      const reopenedQueue = await RequestQueue.open({ storageClient: reopened });
      expect(await reopenedQueue.getMetadata()).toMatchObject({ totalRequestCount: 1, pendingRequestCount: 1 });
    } finally {
      unlinkSync(filler);
    }

    // Room again: the same storages take writes, and the metadata left to write is written.
    await dataset.pushData([{ n: 3 }]);
    await store.setValue('half', { small: true });
    await store.setValue('kept', { v: 2 }, { contentType: 'application/json' });
    await queue.addRequest('https://example.com/new');
    await queue.markRequestAsHandled(inProgress);
    storageClient.flush();
    await Dataset.open({ name: 'new-one', storageClient });

    const after = client(storageDir, warnings);
    expect((await (await Dataset.open({ storageClient: after })).getData()).items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const afterStore = await KeyValueStore.open({ storageClient: after });
    expect(await keysOf(afterStore)).toEqual(['half', 'kept']);
    expect(await afterStore.getValue('kept')).toEqual({ v: 2 });
    expect(await (await RequestQueue.open({ storageClient: after })).getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 1 });
    expect((await after.listDatasets()).map((m) => m.name ?? m.id).sort()).toEqual(['default', 'new-one']);
    expect(warnings).toEqual([]);
  });

  it('a read-only folder: every write fails with io (EROFS), reads go on, drop and purge keep the storages, and writes work once it is writable', async () => {
    const storageDir = join(readOnly, 'storage');
    const warnings: string[] = [];
    const storageClient = client(storageDir, warnings);
    const dataset = await Dataset.open({ storageClient });
    await dataset.pushData([{ n: 1 }, { n: 2 }]);
    const store = await KeyValueStore.open({ storageClient });
    await store.setValue('INPUT', { start: 1 });
    await store.setValue('state', 'text');
    const queue = await RequestQueue.open({ name: 'queue', storageClient });
    await queue.addRequests(['https://example.com/1', 'https://example.com/2']);
    storageClient.flush();

    execFileSync('mount', ['-o', 'remount,ro', readOnly], { stdio: 'pipe' });
    let inProgress;
    try {
      const datasetDir = join(storageDir, 'datasets', 'default');
      const storeDir = join(storageDir, 'key_value_stores', 'default');
      const queueDir = join(storageDir, 'request_queues', 'queue');
      await expectIo(dataset.pushData({ n: 3 }), 'EROFS', datasetDir);
      await expectIo(store.setValue('new', { v: 1 }), 'EROFS', storeDir);
      await expectIo(store.setValue('state', 'changed'), 'EROFS', storeDir);
      await expectIo(store.setValue('state', null), 'EROFS', storeDir);
      await expectIo(queue.addRequest('https://example.com/3'), 'EROFS', queueDir);
      inProgress = (await queue.fetchNextRequest())!;
      await expectIo(queue.markRequestAsHandled(inProgress), 'EROFS', queueDir);
      const raw = await storageClient.openRequestQueue({ kind: 'name', name: 'queue' });
      await expectIo(raw.deleteRequest(inProgress.id, { clientKey: queue.clientKey }), 'EROFS', queueDir);
      await expectIo(KeyValueStore.open({ name: 'other', storageClient }), 'EROFS', join(storageDir, 'key_value_stores', 'other'));
      await expectIo(dataset.drop(), 'EROFS', datasetDir);
      await expectIo(queue.drop(), 'EROFS', queueDir);
      await expectIo(purgeDefaultStorages(storageClient), 'EROFS', datasetDir);

      // Nothing changed, and every storage still reads.
      expect(await dataset.getData()).toMatchObject({ items: [{ n: 1 }, { n: 2 }], total: 2 });
      expect(await keysOf(store)).toEqual(['INPUT', 'state']);
      expect(await store.getValue('state')).toBe('text');
      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 0 });
      expect((await queue.getRequest(inProgress.id))?.url).toBe(inProgress.url);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', readOnly], { stdio: 'pipe' });
    }

    await dataset.pushData({ n: 3 });
    await store.setValue('state', 'changed');
    await queue.markRequestAsHandled(inProgress);
    await queue.addRequest('https://example.com/3');
    storageClient.flush();
    const after = client(storageDir, warnings);
    expect((await (await Dataset.open({ storageClient: after })).getData()).items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await (await KeyValueStore.open({ storageClient: after })).getValue('state')).toBe('changed');
    expect(await (await RequestQueue.open({ name: 'queue', storageClient: after })).getMetadata()).toMatchObject({
      totalRequestCount: 3,
      handledRequestCount: 1,
    });
    // Dropping works again too.
    await dataset.drop();
    expect(existsSync(join(storageDir, 'datasets', 'default'))).toBe(false);
    expect(warnings).toEqual([]);
  });
});
