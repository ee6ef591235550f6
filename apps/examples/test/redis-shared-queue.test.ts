import { randomBytes } from 'node:crypto';
import { Dataset, RequestQueue, StorageError } from '@x/core';
import { RedisStorageClient } from '@x/redis-client';
import { describe, expect, it } from 'vitest';
import { redisSharedQueue } from '../src/redis-shared-queue.js';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** Whether Redis answers; without it (and without CI) this example's test is skipped with one line. */
async function redisAnswers(): Promise<boolean> {
  const probe = new RedisStorageClient({ url: REDIS_URL, prefix: `xt-probe-${process.pid}`, timeoutMs: 2_000 });
  try {
    await probe.listDatasets();
    return true;
  } catch (error) {
    if (!StorageError.is(error, 'io')) throw error;
    if (process.env['CI']) throw new Error(`no Redis answers at ${REDIS_URL}, and CI is set: the Redis example must run`);
    process.stderr.write(`[example 10, Redis] skipped: no Redis answers at ${REDIS_URL} (start redis-server or set REDIS_URL)\n`);
    return false;
  } finally {
    await probe.close();
  }
}

describe.skipIf(!(await redisAnswers()))('example 10, one Redis queue shared by three workers', () => {
  it('handles each of 100 requests exactly once across the workers, one result each, and leaves a finished queue', async () => {
    const prefix = `xt-examples-${process.pid}-${randomBytes(4).toString('hex')}`;
    const lines: string[] = [];
    try {
      const outcome = await redisSharedQueue({ url: REDIS_URL, prefix }, (line) => lines.push(line));
      expect(outcome.added).toBe(100);
      expect(outcome.handledByWorker.reduce((a, b) => a + b, 0)).toBe(100);
      expect(outcome).toMatchObject({ results: 100, distinctUrls: 100, handledCount: 100, isFinished: true });
      expect(lines.at(-1)).toContain('100 results for 100 distinct URLs');
      // A rerun starts afresh and prints the same.
      expect(await redisSharedQueue({ url: REDIS_URL, prefix })).toMatchObject({ added: 100, results: 100, handledCount: 100 });
    } finally {
      const client = new RedisStorageClient({ url: REDIS_URL, prefix });
      await (await RequestQueue.open({ name: 'shared-urls', storageClient: client })).drop();
      await (await Dataset.open({ name: 'shared-results', storageClient: client })).drop();
      expect(await client.listDatasets()).toEqual([]);
      await client.close();
    }
  });
});
