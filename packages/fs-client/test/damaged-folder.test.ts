// A folder written by @x/fs-client, then damaged the ways a full disk, a file system without
// atomic rename, a sync tool or a person can damage it: empty files, JSON of the wrong shape,
// garbage bytes, folders where files belong, a sidecar that points elsewhere. (What an interrupted
// Crawlee leaves is in crawlee-compat-read.test.ts.) It opens with warnings, never a crash; the rest
// of the data reads, and the storages keep working.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, KeyValueStore, RequestQueue, StorageError, type Request } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function client(storageDir: string): { storageClient: FileSystemStorageClient; warnings: string[] } {
  const warnings: string[] = [];
  return { storageClient: new FileSystemStorageClient({ storageDir, logger: { warn: (message) => void warnings.push(message) } }), warnings };
}

const GARBAGE = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x0a, 0x80, 0x81, 0x5d, 0x00]);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

async function fetchAll(queue: RequestQueue): Promise<Request[]> {
  const fetched: Request[] = [];
  for (let request = await queue.fetchNextRequest(); request && fetched.length < 100; request = await queue.fetchNextRequest()) fetched.push(request);
  return fetched;
}

/** Writes the folder with our client: what every test then damages. */
async function writeFolder(): Promise<{ dir: string; requestIds: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'x-fs-damaged-'));
  dirs.push(dir);
  const { storageClient, warnings } = client(dir);
  const dataset = await Dataset.open({ storageClient });
  await dataset.pushData([1, 2, 3, 4].map((n) => ({ n })));
  await (await Dataset.open({ name: 'named-ds', storageClient })).pushData([{ m: 1 }, { m: 2 }]);
  const store = await KeyValueStore.open({ storageClient });
  await store.setValue('INPUT', { start: 'https://example.com' });
  await store.setValue('note', 'plain text');
  await store.setValue('cfg', { debug: true });
  await store.setValue('blob', PNG);
  await store.setValue('picture', PNG, { contentType: 'image/png' });
  await (await KeyValueStore.open({ name: 'named-kvs', storageClient })).setValue('STATE', { page: 3 });
  const queue = await RequestQueue.open({ storageClient });
  const requestIds: string[] = [];
  for (let n = 1; n <= 6; n++) requestIds.push((await queue.addRequest(`https://example.com/${n}`)).requestId);
  await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
  await (await RequestQueue.open({ name: 'named-q', storageClient })).addRequest('https://example.com/named');
  storageClient.flush();
  expect(warnings).toEqual([]);
  return { dir, requestIds };
}

describe('a damaged folder opens with warnings, never a crash', () => {
  it('datasets: empty and wrong-shaped metadata, empty, non-object, garbage and folder item files', async () => {
    const { dir } = await writeFolder();
    const defaultDir = join(dir, 'datasets', 'default');
    const namedDir = join(dir, 'datasets', 'named-ds');
    writeFileSync(join(defaultDir, '__metadata__.json'), '');
    writeFileSync(join(defaultDir, '000000002.json'), '');
    writeFileSync(join(defaultDir, '000000003.json'), '[1,2,3]');
    writeFileSync(join(defaultDir, 'notes.txt'), 'not an item');
    writeFileSync(join(namedDir, '__metadata__.json'), '[]');
    writeFileSync(join(namedDir, '000000002.json'), GARBAGE);
    mkdirSync(join(namedDir, '000000003.json'));

    const { storageClient, warnings } = client(dir);
    const dataset = await Dataset.open({ storageClient });
    const page = await dataset.getData();
    expect(page.items).toEqual([{ n: 1 }, { n: 4 }]);
    expect(page.total).toBe(4);
    const named = await Dataset.open({ name: 'named-ds', storageClient });
    expect(named.name).toBe('named-ds');
    expect((await named.getData()).items).toEqual([{ m: 1 }]);
    for (const file of [
      join(defaultDir, '__metadata__.json'),
      join(defaultDir, '000000002.json'),
      join(defaultDir, '000000003.json'),
      join(namedDir, '000000002.json'),
      join(namedDir, '000000003.json'),
    ]) {
      expect(warnings.some((warning) => warning.includes(file)), `a warning names ${file}:\n${warnings.join('\n')}`).toBe(true);
    }
    // Listing and looking up by id read every metadata file, broken ones too.
    expect((await storageClient.listDatasets()).map((metadata) => metadata.name).sort()).toEqual(expect.arrayContaining(['named-ds']));
    const error = await Dataset.open({ id: 'no-such-id', storageClient }).catch((caught: unknown) => caught);
    expect(StorageError.is(error, 'not-found')).toBe(true);

    // It keeps working: new items go after the damaged ones, which stay as they were.
    await dataset.pushData({ n: 5 });
    await named.pushData({ m: 4 });
    storageClient.flush();
    expect(readFileSync(join(defaultDir, '000000003.json'), 'utf8')).toBe('[1,2,3]');
    const again = client(dir);
    expect((await (await Dataset.open({ storageClient: again.storageClient })).getData()).items).toEqual([{ n: 1 }, { n: 4 }, { n: 5 }]);
    expect((await (await Dataset.open({ name: 'named-ds', storageClient: again.storageClient })).getData()).items).toEqual([{ m: 1 }, { m: 4 }]);
    expect(JSON.parse(readFileSync(join(defaultDir, '__metadata__.json'), 'utf8'))).toMatchObject({ itemCount: 5 });
  });

  it('key-value stores: empty metadata, empty and wrong-shaped sidecars, an empty JSON value, a sidecar pointing out', async () => {
    const { dir } = await writeFolder();
    const storeDir = join(dir, 'key_value_stores', 'default');
    const namedDir = join(dir, 'key_value_stores', 'named-kvs');
    writeFileSync(join(storeDir, '__metadata__.json'), '');
    writeFileSync(join(storeDir, 'note.__metadata__.json'), '');
    writeFileSync(join(storeDir, 'picture.__metadata__.json'), '[]');
    writeFileSync(join(storeDir, 'cfg.json'), '');
    writeFileSync(
      join(storeDir, 'blob.__metadata__.json'),
      JSON.stringify({ key: 'blob', contentType: 'application/octet-stream', extension: '../../../../../../etc/hostname' }),
    );
    writeFileSync(join(storeDir, 'ghost.__metadata__.json'), JSON.stringify({ key: '../../escape', contentType: 'text/plain', extension: 'txt' }));
    writeFileSync(join(storeDir, 'bad key!?.txt'), 'a file whose name is no key');
    writeFileSync(join(namedDir, '__metadata__.json'), '"not an object"');

    const { storageClient, warnings } = client(dir);
    const store = await KeyValueStore.open({ storageClient });
    expect(await store.getValue('INPUT')).toEqual({ start: 'https://example.com' });
    // A sidecar that cannot be read gives way to the value file's extension.
    expect(await store.getValue('note')).toBe('plain text');
    expect(await store.getValue('picture')).toEqual(PNG);
    expect(await store.getValue('blob')).toEqual(PNG);
    expect(await store.getValue('cfg')).toBeNull();
    const keys: string[] = [];
    for await (const { key } of store.iterateKeys()) keys.push(key);
    expect(keys).toEqual(expect.arrayContaining(['INPUT', 'blob', 'note', 'picture']));
    expect(keys).not.toContain('../../escape');
    expect(await (await KeyValueStore.open({ name: 'named-kvs', storageClient })).getValue('STATE')).toEqual({ page: 3 });
    for (const file of [
      join(storeDir, '__metadata__.json'),
      join(storeDir, 'note.__metadata__.json'),
      join(storeDir, 'picture.__metadata__.json'),
      join(storeDir, 'ghost.__metadata__.json'),
      join(storeDir, 'bad key!?.txt'),
      join(namedDir, '__metadata__.json'),
    ]) {
      expect(warnings.some((warning) => warning.includes(file)), `a warning names ${file}:\n${warnings.join('\n')}`).toBe(true);
    }
    expect(warnings.some((warning) => warning.includes('cfg'))).toBe(true);

    // It keeps working: the damaged records can be written again and read back after a reopen.
    await store.setValue('cfg', { debug: false });
    await store.setValue('note', 'again');
    await store.setValue('picture', null);
    storageClient.flush();
    const again = await KeyValueStore.open({ storageClient: client(dir).storageClient });
    expect(await again.getValue('cfg')).toEqual({ debug: false });
    expect(await again.getValue('note')).toBe('again');
    expect(await again.getValue('picture')).toBeNull();
    expect(await again.getValue('blob')).toEqual(PNG);
  });

  it('request queues: empty metadata, empty, null, garbage and folder request files', async () => {
    const { dir, requestIds } = await writeFolder();
    const queueDir = join(dir, 'request_queues', 'default');
    const [handled, , , emptied, nulled, fine] = requestIds as [string, string, string, string, string, string];
    writeFileSync(join(queueDir, '__metadata__.json'), '');
    writeFileSync(join(queueDir, `${emptied}.json`), '');
    writeFileSync(join(queueDir, `${nulled}.json`), 'null');
    writeFileSync(join(queueDir, 'garbage.json'), GARBAGE);
    writeFileSync(join(queueDir, 'no-order.json'), '{"orderNo":"soon","id":"no-order"}');
    writeFileSync(join(queueDir, 'no-request.json'), '{"orderNo":1,"id":"no-request","json":"{}"}');
    mkdirSync(join(queueDir, 'folder.json'));
    writeFileSync(join(dir, 'request_queues', 'named-q', '__metadata__.json'), '{"id":');

    const { storageClient, warnings } = client(dir);
    const queue = await RequestQueue.open({ storageClient });
    const fetched = await fetchAll(queue);
    expect(fetched.map((request) => request.id).sort()).toEqual([requestIds[1], requestIds[2], fine].sort());
    expect((await queue.getRequest(handled))?.handledAt).toBeDefined();
    expect(await queue.getRequest(emptied)).toBeNull();
    expect(await queue.getRequest(nulled)).toBeNull();
    for (const request of fetched) await queue.markRequestAsHandled(request);
    expect(await queue.isFinished()).toBe(true);
    const named = await RequestQueue.open({ name: 'named-q', storageClient });
    expect((await named.fetchNextRequest())?.url).toBe('https://example.com/named');
    for (const name of ['__metadata__.json', `${emptied}.json`, `${nulled}.json`, 'garbage.json', 'no-order.json', 'no-request.json', 'folder.json']) {
      const file = join(queueDir, name);
      expect(warnings.some((warning) => warning.includes(file)), `a warning names ${file}:\n${warnings.join('\n')}`).toBe(true);
    }
    expect(warnings.some((warning) => warning.includes(join(dir, 'request_queues', 'named-q', '__metadata__.json')))).toBe(true);

    // It keeps working: a request added now is served after a reopen, and the handled stay handled.
    const added = await queue.addRequest('https://example.com/after');
    storageClient.flush();
    const again = await RequestQueue.open({ storageClient: client(dir).storageClient });
    expect((await fetchAll(again)).map((request) => request.id)).toEqual([added.requestId]);
    expect(await again.getHandledCount()).toBe(4);
  });
});
