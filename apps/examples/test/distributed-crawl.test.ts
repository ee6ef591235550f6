import { randomBytes } from 'node:crypto';
import { CloudStorageClient } from '@x/cloud-client';
import { Dataset, RequestQueue } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { describe, expect, it } from 'vitest';
import { distributedCrawl, loadRedisClient } from '../src/distributed-crawl.js';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const redis = await loadRedisClient();
if (!redis) console.warn('[@x/examples] distributed-crawl.test.ts: the Redis case is skipped: @x/redis-client cannot be imported (it is not in this workspace yet)');

function expectShared(outcome: Awaited<ReturnType<typeof distributedCrawl>>): void {
  expect(outcome.results).toBe(outcome.pages);
  expect(outcome.distinctUrls).toBe(outcome.pages);
  expect(outcome.perWorker.reduce((a, b) => a + b, 0)).toBe(outcome.pages);
  expect(outcome.perWorker.every((n) => n > 0)).toBe(true);
  expect(outcome.finished).toBe(true);
}

describe('example 11, one crawl shared by three workers', () => {
  it('over @x/server: each worker a cloud client of its own; every page crawled once, by one of them, and each took a share', async () => {
    const token = 'distributed-example-token';
    const server = await startServer({ storageClient: new MemoryStorageClient(), host: '127.0.0.1', port: 0, token });
    try {
      const outcome = await distributedCrawl(() => new CloudStorageClient({ baseUrl: server.url, token, strongQueueConsistency: true, retryBaseDelayMs: 5 }));
      expectShared(outcome);
    } finally {
      await server.close();
    }
  }, 60_000);

  it.skipIf(!redis)('on Redis (the example as it runs alone): the same, each worker a Redis connection of its own', async () => {
    const prefix = `x-examples-test-${randomBytes(6).toString('hex')}:`;
    const outcome = await distributedCrawl(() => new redis!.RedisStorageClient({ url: REDIS_URL, prefix }));
    expectShared(outcome);
    // Our keys only: drop the storages the example left under the test's own prefix.
    const cleanup = new redis!.RedisStorageClient({ url: REDIS_URL, prefix });
    await (await RequestQueue.open({ name: 'distributed-queue', storageClient: cleanup })).drop();
    await (await Dataset.open({ name: 'distributed-results', storageClient: cleanup })).drop();
    await cleanup.close();
  }, 60_000);
});
