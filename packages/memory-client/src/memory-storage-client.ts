import { CollectionStorageClient, type StorageClientCapabilities } from '@x/core';
import { MemoryCollection } from './memory-collection.js';
import { MemoryDataset } from './memory-dataset.js';
import { MemoryKeyValueStore } from './memory-key-value-store.js';
import { MemoryRequestQueue } from './memory-request-queue.js';

/**
 * A storage client that keeps every storage in process memory: the fastest client, and nothing
 * survives the process. Each instance is a separate world of storages.
 *
 * ```ts
 * const kvs = await KeyValueStore.open({ name: 'my-kvs', storageClient: new MemoryStorageClient() });
 * ```
 */
export class MemoryStorageClient extends CollectionStorageClient {
  readonly name = 'memory';
  readonly capabilities: StorageClientCapabilities = { strongQueueConsistency: true, persistent: false };

  constructor() {
    const datasets: MemoryCollection<MemoryDataset> = new MemoryCollection('dataset', (id, name) => new MemoryDataset(datasets, id, name));
    const keyValueStores: MemoryCollection<MemoryKeyValueStore> = new MemoryCollection(
      'keyValueStore',
      (id, name) => new MemoryKeyValueStore(keyValueStores, id, name),
    );
    const requestQueues: MemoryCollection<MemoryRequestQueue> = new MemoryCollection(
      'requestQueue',
      (id, name) => new MemoryRequestQueue(requestQueues, id, name),
    );
    super({ datasets, keyValueStores, requestQueues });
  }
}
