import { randomBytes } from 'node:crypto';
import type * as crawlee from '@crawlee/types';
import { StorageError, purgeDefaultStorages, type StorageClient, type StorageKind, type StorageMetadata } from '@x/core';
import { CrawleeDatasetClient } from './dataset-client.js';
import { CrawleeKeyValueStoreClient } from './key-value-store-client.js';
import { CrawleeRequestQueueClient } from './request-queue-client.js';
import { StorageHandle, Storages } from './storages.js';

/** Options of {@link toCrawleeStorageClient}. */
export interface CrawleeStorageClientOptions {
  /**
   * The record of the default key-value store that {@link CrawleeStorageClient.purge} keeps (the
   * run's input). Default `INPUT`.
   */
  readonly inputKey?: string | undefined;
}

type Collection<Info> = { list(): Promise<crawlee.PaginatedList<Info>>; getOrCreate(name?: string): Promise<Info> };

/** A storage client that `flush()`es what it keeps for later (the fs client). */
interface Flushable {
  flush(): void | Promise<void>;
}

function isFlushable(client: StorageClient): client is StorageClient & Flushable {
  return typeof (client as Partial<Flushable>).flush === 'function';
}

/**
 * One of our storage clients (memory, fs, Redis, cloud) as Crawlee 3.x's `StorageClient`, so that
 * Crawlee's `Dataset`, `KeyValueStore`, `RequestQueue` and every crawler keep their storages in it.
 * Make it with {@link toCrawleeStorageClient}.
 *
 * - Crawlee's default storages (id `default`) are the run's default storages of `@x/core`, so
 *   `Dataset.open()` of `@x/core` on the same client reads what a crawl pushed, and the other way
 *   round. Crawlee sees them named `default`, as its own default storages are.
 * - Crawlee's `RequestQueue` (v2) locks the requests it takes for its own `clientKey`: several
 *   crawler processes on one shared queue (Redis, `@x/server`) never get the same request while
 *   its lock lasts, and the requests of a process that dies come back when their locks expire.
 * - `purge()` empties the default storages but the input record, as Crawlee's `purgeOnStart`
 *   expects; `teardown()` writes what the client keeps for later (`flush()` of the fs client) and
 *   leaves it open: close the client yourself with `await client.close()` when done with it.
 */
export class CrawleeStorageClient implements crawlee.StorageClient {
  /** The storage client of ours that keeps the storages. */
  readonly storageClient: StorageClient;
  readonly #storages: Storages;
  readonly #inputKey: string;

  constructor(storageClient: StorageClient, options: CrawleeStorageClientOptions = {}) {
    if (typeof storageClient !== 'object' || storageClient === null || typeof storageClient.openDataset !== 'function') {
      throw new StorageError('invalid-argument', 'toCrawleeStorageClient() takes a storage client of @x/core (for example new FileSystemStorageClient())');
    }
    this.storageClient = storageClient;
    this.#storages = new Storages(storageClient);
    this.#inputKey = options.inputKey ?? 'INPUT';
  }

  #collection<K extends StorageKind, Info>(kind: K, infoOf: (metadata: StorageMetadata & Record<string, unknown>) => Info): Collection<Info> {
    const storages = this.#storages;
    return {
      async list() {
        const all = await storages.list(kind);
        const items = all.map((metadata) => infoOf(metadata as StorageMetadata & Record<string, unknown>));
        return { total: items.length, count: items.length, offset: 0, limit: items.length, desc: false, items };
      },
      async getOrCreate(name?: string) {
        const handle = new StorageHandle(kind, storages, storages.targetOfName(kind, name));
        return infoOf((await handle.use((client) => client.getMetadata() as Promise<StorageMetadata>)) as StorageMetadata & Record<string, unknown>);
      },
    };
  }

  /** The collection of datasets: `list()`, and `getOrCreate(name)` (`default`: the run's default dataset). */
  datasets(): crawlee.DatasetCollectionClient {
    return this.#collection('dataset', (metadata) => ({ ...this.#storages.info('dataset', metadata), itemCount: metadata['itemCount'] as number }));
  }

  /** The dataset of `id` (`default` is the run's default dataset). */
  dataset(id: string): crawlee.DatasetClient {
    return new CrawleeDatasetClient(new StorageHandle('dataset', this.#storages, this.#storages.targetOfId('dataset', id)));
  }

  /** The collection of key-value stores. */
  keyValueStores(): crawlee.KeyValueStoreCollectionClient {
    return this.#collection('keyValueStore', (metadata) => this.#storages.info('keyValueStore', metadata));
  }

  /** The key-value store of `id` (`default` is the run's default store). */
  keyValueStore(id: string): crawlee.KeyValueStoreClient {
    return new CrawleeKeyValueStoreClient(new StorageHandle('keyValueStore', this.#storages, this.#storages.targetOfId('keyValueStore', id)));
  }

  /** The collection of request queues. */
  requestQueues(): crawlee.RequestQueueCollectionClient {
    const storages = this.#storages;
    return this.#collection('requestQueue', (metadata) => ({
      ...storages.info('requestQueue', metadata),
      totalRequestCount: metadata['totalRequestCount'] as number,
      handledRequestCount: metadata['handledRequestCount'] as number,
      pendingRequestCount: metadata['pendingRequestCount'] as number,
    })) as crawlee.RequestQueueCollectionClient;
  }

  /**
   * The request queue of `id` (`default` is the run's default queue) for one consumer: locks and
   * changes are made under `options.clientKey` (Crawlee's `RequestQueue` gives its own), else our
   * client's `clientKey`, else a random key. `timeoutSecs` is not used.
   */
  requestQueue(id: string, options: crawlee.RequestQueueOptions = {}): crawlee.RequestQueueClient {
    const clientKey = options.clientKey ?? this.storageClient.clientKey ?? randomBytes(8).toString('hex');
    return new CrawleeRequestQueueClient(new StorageHandle('requestQueue', this.#storages, this.#storages.targetOfId('requestQueue', id)), clientKey);
  }

  /**
   * Empties the run's default storages, as Crawlee does on start (`purgeOnStart`, on by default):
   * the default dataset and request queue are dropped and every record of the default key-value
   * store but the input is deleted. Named storages are kept.
   */
  async purge(): Promise<void> {
    this.#storages.forgetAll();
    await purgeDefaultStorages(this.storageClient, { inputKey: this.#inputKey });
    this.#storages.forgetAll();
  }

  /**
   * Called by Crawlee when a crawler's run ends: writes what our client keeps for later (the fs
   * client's metadata and queue snapshots), and leaves the client open, so the results can be read
   * and another run can follow. Close the client with `await client.close()` when done.
   */
  async teardown(): Promise<void> {
    if (isFlushable(this.storageClient)) await this.storageClient.flush();
  }
}

/**
 * Makes one of our storage clients Crawlee 3.x's storage client:
 *
 * ```ts
 * import { Configuration, CheerioCrawler } from 'crawlee';
 * import { FileSystemStorageClient } from '@x/fs-client';
 * import { toCrawleeStorageClient } from '@x/crawlee';
 *
 * const config = new Configuration({ storageClient: toCrawleeStorageClient(new FileSystemStorageClient()) });
 * const crawler = new CheerioCrawler({ async requestHandler({ $, pushData }) { await pushData({ title: $('title').text() }); } }, config);
 * ```
 */
export function toCrawleeStorageClient(storageClient: StorageClient, options: CrawleeStorageClientOptions = {}): CrawleeStorageClient {
  return new CrawleeStorageClient(storageClient, options);
}
