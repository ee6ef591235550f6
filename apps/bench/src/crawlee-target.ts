import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Configuration, Dataset, KeyValueStore, LogLevel, RequestQueue, log, type Request } from '@crawlee/core';
import { MemoryStorage } from '@crawlee/memory-storage';
import type { BenchRequest, BenchTarget } from './target.js';

/** The installed Crawlee version, for the report. */
export const crawleeVersion: string = (createRequire(import.meta.url)('@crawlee/core/package.json') as { version: string }).version;

/**
 * Crawlee 3's user-level classes on its `MemoryStorage`: kept in memory only, or with `persistDir`
 * persisting every storage to that folder as Crawlee does locally by default. Each storage is
 * opened by name with a configuration of its own.
 */
export function crawleeTarget(options: { readonly persistDir?: string } = {}): BenchTarget {
  log.setLevel(LogLevel.OFF);
  const persist = options.persistDir !== undefined;
  const storageClient = new MemoryStorage({
    persistStorage: persist,
    writeMetadata: persist,
    ...(persist ? { localDataDirectory: options.persistDir } : {}),
  });
  const config = new Configuration({ storageClient, persistStorage: persist });
  const openOptions = { config, storageClient };
  return {
    key: persist ? 'crawlee-persist' : 'crawlee',
    label: `Crawlee ${crawleeVersion}${persist ? ' persisting' : ''}`,
    baseline: true,
    // Persisting, it keeps its storages on disk until the end, as ours on disk does.
    keepsStorages: persist,
    // Its calls resolve before its files are written; `teardown` waits for the writes in flight.
    settle: () => storageClient.teardown(),
    dispose: async () => {
      // Let Crawlee finish its background writes before its folder is removed.
      await storageClient.teardown();
      if (options.persistDir !== undefined) await rm(options.persistDir, { recursive: true, force: true });
    },
    openDataset: async (name) => Dataset.open(name, openOptions),
    openKeyValueStore: async (name) => KeyValueStore.open(name, openOptions),
    openRequestQueue: async (name) => {
      const queue = await RequestQueue.open(name, openOptions);
      return {
        addRequest: (request) => queue.addRequest(request),
        addRequests: (requests) => queue.addRequests(requests),
        fetchNextRequest: () => queue.fetchNextRequest(),
        // Crawlee 3 names it markRequestHandled; the request is the one fetchNextRequest gave.
        markRequestAsHandled: (request: BenchRequest) => queue.markRequestHandled(request as Request),
        isFinished: () => queue.isFinished(),
        drop: () => queue.drop(),
      };
    },
  };
}
