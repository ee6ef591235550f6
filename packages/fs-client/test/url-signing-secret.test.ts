// Each key-value store has its own URL-signing secret, kept in its `__metadata__.json` (as the
// Apify platform keeps one per store), so that a signed record URL opens one record of one store.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyValueStore as CrawleeKeyValueStore } from '@crawlee/core';
import { KeyValueStore } from '@x/core';
import { describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import { crawleeStorage, storageDirsPerTest } from './crawlee-fixtures.js';

const newDir = storageDirsPerTest();

function storedSecret(storeDir: string): unknown {
  return (JSON.parse(readFileSync(join(storeDir, '__metadata__.json'), 'utf8')) as Record<string, unknown>)['urlSigningSecretKey'];
}

describe('the URL-signing secret of a key-value store', () => {
  it('is made with the store, written to its metadata file, and the same after a reopen', async () => {
    const dir = newDir('signing-new');
    const client = new FileSystemStorageClient({ storageDir: dir, logger: { warn: () => {} } });
    const a = await KeyValueStore.open({ name: 'store-a', storageClient: client });
    const b = await KeyValueStore.open({ name: 'store-b', storageClient: client });
    const defaultStore = await KeyValueStore.open({ storageClient: client });
    const secrets = await Promise.all([a, b, defaultStore].map(async (store) => (await store.getMetadata()).urlSigningSecretKey));
    for (const secret of secrets) expect(secret).toMatch(/^[\w-]{43}$/);
    expect(new Set(secrets).size).toBe(3);
    // On disk at once, not "shortly after": a URL signed now must still open after a crash.
    expect(storedSecret(join(dir, 'key_value_stores', 'store-a'))).toBe(secrets[0]);
    expect(storedSecret(join(dir, 'key_value_stores', 'default'))).toBe(secrets[2]);

    const reopened = new FileSystemStorageClient({ storageDir: dir, logger: { warn: () => {} } });
    const again = await KeyValueStore.open({ name: 'store-a', storageClient: reopened });
    expect((await again.getMetadata()).urlSigningSecretKey).toBe(secrets[0]);
  });

  it('a store Crawlee wrote (no secret in its metadata) gets one on first need, and keeps it', async () => {
    const dir = newDir('signing-crawlee');
    const { storage, options } = crawleeStorage(dir);
    const crawleeStore = await CrawleeKeyValueStore.open('from-crawlee', options);
    await crawleeStore.setValue('OUTPUT', { done: true });
    await storage.teardown();
    const storeDir = join(dir, 'key_value_stores', 'from-crawlee');
    expect(storedSecret(storeDir)).toBeUndefined();

    const client = new FileSystemStorageClient({ storageDir: dir, logger: { warn: () => {} } });
    const store = await KeyValueStore.open({ name: 'from-crawlee', storageClient: client });
    expect(await store.getValue('OUTPUT')).toEqual({ done: true });
    const secret = (await store.getMetadata()).urlSigningSecretKey;
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(storedSecret(storeDir)).toBe(secret);
    expect((await store.getMetadata()).urlSigningSecretKey).toBe(secret);

    const reopened = new FileSystemStorageClient({ storageDir: dir, logger: { warn: () => {} } });
    expect((await (await KeyValueStore.open({ name: 'from-crawlee', storageClient: reopened })).getMetadata()).urlSigningSecretKey).toBe(secret);
    // Crawlee still reads the store.
    const { options: laterOptions } = crawleeStorage(dir);
    expect(await (await CrawleeKeyValueStore.open('from-crawlee', laterOptions)).getValue('OUTPUT')).toEqual({ done: true });
  });
});
