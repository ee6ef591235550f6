import { Configuration, StorageManager } from '@crawlee/core';
import { toCrawleeStorageClient, type CrawleeStorageClient } from '../../src/index.js';
import type { ClientCase, OpenedClient } from '../fixtures/clients.js';

/**
 * Stands where Crawlee's tests use their `MemoryStorageEmulator`: `init()` makes a fresh client of
 * `clientCase` and installs it, through the adapter, as the storage client of Crawlee's global
 * configuration; `destroy()` disposes of it.
 */
export class AdaptedStorageEmulator {
  readonly #clientCase: ClientCase;
  readonly #opened: OpenedClient[] = [];
  #storage: CrawleeStorageClient | undefined;

  constructor(clientCase: ClientCase) {
    this.#clientCase = clientCase;
  }

  async init(): Promise<void> {
    StorageManager.clearCache();
    const opened = await this.#clientCase.open();
    this.#opened.push(opened);
    this.#storage = toCrawleeStorageClient(opened.client);
    Configuration.getGlobalConfig().useStorageClient(this.#storage);
  }

  async destroy(): Promise<void> {
    StorageManager.clearCache();
    for (const opened of this.#opened.splice(0)) await opened.dispose();
  }

  getDataset(id?: string) {
    return this.#storage!.dataset(id ?? Configuration.getGlobalConfig().get('defaultDatasetId'));
  }

  async getDatasetItems(id?: string) {
    return (await this.getDataset(id).listItems()).items;
  }

  getRequestQueue(id?: string) {
    return this.#storage!.requestQueue(id ?? Configuration.getGlobalConfig().get('defaultRequestQueueId'));
  }

  getKeyValueStore(id?: string) {
    return this.#storage!.keyValueStore(id ?? Configuration.getGlobalConfig().get('defaultKeyValueStoreId'));
  }
}
