import type { DatasetMetadata, KeyValueStoreMetadata, RequestQueueMetadata } from './models.js';
import type {
  DatasetClient,
  KeyValueStoreClient,
  RequestQueueClient,
  StorageClient,
  StorageClientCapabilities,
  StorageTarget,
} from './storage-client.js';

/** The storages of one kind as a client keeps them: one opened by target, and all of them. */
export interface StorageCollection<S> {
  open(target: StorageTarget): S;
  all(): S[];
}

/** The three collections of a {@link CollectionStorageClient}. */
export interface StorageCollections {
  readonly datasets: StorageCollection<DatasetClient>;
  readonly keyValueStores: StorageCollection<KeyValueStoreClient>;
  readonly requestQueues: StorageCollection<RequestQueueClient>;
}

/**
 * A base for storage clients that keep their storages in local collections (in memory, on
 * disk): opening and listing are the collections' work, the rest is the storages'.
 */
export abstract class CollectionStorageClient implements StorageClient {
  abstract readonly name: string;
  abstract readonly capabilities: StorageClientCapabilities;

  protected constructor(private readonly collections: StorageCollections) {}

  async openDataset(target: StorageTarget): Promise<DatasetClient> {
    return this.collections.datasets.open(target);
  }

  async openKeyValueStore(target: StorageTarget): Promise<KeyValueStoreClient> {
    return this.collections.keyValueStores.open(target);
  }

  async openRequestQueue(target: StorageTarget): Promise<RequestQueueClient> {
    return this.collections.requestQueues.open(target);
  }

  async listDatasets(): Promise<DatasetMetadata[]> {
    return Promise.all(this.collections.datasets.all().map((storage) => storage.getMetadata()));
  }

  async listKeyValueStores(): Promise<KeyValueStoreMetadata[]> {
    return Promise.all(this.collections.keyValueStores.all().map((storage) => storage.getMetadata()));
  }

  async listRequestQueues(): Promise<RequestQueueMetadata[]> {
    return Promise.all(this.collections.requestQueues.all().map((storage) => storage.getMetadata()));
  }

  /** Ends the client. Nothing is left to write for a client in memory; clients that write later override it. */
  async close(): Promise<void> {}
}
