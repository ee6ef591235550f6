import { createRequire } from 'node:module';
import { Configuration, Dataset, KeyValueStore, LogLevel, RequestQueue, log, type Request } from '@crawlee/core';
import { MemoryStorage } from '@crawlee/memory-storage';
import type { BenchRequest, BenchTarget } from './target.js';

/** The installed Crawlee version, for the report. */
export const crawleeVersion: string = (createRequire(import.meta.url)('@crawlee/core/package.json') as { version: string }).version;

/**
 * Crawlee 3's user-level classes on its `MemoryStorage`, kept in memory only (nothing written to
 * disk), each storage opened by name with a configuration of its own.
 */
export function crawleeMemoryTarget(): BenchTarget {
  log.setLevel(LogLevel.OFF);
  const storageClient = new MemoryStorage({ persistStorage: false, writeMetadata: false });
  const config = new Configuration({ storageClient, persistStorage: false });
  const options = { config, storageClient };
  return {
    key: 'crawlee',
    label: `Crawlee ${crawleeVersion}`,
    baseline: true,
    openDataset: async (name) => Dataset.open(name, options),
    openKeyValueStore: async (name) => KeyValueStore.open(name, options),
    openRequestQueue: async (name) => {
      const queue = await RequestQueue.open(name, options);
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
