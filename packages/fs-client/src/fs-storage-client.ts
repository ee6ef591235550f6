import { join, resolve } from 'node:path';
import { CollectionStorageClient, type StorageClientCapabilities } from '@x/core';
import { FsDataset } from './fs-dataset.js';
import { FsKeyValueStore } from './fs-key-value-store.js';
import { FsRequestQueue } from './fs-request-queue.js';
import { FsCollection, type FsContext, type FsStorageBase } from './fs-storage-base.js';
import type { WarningLogger } from './metadata-file.js';

/** Options of {@link FileSystemStorageClient}. */
export interface FileSystemStorageClientOptions {
  /**
   * The storage folder. Default: `CRAWLEE_STORAGE_DIR`, else `APIFY_LOCAL_STORAGE_DIR`, else
   * `./storage`, from the current directory.
   */
  readonly storageDir?: string | undefined;
  /**
   * Flush every file to the disk before it replaces the old one, so writes survive a power loss
   * too (a crash of the process never loses a finished write either way). Slower. Default false.
   */
  readonly fsync?: boolean | undefined;
  /** Where warnings about skipped or repaired files go. Default: `console.warn`. */
  readonly logger?: WarningLogger | undefined;
  /**
   * A request queue of at least this many requests leaves a snapshot of its order keys when the
   * process exits (or on {@link FileSystemStorageClient.flush}), so opening it again reads one file
   * instead of one per request, as long as nothing changed in its folder since. Default 10,000.
   */
  readonly queueSnapshotMinRequests?: number | undefined;
}

/** The storage folder from the environment: `CRAWLEE_STORAGE_DIR`, `APIFY_LOCAL_STORAGE_DIR` or `./storage`. */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['CRAWLEE_STORAGE_DIR'] || env['APIFY_LOCAL_STORAGE_DIR'] || './storage';
}

const consoleLogger: WarningLogger = { warn: (message) => console.warn(`[@x/fs-client] ${message}`) };

/**
 * A storage client that keeps storages in a local folder, in the layout Crawlee and the Apify CLI
 * use (`datasets/`, `key_value_stores/`, `request_queues/`), so folders move freely between them.
 * Every file is written to a temporary file and renamed into place: a killed process never leaves
 * a broken file, and a write whose promise resolved is on disk.
 *
 * ```ts
 * const dataset = await Dataset.open({ storageClient: new FileSystemStorageClient({ storageDir: './storage' }) });
 * ```
 */
export class FileSystemStorageClient extends CollectionStorageClient {
  readonly name = 'fs';
  readonly capabilities: StorageClientCapabilities = { strongQueueConsistency: true, persistent: true };
  /** The absolute path of the storage folder. */
  readonly storageDir: string;
  readonly #collections: readonly FsCollection<FsStorageBase>[];

  constructor(options: FileSystemStorageClientOptions = {}) {
    const storageDir = resolve(options.storageDir ?? defaultStorageDir());
    const ctx: FsContext = {
      logger: options.logger ?? consoleLogger,
      writeOptions: { fsync: options.fsync ?? false },
      queueSnapshotMinRequests: options.queueSnapshotMinRequests ?? 10_000,
    };
    const datasets = new FsCollection(join(storageDir, 'datasets'), 'dataset', ctx, (dir, id) => new FsDataset(dir, id, ctx));
    const keyValueStores = new FsCollection(join(storageDir, 'key_value_stores'), 'keyValueStore', ctx, (dir, id) => new FsKeyValueStore(dir, id, ctx));
    const requestQueues = new FsCollection(join(storageDir, 'request_queues'), 'requestQueue', ctx, (dir, id) => new FsRequestQueue(dir, id, ctx));
    super({ datasets, keyValueStores, requestQueues });
    this.storageDir = storageDir;
    this.#collections = [datasets, keyValueStores, requestQueues];
  }

  /**
   * Writes now what is otherwise written shortly after or at exit: pending metadata changes, and
   * the snapshots of large request queues. Every storage is flushed even when one fails; then the
   * first failure is thrown (an OS error as a `StorageError` with code `io`).
   */
  flush(): void {
    let failure: { error: unknown } | undefined;
    for (const collection of this.#collections) {
      for (const storage of collection.opened()) {
        try {
          storage.flush();
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure) throw failure.error;
  }

  /**
   * Writes everything still to be written (as {@link FileSystemStorageClient.flush}) and stops the
   * timers and exit hooks of the storages it opened. Idempotent; call it when done with the client,
   * before another program (Crawlee, a second process) reads the folder.
   */
  override async close(): Promise<void> {
    for (const collection of this.#collections) for (const storage of collection.opened()) storage.close();
  }
}
