import { KeyValueStore } from '@x/core';
import { describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

describe('the URL-signing secret of a key-value store', () => {
  it('each store has its own, made with it and the same on every read', async () => {
    const storageClient = new MemoryStorageClient();
    const stores = await Promise.all([
      KeyValueStore.open({ storageClient }),
      KeyValueStore.open({ name: 'a', storageClient }),
      KeyValueStore.open({ name: 'b', storageClient }),
    ]);
    const secrets = await Promise.all(stores.map(async (store) => (await store.getMetadata()).urlSigningSecretKey));
    for (const secret of secrets) expect(secret).toMatch(/^[\w-]{43}$/);
    expect(new Set(secrets).size).toBe(3);
    expect((await (await KeyValueStore.open({ name: 'a', storageClient })).getMetadata()).urlSigningSecretKey).toBe(secrets[1]);
  });
});
