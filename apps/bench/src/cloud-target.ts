import { CloudStorageClient } from '@x/cloud-client';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { ourTarget } from './our-target.js';
import type { BenchTarget } from './target.js';

/** The cloud target, and the server it talks to (started on first use). */
export interface CloudTarget extends BenchTarget {
  /** The running server, starting it when it is not up yet. */
  server(): Promise<RunningServer>;
}

/**
 * Our core classes on `@x/cloud-client`, talking HTTP on loopback to an `@x/server` that keeps its
 * storages in memory (in this process). The server starts on first use and counts the HTTP
 * requests, so the report can show requests per operation.
 */
export function cloudTarget(): CloudTarget {
  const key = 'cloud';
  const label = 'ours (cloud → server)';
  let server: RunningServer | undefined;
  let client: CloudStorageClient | undefined;
  let started: Promise<BenchTarget> | undefined;
  const start = (): Promise<BenchTarget> =>
    (started ??= (async () => {
      server = await startServer({ storageClient: new MemoryStorageClient() });
      client = new CloudStorageClient({ baseUrl: server.url, strongQueueConsistency: true });
      return ourTarget({ key, label, storageClient: client });
    })());
  return {
    key,
    label,
    openDataset: async (name) => (await start()).openDataset(name),
    openKeyValueStore: async (name) => (await start()).openKeyValueStore(name),
    openRequestQueue: async (name) => (await start()).openRequestQueue(name),
    requestCount: () => server?.requestCount ?? 0,
    server: async () => {
      await start();
      return server!;
    },
    async dispose() {
      await client?.close();
      await server?.close();
    },
  };
}
