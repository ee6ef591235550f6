import { CheerioCrawler, Configuration, LogLevel, RequestQueue as CrawleeRequestQueue, log as crawleeLog } from '@crawlee/cheerio';
import { Dataset, RequestQueue, StorageError, type StorageClient } from '@x/core';
import { toCrawleeStorageClient } from '@x/crawlee';
import { RedisStorageClient } from '@x/redis-client';
import { startLocalSite } from './local-site.js';
import { isMain, quiet, type Log } from './run-alone.js';

/** What the distributed crawl did. */
export interface DistributedCrawlOutcome {
  readonly pages: number;
  /** Pages each worker crawled, in worker order. */
  readonly perWorker: number[];
  /** Results in the shared dataset. */
  readonly results: number;
  /** Distinct page URLs among the results. */
  readonly distinctUrls: number;
  readonly finished: boolean;
}

/**
 * Example 12: one crawl shared by several workers (on Redis when run alone). Each worker is a `CheerioCrawler` with a storage
 * client of its own (as on its own machine: a connection to Redis, or to `@x/server`) on the same
 * named queue "distributed-queue": every request is locked for the worker that took it, so each
 * page is crawled by exactly one worker, and all results land in the shared dataset
 * "distributed-results". `openWorkerClient` makes one client per worker (and one to seed and read).
 */
export async function distributedCrawl(
  openWorkerClient: () => StorageClient | Promise<StorageClient>,
  log: Log = quiet,
  options: { readonly workers?: number; readonly pages?: number } = {},
): Promise<DistributedCrawlOutcome> {
  const workers = options.workers ?? 3;
  const pages = options.pages ?? 150;
  crawleeLog.setLevel(LogLevel.ERROR);
  const site = await startLocalSite(pages, 20);
  const main = await openWorkerClient();
  const clients: StorageClient[] = [];
  try {
    // Start afresh: the queue and the results of an earlier run are dropped.
    await (await RequestQueue.open({ name: 'distributed-queue', storageClient: main })).drop();
    await (await Dataset.open({ name: 'distributed-results', storageClient: main })).drop();
    await (await RequestQueue.open({ name: 'distributed-queue', storageClient: main })).addRequest(site.startUrl);
    const perWorker = new Array<number>(workers).fill(0);
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        const client = await openWorkerClient();
        clients.push(client);
        const config = new Configuration({ storageClient: toCrawleeStorageClient(client), purgeOnStart: false });
        const requestQueue = await CrawleeRequestQueue.open('distributed-queue', { config });
        const crawler = new CheerioCrawler(
          {
            requestQueue,
            maxConcurrency: 3,
            async requestHandler({ request, $, enqueueLinks }) {
              perWorker[worker]!++;
              await (await Dataset.open({ name: 'distributed-results', storageClient: client })).pushData({ url: request.url, title: $('title').text(), worker });
              await enqueueLinks();
            },
          },
          config,
        );
        await crawler.run();
      }),
    );
    const { items, total } = await (await Dataset.open({ name: 'distributed-results', storageClient: main })).getData();
    const distinctUrls = new Set(items.map((item) => item['url'])).size;
    const finished = await (await RequestQueue.open({ name: 'distributed-queue', storageClient: main })).isFinished();
    log(`${workers} workers crawled the ${pages}-page site together: ${perWorker.join(' + ')} pages`);
    log(`the shared dataset holds ${total} results for ${distinctUrls} distinct pages; the queue is finished: ${finished}`);
    return { pages, perWorker, results: total, distinctUrls, finished };
  } finally {
    for (const client of clients) await client.close();
    await main.close();
    await site.close();
  }
}

if (isMain(import.meta.url)) {
  void (async () => {
    console.log('== 12. One crawl shared by three Crawlee workers on Redis ==');
    const url = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
    // A key prefix of the example's own: it touches no one else's keys, and a rerun replaces its storages.
    const prefix = 'x-example-distributed-crawl';
    try {
      await distributedCrawl(() => new RedisStorageClient({ url, prefix }), (line) => console.log(`  ${line}`));
    } catch (error) {
      if (!StorageError.is(error, 'io')) throw error;
      console.log(`  skipped: no Redis answers at ${url} (start redis-server or set REDIS_URL)`);
      return;
    }
    console.log(`  (Redis ${url}, key prefix ${prefix})`);
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
