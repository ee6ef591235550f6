import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Dataset, KeyValueStore, StorageError } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { describe, expect, it } from 'vitest';
import { CloudStorageClient, DEFAULT_NETWORK_RETRY_DEADLINE_MS } from '../src/index.js';
import { startFaultProxy } from './fault-proxy.js';
import { TEST_TOKEN } from './helpers.js';

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<{ error: StorageError; seconds: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StorageError.is(error), `expected a StorageError, got ${String(error)}`).toBe(true);
  return { error: error as StorageError, seconds: (Date.now() - started) / 1000 };
}

// The generous bounds below are for a busy machine; without the deadline these calls retried for
// about a minute (8 attempts, 0.5 s doubling), past the test's own timeout. The tests run at the
// same time: each has servers and clients of its own, and most of their time is spent waiting
// (the first for the real 10-second default deadline).
describe.concurrent('a server that cannot be reached', () => {
  it('a refused connection fails within the default deadline (10 s), with an io error naming the base URL', async () => {
    expect(DEFAULT_NETWORK_RETRY_DEADLINE_MS).toBe(10_000);
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const client = new CloudStorageClient({ baseUrl, token: TEST_TOKEN });
    try {
      const { error, seconds } = await failure(Dataset.open({ name: 'nowhere', storageClient: client }));
      expect(error.code).toBe('io');
      expect(error.message).toContain(`Cannot reach the API at ${baseUrl}`);
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.message).toContain('APIFY_API_BASE_URL');
      // It did retry (0.5 s, 1 s, 2 s, 4 s, jittered) and gave up before the next wait would pass 10 s.
      expect(Number(/after (\d+) attempts/.exec(error.message)?.[1])).toBeGreaterThan(1);
      expect(seconds).toBeGreaterThan(3);
      expect(seconds).toBeLessThan(20);
      expect(error.message).not.toContain(TEST_TOKEN);
    } finally {
      await client.close();
    }
  });

  it('a host that does not resolve (ENOTFOUND) fails the same way, naming it', async () => {
    const baseUrl = 'http://api.x-storage-test.invalid';
    const client = new CloudStorageClient({ baseUrl, token: TEST_TOKEN, networkRetryDeadlineMs: 2_000 });
    try {
      const { error, seconds } = await failure(KeyValueStore.open({ name: 'nowhere', storageClient: client }));
      expect(error.code).toBe('io');
      expect(error.message).toContain(`Cannot reach the API at ${baseUrl}`);
      expect(error.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(seconds).toBeLessThan(12);
    } finally {
      await client.close();
    }
  });

  it('networkRetryDeadlineMs sets the deadline; a bad value is refused', async () => {
    const client = new CloudStorageClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, token: TEST_TOKEN, networkRetryDeadlineMs: 300 });
    try {
      const { error, seconds } = await failure(Dataset.open({ name: 'nowhere', storageClient: client }));
      expect(error.code).toBe('io');
      expect(seconds).toBeLessThan(5);
    } finally {
      await client.close();
    }
    expect(() => new CloudStorageClient({ networkRetryDeadlineMs: 0 })).toThrow(StorageError);
  });

  it('answers of 500 are still retried maxAttempts times with backoff: the deadline is for no answer only', async () => {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
    const proxy = await startFaultProxy(server.url, () => '500');
    const client = new CloudStorageClient({ baseUrl: proxy.url, token: TEST_TOKEN, retryBaseDelayMs: 20, networkRetryDeadlineMs: 1 });
    try {
      const { error } = await failure(Dataset.open({ name: 'never', storageClient: client }));
      expect(error.code).toBe('internal');
      expect(error.message).toContain('8 attempts');
      expect(proxy.seen).toHaveLength(8);
    } finally {
      await client.close();
      await proxy.close();
      await server.close();
    }
  });

  it('an attempt is cut after timeoutMs, whether no answer comes or it trickles in, and retried until the deadline', async () => {
    const trickles: NodeJS.Timeout[] = [];
    let requests = 0;
    const server = createHttpServer((req, res) => {
      requests++;
      // Odd requests get no answer; even ones get headers at once and then a byte every 50 ms, forever.
      if (requests % 2 === 1) return;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      trickles.push(setInterval(() => res.write(' '), 50));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new CloudStorageClient({ baseUrl, token: TEST_TOKEN, timeoutMs: 300, retryBaseDelayMs: 10, networkRetryDeadlineMs: 3_000 });
    try {
      const { error, seconds } = await failure(Dataset.open({ name: 'slow', storageClient: client }));
      expect(error.code).toBe('io');
      expect(error.message).toContain('ETIMEDOUT');
      expect(requests).toBeGreaterThanOrEqual(3);
      expect(seconds).toBeLessThan(15);
    } finally {
      for (const trickle of trickles) clearInterval(trickle);
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a connection dropped now and then is retried and the work completes', async () => {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
    // Every other request is dropped before it reaches the server.
    const proxy = await startFaultProxy(server.url, (n) => (n % 2 === 0 ? 'drop' : 'pass'));
    const client = new CloudStorageClient({ baseUrl: proxy.url, token: TEST_TOKEN, retryBaseDelayMs: 5, networkRetryDeadlineMs: 2_000 });
    try {
      const dataset = await Dataset.open({ name: 'flaky', storageClient: client });
      for (let i = 0; i < 5; i++) await dataset.pushData({ i });
      expect((await dataset.getData()).items).toHaveLength(5);
      expect(proxy.seen.some((s) => s.fault === 'drop')).toBe(true);
    } finally {
      await client.close();
      await proxy.close();
      await server.close();
    }
  });
});
