import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { CloudStorageClient, type CloudStorageClientOptions } from '../src/index.js';

/** The token the test servers require. */
export const TEST_TOKEN = 'test-token-9f3a7c1e5b';

/** Fast retries for tests: 5 ms doubling. */
export const FAST: CloudStorageClientOptions = { retryBaseDelayMs: 5, strongQueueConsistency: true };

/** A memory-backed server on loopback and a cloud client talking to it. */
export async function startPair(options: CloudStorageClientOptions = {}): Promise<{ server: RunningServer; client: CloudStorageClient }> {
  const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
  const client = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN, ...options });
  return { server, client };
}
