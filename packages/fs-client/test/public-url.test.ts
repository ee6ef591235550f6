import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyValueStore, StorageError } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

let root: string;
let storageDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'x-fs-public-url-'));
  // Characters a file URL must encode: a space, `#`, `%`, `?` and non-ASCII.
  storageDir = join(root, 'my storage #1 100% ?ü');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function newClient(): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
}

/** Reads the file a public URL names, checking that it is a `file://` URL inside `storeDir`. */
function readUrl(url: string, storeDir: string): Buffer {
  expect(url.startsWith('file://'), url).toBe(true);
  const path = fileURLToPath(url);
  expect(dirname(path)).toBe(storeDir);
  return readFileSync(path);
}

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082',
  'hex',
);

describe('getPublicUrl', () => {
  it("gives the file:// URL of each record's file, whose bytes are the record's", async () => {
    const store = await KeyValueStore.open({ name: 'urls', storageClient: newClient() });
    const storeDir = join(storageDir, 'key_value_stores', 'urls');
    const records: [key: string, value: unknown, contentType: string | undefined, bytes: Buffer][] = [
      ['json', { a: 1, text: 'ü € 😀' }, undefined, Buffer.from(JSON.stringify({ a: 1, text: 'ü € 😀' }))],
      ['text', 'Hello, ü € 😀\n', undefined, Buffer.from('Hello, ü € 😀\n')],
      ['bytes', Buffer.from([0, 1, 2, 255]), undefined, Buffer.from([0, 1, 2, 255])],
      ['image.png', PNG, 'image/png', PNG],
      ['page', '<p>hi</p>', 'text/html', Buffer.from('<p>hi</p>')],
      ["odd!key-_.'()", 'odd', undefined, Buffer.from('odd')],
      [`long${'x'.repeat(252)}`, 'the longest key', undefined, Buffer.from('the longest key')],
    ];
    for (const [key, value, contentType, bytes] of records) {
      await store.setValue(key, value, contentType === undefined ? {} : { contentType });
      const url = await store.getPublicUrl(key);
      expect(readUrl(url, storeDir).equals(bytes), `bytes of ${key}`).toBe(true);
      // The file is the record: what getValue gives comes from the same bytes.
      const read = await store.getValue(key);
      if (Buffer.isBuffer(value)) expect(Buffer.isBuffer(read) && read.equals(value)).toBe(true);
      else expect(read).toEqual(value);
    }
    // The extension follows the content type, as in Crawlee's layout.
    expect(fileURLToPath(await store.getPublicUrl('image.png')).endsWith('image.png.png')).toBe(true);
    expect(fileURLToPath(await store.getPublicUrl('json')).endsWith('json.json')).toBe(true);
    expect(fileURLToPath(await store.getPublicUrl('text')).endsWith('text.txt')).toBe(true);
  });

  it('follows the record when its value or content type changes, and the same URL serves after a reopen', async () => {
    const store = await KeyValueStore.open({ name: 'changes', storageClient: newClient() });
    const storeDir = join(storageDir, 'key_value_stores', 'changes');
    await store.setValue('r', { v: 1 });
    const first = await store.getPublicUrl('r');
    await store.setValue('r', { v: 2 });
    expect(await store.getPublicUrl('r')).toBe(first);
    expect(readUrl(first, storeDir).toString()).toBe('{"v":2}');

    await store.setValue('r', PNG, { contentType: 'image/png' });
    const second = await store.getPublicUrl('r');
    expect(second).not.toBe(first);
    expect(readUrl(second, storeDir).equals(PNG)).toBe(true);
    // The old file is gone: the URL of a record never serves an old value.
    expect(existsSync(fileURLToPath(first))).toBe(false);

    const reopened = await KeyValueStore.open({ name: 'changes', storageClient: newClient() });
    expect(await reopened.getPublicUrl('r')).toBe(second);

    await reopened.setValue('r', null);
    expect(existsSync(fileURLToPath(second))).toBe(false);
    const error = await reopened.getPublicUrl('r').catch((caught: unknown) => caught);
    expect(StorageError.is(error, 'not-found'), String(error)).toBe(true);
  });

  it('names the file a folder from Crawlee or the Apify CLI holds, with or without an extension', async () => {
    const storeDir = join(storageDir, 'key_value_stores', 'from-cli');
    mkdirSync(storeDir, { recursive: true });
    writeFileSync(join(storeDir, 'INPUT.json'), '{"startUrls":[]}');
    writeFileSync(join(storeDir, 'raw'), Buffer.from([9, 8, 7]));
    writeFileSync(join(storeDir, 'shot'), PNG);
    writeFileSync(join(storeDir, 'shot.__metadata__.json'), JSON.stringify(JSON.stringify({ key: 'shot', contentType: 'image/png' })));
    const store = await KeyValueStore.open({ name: 'from-cli', storageClient: newClient() });
    expect(readUrl(await store.getPublicUrl('INPUT'), storeDir).toString()).toBe('{"startUrls":[]}');
    expect(readUrl(await store.getPublicUrl('raw'), storeDir).equals(Buffer.from([9, 8, 7]))).toBe(true);
    expect(readUrl(await store.getPublicUrl('shot'), storeDir).equals(PNG)).toBe(true);
  });

  it('is not-found for a key without a record, and creates nothing', async () => {
    const store = await KeyValueStore.open({ storageClient: newClient() });
    const error = await store.getPublicUrl('missing').catch((caught: unknown) => caught);
    expect(StorageError.is(error, 'not-found'), String(error)).toBe(true);
    expect(existsSync(join(storageDir, 'key_value_stores', 'default', 'missing.json'))).toBe(false);
  });
});
