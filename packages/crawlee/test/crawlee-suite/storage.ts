import type * as crawlee from '@crawlee/types';
import { afterAll, beforeAll } from 'vitest';
import { toCrawleeStorageClient, type CrawleeStorageClient } from '../../src/index.js';
import type { ClientCase, OpenedClient } from '../fixtures/clients.js';

/**
 * For the tests ported from Crawlee: a Crawlee storage client standing where Crawlee's tests make
 * `new MemoryStorage()`, backed by our client of `clientCase` (opened before the enclosing
 * `describe`'s tests, and disposed after them).
 */
export function useAdaptedStorage(clientCase: ClientCase): crawlee.StorageClient {
  let opened: OpenedClient | undefined;
  let adapter: CrawleeStorageClient | undefined;
  beforeAll(async () => {
    opened = await clientCase.open();
    adapter = toCrawleeStorageClient(opened.client);
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  const current = (): CrawleeStorageClient => {
    if (!adapter) throw new Error('The storage is opened in beforeAll: use it inside hooks and tests');
    return adapter;
  };
  return {
    datasets: () => current().datasets(),
    dataset: (id) => current().dataset(id),
    keyValueStores: () => current().keyValueStores(),
    keyValueStore: (id) => current().keyValueStore(id),
    requestQueues: () => current().requestQueues(),
    requestQueue: (id, options) => current().requestQueue(id, options),
    purge: () => current().purge(),
    teardown: () => current().teardown(),
  };
}
