import { Actor } from '@x/actor';
import { StorageError, type KeyValueStore, type StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const dropNamedStoreStorages: NamedStorages = { keyValueStores: ['scratch-store'] };

/** What the drop example did. */
export interface DropNamedStoreOutcome {
  readonly droppedId: string;
  /** Keys of the store just before it was dropped. */
  readonly keysBeforeDrop: string[];
  /** The error code of opening the dropped store by its id (`not-found`). */
  readonly openByIdAfterDrop: string;
  /** Opening the name again makes a new, empty store with another id. */
  readonly reopenedId: string;
  readonly reopenedKeys: string[];
}

async function keysOf(store: KeyValueStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.iterateKeys()) keys.push(key);
  return keys;
}

/** Example 2: open a named store, write to it, drop it, and show that it is gone. */
export async function dropNamedStore(storageClient: StorageClient, log: Log = quiet): Promise<DropNamedStoreOutcome> {
  await Actor.init({ storageClient });
  try {
    const store = await Actor.openKeyValueStore({ name: 'scratch-store' });
    await store.setValue('draft', { step: 1 });
    await store.setValue('notes', 'to be thrown away');
    const keysBeforeDrop = await keysOf(store);
    log(`opened "scratch-store" (id ${store.id}) and wrote ${keysBeforeDrop.join(', ')}`);

    await store.drop();
    let openByIdAfterDrop = 'opened';
    try {
      await Actor.openKeyValueStore({ id: store.id });
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      openByIdAfterDrop = error.code;
    }
    log(`dropped it; opening id ${store.id} now fails with "${openByIdAfterDrop}"`);

    const reopened = await Actor.openKeyValueStore({ name: 'scratch-store' });
    const reopenedKeys = await keysOf(reopened);
    log(`opening the name again makes a new store (id ${reopened.id}) with ${reopenedKeys.length} records`);
    await reopened.drop();
    return { droppedId: store.id, keysBeforeDrop, openByIdAfterDrop, reopenedId: reopened.id, reopenedKeys };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('2. Open a named store, write, drop it', dropNamedStore, dropNamedStoreStorages);
