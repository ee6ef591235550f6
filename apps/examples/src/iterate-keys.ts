import { Actor } from '@x/actor';
import type { StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const iterateKeysStorages: NamedStorages = { keyValueStores: ['key-listing'] };

/** A key with its record's size in bytes and content type, as `iterateKeys` yields it. */
export interface KeyInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
}

/** What the key iteration example did. */
export interface IterateKeysOutcome {
  /** Every key, in ascending order. */
  readonly all: KeyInfo[];
  /** Keys of `iterateKeys({ prefix: 'page-' })`. */
  readonly withPrefix: string[];
  /** Keys of `iterateKeys({ exclusiveStartKey: 'page-1' })`. */
  readonly afterPage1: string[];
}

/**
 * Example 6: iterate over the keys of a store with what `iterateKeys` says of each record (size in
 * bytes and content type), all of them, by prefix, and from a key on.
 */
export async function iterateKeys(storageClient: StorageClient, log: Log = quiet): Promise<IterateKeysOutcome> {
  await Actor.init({ storageClient });
  try {
    const store = await Actor.openKeyValueStore({ name: 'key-listing' });
    await store.setValue('page-2', '<html><body>Page 2</body></html>', { contentType: 'text/html' });
    await store.setValue('page-1', '<html><body>Page 1</body></html>', { contentType: 'text/html' });
    await store.setValue('config', { depth: 2, follow: true });
    await store.setValue('notes', 'žluťoučký kůň'); // 13 characters, 19 bytes in UTF-8
    await store.setValue('screenshot', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const all: KeyInfo[] = [];
    for await (const { key, size, contentType } of store.iterateKeys()) {
      all.push({ key, size, contentType });
      log(`${key.padEnd(10)} ${String(size).padStart(3)} bytes  ${contentType}`);
    }
    const withPrefix: string[] = [];
    for await (const { key } of store.iterateKeys({ prefix: 'page-' })) withPrefix.push(key);
    const afterPage1: string[] = [];
    for await (const { key } of store.iterateKeys({ exclusiveStartKey: 'page-1' })) afterPage1.push(key);
    log(`prefix "page-": ${withPrefix.join(', ')}; after "page-1": ${afterPage1.join(', ')}`);
    return { all, withPrefix, afterPage1 };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('6. Iterate keys with their size and content type', iterateKeys, iterateKeysStorages);
