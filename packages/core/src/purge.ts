import { Dataset } from './dataset.js';
import { KeyValueStore } from './key-value-store.js';
import { RequestQueue } from './request-queue.js';
import type { StorageClient } from './storage-client.js';

/** Options of {@link purgeDefaultStorages}. */
export interface PurgeOptions {
  /** The record of the run's input, which purging keeps. Default `INPUT`. */
  readonly inputKey?: string | undefined;
}

/**
 * Empties the run's default storages, as a fresh local run expects: the default dataset and
 * request queue are dropped (and made anew when next opened), and every record of the default
 * key-value store but the input is deleted. Named storages are kept.
 */
export async function purgeDefaultStorages(storageClient: StorageClient, options: PurgeOptions = {}): Promise<void> {
  const inputKey = options.inputKey ?? 'INPUT';
  await (await Dataset.open({ storageClient })).drop();
  await (await RequestQueue.open({ storageClient })).drop();
  const store = await KeyValueStore.open({ storageClient });
  const keys: string[] = [];
  for await (const { key } of store.iterateKeys()) if (key !== inputKey) keys.push(key);
  for (const key of keys) await store.setValue(key, null);
}
