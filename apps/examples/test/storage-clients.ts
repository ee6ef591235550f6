import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStorageClient } from '@x/cloud-client';
import type { StorageClient } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { afterAll, beforeEach } from 'vitest';

/** A storage client for one test, and how to clean it up. */
interface OpenedClient {
  readonly client: StorageClient;
  dispose(): Promise<void>;
}

/** One of the storage clients every example is tested on. */
export interface ClientCase {
  readonly name: 'memory' | 'fs' | 'cloud';
  open(): Promise<OpenedClient>;
}

const TOKEN = 'examples-test-token';

/** The memory client, the fs client in a temporary folder, and the cloud client against a memory-backed `@x/server` on 127.0.0.1. */
export const CLIENT_CASES: readonly ClientCase[] = [
  {
    name: 'memory',
    async open() {
      return { client: new MemoryStorageClient(), dispose: async () => {} };
    },
  },
  {
    name: 'fs',
    async open() {
      const storageDir = await mkdtemp(join(tmpdir(), 'x-examples-'));
      const client = new FileSystemStorageClient({ storageDir });
      return {
        client,
        async dispose() {
          client.flush();
          await rm(storageDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'cloud',
    async open() {
      const server = await startServer({
        storageClient: new MemoryStorageClient(),
        host: '127.0.0.1',
        port: 0,
        token: TOKEN,
      });
      const client = new CloudStorageClient({ baseUrl: server.url, token: TOKEN, strongQueueConsistency: true, retryBaseDelayMs: 5 });
      return {
        client,
        async dispose() {
          client.close();
          await server.close();
        },
      };
    },
  },
];

const opened: OpenedClient[] = [];

// Clients are closed (and fs folders removed) when the test file ends, not after each test: a store's
// auto-saved values stay subscribed to the process-wide `persistState` event after its run ends, so
// every later `Actor.exit()` persists them again into the client they came from (see the report).
afterAll(async () => {
  for (const client of opened.splice(0).reverse()) await client.dispose();
});

/** Gives every test of the enclosing `describe` a fresh client of `clientCase`; call the result inside a test. */
export function useStorageClient(clientCase: ClientCase): () => StorageClient {
  let current: OpenedClient | undefined;
  beforeEach(async () => {
    current = await clientCase.open();
    opened.push(current);
  });
  return () => {
    if (!current) throw new Error('No storage client: call it inside a test');
    return current.client;
  };
}
