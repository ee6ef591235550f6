import { randomBytes } from 'node:crypto';
import { CloudStorageClient } from '@x/cloud-client';
import { Dataset, RequestQueue, StorageError } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { RedisStorageClient } from '@x/redis-client';
import { startServer } from '@x/server';
import { describe, expect, it } from 'vitest';
import { distributedCrawl } from '../src/distributed-crawl.js';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
/**
 * The site the workers share: 60 pages rather than the example's 150. The example's crawlers run
 * one page at a time each here (Crawlee's pool scales only every 10 s), so every page adds to the
 * test's time; 60 give each worker its share of a frontier that grows.
 */
const SHARED = { pages: 60 } as const;

/** Whether Redis answers; without it (and without CI) the Redis case is skipped with one line. */
async function redisAnswers(): Promise<boolean> {
  const probe = new RedisStorageClient({ url: REDIS_URL, prefix: `xt-probe-${process.pid}`, timeoutMs: 2_000 });
  try {
    await probe.listDatasets();
    return true;
  } catch (error) {
    if (!StorageError.is(error, 'io')) throw error;
    if (process.env['CI']) throw new Error(`no Redis answers at ${REDIS_URL}, and CI is set: the Redis example must run`);
    process.stderr.write(`[example 12, Redis] skipped: no Redis answers at ${REDIS_URL} (start redis-server or set REDIS_URL)\n`);
    return false;
  } finally {
    await probe.close();
  }
}

const redisUp = await redisAnswers();

function expectShared(outcome: Awaited<ReturnType<typeof distributedCrawl>>): void {
  expect(outcome.pages).toBe(SHARED.pages);
  expect(outcome.results).toBe(outcome.pages);
  expect(outcome.distinctUrls).toBe(outcome.pages);
  expect(outcome.perWorker.reduce((a, b) => a + b, 0)).toBe(outcome.pages);
  // The work is shared: more than one worker crawled (how much each gets depends on who locks first).
  expect(outcome.perWorker.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  expect(outcome.finished).toBe(true);
}

describe('example 12, one crawl shared by three workers', () => {
  it('over @x/server: each worker a cloud client of its own; every page crawled once, by one of them, the work shared', async () => {
    const token = 'distributed-example-token';
    const server = await startServer({ storageClient: new MemoryStorageClient(), host: '127.0.0.1', port: 0, token });
    try {
      const outcome = await distributedCrawl(() => new CloudStorageClient({ baseUrl: server.url, token, strongQueueConsistency: true, retryBaseDelayMs: 5 }), undefined, SHARED);
      expectShared(outcome);
    } finally {
      await server.close();
    }
  }, 60_000);

  it.skipIf(!redisUp)('on Redis (the example as it runs alone): the same, each worker a Redis connection of its own', async () => {
    const prefix = `x-examples-test-${randomBytes(6).toString('hex')}:`;
    const outcome = await distributedCrawl(() => new RedisStorageClient({ url: REDIS_URL, prefix }), undefined, SHARED);
    expectShared(outcome);
    // Our keys only: drop the storages the example left under the test's own prefix.
    const cleanup = new RedisStorageClient({ url: REDIS_URL, prefix });
    await (await RequestQueue.open({ name: 'distributed-queue', storageClient: cleanup })).drop();
    await (await Dataset.open({ name: 'distributed-results', storageClient: cleanup })).drop();
    await cleanup.close();
  }, 60_000);
});
