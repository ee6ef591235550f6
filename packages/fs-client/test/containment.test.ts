import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Dataset, KeyValueStore, Request, RequestQueue, StorageError, type RequestData, type StorageClient } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

let parent: string;
let storageDir: string;
/** A name nothing else uses, to look for in the system's temporary folder too. */
const marker = `x-fs-escaped-${process.pid}-${Date.now()}`;

/** Strings that lead out of a folder when used as a path, in every spelling. */
function escapingStrings(): string[] {
  return [
    '..',
    '.',
    '',
    '../x',
    `../../${marker}`,
    `../../../${marker}`,
    `../../../../../../../../tmp/${marker}`,
    join(parent, 'absolute-escape'),
    `/tmp/${marker}`,
    'a/../../../b',
    'a\0b',
    '\0',
    `..\0/${marker}`,
    '..\\x',
    `..\\..\\..\\${marker}`,
    'x'.repeat(300),
    'é'.repeat(200),
  ];
}

/** Strings that only look like a way out once decoded: they are names, or are rejected. */
const encodedStrings = ['%2e%2e', '%2e%2e%2f', '..%2f', `..%2f..%2f..%2f${marker}`, '%2E%2E%5C', '.%2e', '%00'];

/** Every path under `dir`, relative to it, except what is inside `skip`. */
function tree(dir: string, skip: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === skip) continue;
    out.push(relative(parent, path));
    if (entry.isDirectory()) out.push(...tree(path, skip));
  }
  return out.sort();
}

/** The state of everything around the storage folder: the test's folder and the system's temporary folder. */
function outside(): { around: string[]; marked: string[] } {
  return { around: tree(parent, storageDir), marked: readdirSync(tmpdir()).filter((name) => name.includes(marker)) };
}

async function expectRejected(label: string, attempt: () => Promise<unknown>): Promise<StorageError> {
  let result: unknown;
  try {
    result = await attempt();
  } catch (error) {
    expect(StorageError.is(error), `${label}: not a StorageError: ${String(error)}`).toBe(true);
    return error as StorageError;
  }
  return expect.fail(`${label}: accepted (gave ${String(result)})`);
}

function newClient(): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
}

function requestData(id: string): RequestData {
  const data = Request.fromUrl('https://example.com/contained').toData();
  return { ...data, id };
}

beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'x-fs-contain-'));
  storageDir = join(parent, 'storage');
  // Something outside the storage folder that must stay untouched, and a storage with data.
  const storageClient = newClient();
  await (await Dataset.open({ storageClient })).pushData({ a: 1 });
  await (await KeyValueStore.open({ storageClient })).setValue('INPUT', { a: 1 });
  await (await RequestQueue.open({ storageClient })).addRequest('https://example.com/1');
  storageClient.flush();
});

afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

describe('containment: no key, name or id leads out of the storage folder', () => {
  it('through the user classes: open by id or name, record keys, request ids', async () => {
    const before = outside();
    const storageClient = newClient();
    const store = await KeyValueStore.open({ storageClient });
    const queue = await RequestQueue.open({ storageClient });
    const dataset = await Dataset.open({ storageClient });
    for (const bad of [...escapingStrings(), ...encodedStrings]) {
      const label = JSON.stringify(bad.slice(0, 60));
      for (const Storage of [Dataset, KeyValueStore, RequestQueue] as const) {
        await expectRejected(`${Storage.name}.open({ id: ${label} })`, () => Storage.open({ id: bad, storageClient }));
        const byName = await expectRejected(`${Storage.name}.open({ name: ${label} })`, () => Storage.open({ name: bad, storageClient }));
        expect(byName.code).toBe('invalid-name');
        // A plain string is a name, for the registered default client (there is none here: still an error).
        await expectRejected(`${Storage.name}.open(${label})`, () => Storage.open(bad));
      }
      for (const [what, attempt] of [
        ['setValue', () => store.setValue(bad, 'x')],
        ['setValue(null)', () => store.setValue(bad, null)],
        ['getValue', () => store.getValue(bad)],
        ['recordExists', () => store.recordExists(bad)],
        ['getPublicUrl', () => store.getPublicUrl(bad)],
        ['getAutoSavedValue', () => store.getAutoSavedValue(bad, {})],
        ['exportTo key', () => dataset.exportTo({ key: bad })],
        ['exportTo toKvsName', () => dataset.exportTo({ key: 'OUT', toKvsName: bad })],
      ] as const) {
        const error = await expectRejected(`${what}(${label})`, attempt);
        expect(['invalid-key', 'invalid-name', 'invalid-argument', 'not-found']).toContain(error.code);
      }
      // A request id is never a path unless it is the id of a request in the queue: none is found.
      if (bad !== '') expect(await queue.getRequest(bad), `getRequest(${label})`).toBeNull();
    }
    const rawQueue = await storageClient.openRequestQueue({ kind: 'default', id: 'default' });
    for (const bad of escapingStrings()) {
      const label = JSON.stringify(bad.slice(0, 60));
      // A request whose id was tampered with cannot be stored under it.
      const tampered = Request.fromUrl('https://example.com/tampered');
      tampered.id = bad;
      await expectRejected(`addRequest with id ${label}`, () => queue.addRequest(tampered));
      await expectRejected(`addRequest of Request.fromData with id ${label}`, () => queue.addRequest(Request.fromData(requestData(bad))));
    }
    // Encoded dots are plain characters in a file name: such an id is refused (a leading dot would
    // make a hidden file) or stored as it is, inside the queue's folder.
    for (const encoded of encodedStrings) {
      const tampered = Request.fromUrl('https://example.com/tampered');
      tampered.id = encoded;
      const error = await queue.addRequest(tampered).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      if (error !== undefined) {
        expect(StorageError.is(error, 'invalid-argument'), String(error)).toBe(true);
        continue;
      }
      expect(existsSync(join(storageDir, 'request_queues', 'default', `${encoded}.json`))).toBe(true);
      expect((await queue.getRequest(encoded))?.url).toBe('https://example.com/tampered');
      await rawQueue.deleteRequest(encoded);
    }
    expect(outside()).toEqual(before);
    expect(readdirSync(storageDir).sort()).toEqual(['datasets', 'key_value_stores', 'request_queues']);
    // What was there is intact.
    expect((await dataset.getData()).items).toEqual([{ a: 1 }]);
    expect(await store.getValue('INPUT')).toEqual({ a: 1 });
    expect(await queue.getTotalCount()).toBe(1);
    storageClient.flush();
  });

  it('through the raw client: opening storages', async () => {
    const before = outside();
    const storageClient: StorageClient = newClient();
    const opens = [
      (target: Parameters<StorageClient['openDataset']>[0]) => storageClient.openDataset(target),
      (target: Parameters<StorageClient['openDataset']>[0]) => storageClient.openKeyValueStore(target),
      (target: Parameters<StorageClient['openDataset']>[0]) => storageClient.openRequestQueue(target),
    ];
    for (const bad of escapingStrings()) {
      const label = JSON.stringify(bad.slice(0, 60));
      for (const open of opens) {
        await expectRejected(`open id ${label}`, () => open({ kind: 'id', id: bad }));
        await expectRejected(`open name ${label}`, () => open({ kind: 'name', name: bad }));
        await expectRejected(`open default ${label}`, () => open({ kind: 'default', id: bad }));
      }
    }
    // Encoded dots are plain characters on disk: an unknown id is not found, and a name or a
    // default id becomes a folder of that literal name inside the storage folder.
    for (const encoded of encodedStrings) {
      for (const open of opens) {
        const error = await expectRejected(`open id ${encoded}`, () => open({ kind: 'id', id: encoded }));
        expect(error.code).toBe('not-found');
        await open({ kind: 'name', name: encoded });
      }
    }
    expect(outside()).toEqual(before);
    expect(readdirSync(storageDir).sort()).toEqual(['datasets', 'key_value_stores', 'request_queues']);
    for (const kind of ['datasets', 'key_value_stores', 'request_queues']) {
      expect(readdirSync(join(storageDir, kind)).sort()).toEqual(['default', ...encodedStrings].sort());
    }
    for (const encoded of encodedStrings) rmSync(join(storageDir, 'datasets', encoded), { recursive: true });
  });

  it('through the raw client: record keys and request ids', async () => {
    const before = outside();
    const storageClient = newClient();
    const store = await storageClient.openKeyValueStore({ kind: 'default', id: 'default' });
    const queue = await storageClient.openRequestQueue({ kind: 'default', id: 'default' });
    for (const bad of [...escapingStrings(), ...encodedStrings]) {
      const label = JSON.stringify(bad.slice(0, 60));
      for (const contentType of ['text/plain; charset=utf-8', 'application/json; charset=utf-8', 'image/png']) {
        await expectRejected(`setRecord(${label}, ${contentType})`, () => store.setRecord({ key: bad, body: '"x"', contentType }));
      }
      expect(await store.getRecord(bad)).toBeUndefined();
      expect(await store.recordExists(bad)).toBe(false);
      await store.deleteRecord(bad);
      const error = await expectRejected(`getPublicUrl(${label})`, () => store.getPublicUrl(bad));
      expect(error.code).toBe('not-found');
      if (!encodedStrings.includes(bad)) {
        await expectRejected(`addRequests with id ${label}`, () => queue.addRequests([requestData(bad)], { forefront: false }));
      }
      expect(await queue.getRequest(bad)).toBeUndefined();
      await queue.deleteRequest(bad);
      await expectRejected(`markRequestAsHandled with id ${label}`, () => queue.markRequestAsHandled({ ...requestData(bad), handledAt: new Date().toISOString() }));
      await expectRejected(`reclaimRequest with id ${label}`, () => queue.reclaimRequest(requestData(bad), { forefront: false }));
      await expectRejected(`updateRequest with id ${label}`, () => queue.updateRequest(requestData(bad), { forefront: false }));
    }
    expect(outside()).toEqual(before);
    expect(readdirSync(storageDir).sort()).toEqual(['datasets', 'key_value_stores', 'request_queues']);
    const keys = (await store.listKeys({ limit: 100 })).items.map((info) => info.key);
    expect(keys).toEqual(['INPUT']);
    expect((await queue.getMetadata()).totalRequestCount).toBe(1);
    storageClient.flush();
  });

  it('the longest valid key, name and id stay inside, as one file or folder each', async () => {
    const before = outside();
    const storageClient = newClient();
    const longName = `n${'a'.repeat(61)}z`;
    const dataset = await Dataset.open({ name: longName, storageClient });
    await dataset.pushData({ ok: true });
    const store = await KeyValueStore.open({ storageClient });
    const longKey = `k${'.'.repeat(254)}k`;
    await store.setValue(longKey, 'long');
    expect(await store.getValue(longKey)).toBe('long');
    const reopened = await KeyValueStore.open({ storageClient: newClient() });
    expect(await reopened.getValue(longKey)).toBe('long');
    expect(existsSync(join(storageDir, 'datasets', longName, '000000001.json'))).toBe(true);
    await store.setValue(longKey, null);
    await dataset.drop();
    expect(outside()).toEqual(before);
    storageClient.flush();
  });
});
