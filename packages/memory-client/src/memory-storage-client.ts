import type {
  DatasetClient,
  DatasetMetadata,
  KeyValueStoreClient,
  KeyValueStoreMetadata,
  RequestQueueClient,
  RequestQueueMetadata,
  StorageClient,
  StorageClientCapabilities,
  StorageTarget,
} from '@x/core';
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
export class MemoryStorageClient implements StorageClient {
  readonly name = 'memory';
  readonly capabilities: StorageClientCapabilities = { strongQueueConsistency: true, persistent: false };
  readonly #datasets: MemoryCollection<MemoryDataset> = new MemoryCollection(
    'dataset',
    (id, name) => new MemoryDataset(this.#datasets, id, name),
  );
  readonly #keyValueStores: MemoryCollection<MemoryKeyValueStore> = new MemoryCollection(
    'keyValueStore',
    (id, name) => new MemoryKeyValueStore(this.#keyValueStores, id, name),
  );
  readonly #requestQueues: MemoryCollection<MemoryRequestQueue> = new MemoryCollection(
    'requestQueue',
    (id, name) => new MemoryRequestQueue(this.#requestQueues, id, name),
  );

  async openDataset(target: StorageTarget): Promise<DatasetClient> {
    return this.#datasets.open(target);
  }

  async openKeyValueStore(target: StorageTarget): Promise<KeyValueStoreClient> {
    return this.#keyValueStores.open(target);
  }

  async openRequestQueue(target: StorageTarget): Promise<RequestQueueClient> {
    return this.#requestQueues.open(target);
  }

  async listDatasets(): Promise<DatasetMetadata[]> {
    return Promise.all(this.#datasets.all().map((d) => d.getMetadata()));
  }

  async listKeyValueStores(): Promise<KeyValueStoreMetadata[]> {
    return Promise.all(this.#keyValueStores.all().map((s) => s.getMetadata()));
  }

  async listRequestQueues(): Promise<RequestQueueMetadata[]> {
    return Promise.all(this.#requestQueues.all().map((q) => q.getMetadata()));
  }
}
