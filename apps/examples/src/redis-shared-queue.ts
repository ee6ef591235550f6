import { Dataset, RequestQueue } from '@x/core';
import { RedisStorageClient } from '@x/redis-client';
import { isMain, quiet, type Log } from './run-alone.js';

/** What the shared-queue example did. */
export interface RedisSharedQueueOutcome {
  /** Requests the producer added. */
  readonly added: number;
  /** How many requests each worker handled. */
  readonly handledByWorker: number[];
  /** Result items in the shared dataset: one per request. */
  readonly results: number;
  /** Distinct URLs among the results. */
  readonly distinctUrls: number;
  readonly handledCount: number;
  readonly isFinished: boolean;
}

/** Options of the example: where Redis is and the key prefix of its storages. */
export interface RedisSharedQueueOptions {
  /** Default `REDIS_URL`, else redis://127.0.0.1:6379. */
  readonly url?: string | undefined;
  /** The key prefix (default `examples`): the example's storages are dropped first, so reruns print the same. */
  readonly prefix?: string | undefined;
  readonly workers?: number | undefined;
}

/**
 * Example 10: one request queue and one dataset in Redis, shared by several workers. Each worker
 * has a storage client of its own (its own connection, as a process on another machine would):
 * the producer adds 100 URLs, three workers take them concurrently (each request is locked to one
 * worker until it is handled), push a result each, and stop when the queue is finished. No request
 * is handled twice, and a worker that died would have its locked requests back after `lockSecs`.
 */
export async function redisSharedQueue(options: RedisSharedQueueOptions = {}, log: Log = quiet): Promise<RedisSharedQueueOutcome> {
  const { url, prefix = 'examples', workers = 3 } = options;
  const producer = new RedisStorageClient({ url, prefix });
  const clients = Array.from({ length: workers }, () => new RedisStorageClient({ url, prefix, lockSecs: 30 }));
  try {
    // A fresh start: drop what an earlier run left.
    for (const storage of [await RequestQueue.open({ name: 'shared-urls', storageClient: producer }), await Dataset.open({ name: 'shared-results', storageClient: producer })]) {
      await storage.drop();
    }
    const queue = await RequestQueue.open({ name: 'shared-urls', storageClient: producer });
    const urls = Array.from({ length: 100 }, (_, i) => `https://example.com/products/${i + 1}`);
    const { processedRequests } = await queue.addRequests(urls);
    const added = processedRequests.filter((r) => !r.wasAlreadyPresent).length;
    log(`the producer added ${added} requests to the Redis queue "shared-urls" (prefix "${prefix}")`);

    const handledByWorker = await Promise.all(
      clients.map(async (storageClient, worker) => {
        const myQueue = await RequestQueue.open({ name: 'shared-urls', storageClient });
        const results = await Dataset.open({ name: 'shared-results', storageClient });
        let handled = 0;
        while (!(await myQueue.isFinished())) {
          const request = await myQueue.fetchNextRequest();
          if (!request) {
            await new Promise((resolve) => setTimeout(resolve, 20)); // the rest is locked by other workers
            continue;
          }
          await results.pushData({ url: request.url, worker });
          await myQueue.markRequestAsHandled(request);
          handled++;
        }
        return handled;
      }),
    );
    log(`three workers handled ${handledByWorker.join(' + ')} = ${handledByWorker.reduce((a, b) => a + b, 0)} requests`);
    const dataset = await Dataset.open({ name: 'shared-results', storageClient: producer });
    const { items, total } = await dataset.getData({ limit: 1000 });
    const distinctUrls = new Set(items.map((item) => item['url'])).size;
    const handledCount = await queue.getHandledCount();
    const isFinished = await queue.isFinished();
    log(`the dataset "shared-results" holds ${total} results for ${distinctUrls} distinct URLs; handled ${handledCount}, isFinished=${isFinished}`);
    return { added, handledByWorker, results: total, distinctUrls, handledCount, isFinished };
  } finally {
    for (const client of [producer, ...clients]) await client.close();
  }
}

if (isMain(import.meta.url)) {
  console.log('== 10. One queue and one dataset in Redis, shared by three workers ==');
  redisSharedQueue({}, (line) => console.log(`  ${line}`)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
