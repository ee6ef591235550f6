import { CheerioCrawler, Configuration, Dataset as CrawleeDataset, LogLevel, RequestQueue as CrawleeRequestQueue, log as crawleeLog } from '@crawlee/cheerio';
import { Dataset, RequestQueue, type StorageClient } from '@x/core';
import { toCrawleeStorageClient } from '@x/crawlee';
import { startLocalSite } from './local-site.js';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const crawlLocalSiteStorages: NamedStorages = { datasets: ['crawl-results'], requestQueues: ['crawl-queue'] };

/** What the crawl did. */
export interface CrawlLocalSiteOutcome {
  /** Pages the site has. */
  readonly pages: number;
  /** Pages Crawlee's request handler ran for. */
  readonly crawled: number;
  /** Pages the site served more than once (none: every page is crawled once). */
  readonly servedTwice: number;
  /** The results, read back with our `Dataset`, sorted by URL. */
  readonly results: { url: string; title: string }[];
  /** The queue's counts, read back with our `RequestQueue`. */
  readonly queue: { total: number; handled: number; finished: boolean };
}

/**
 * Example 11: a Crawlee crawler on our storage. A `CheerioCrawler` crawls a small site served on
 * 127.0.0.1, following links; `toCrawleeStorageClient` makes our storage client Crawlee's, so its
 * queue and results live in our storages (here the named queue "crawl-queue" and dataset
 * "crawl-results"): `@x/fs-client` when run alone or by `pnpm start`, a crash-safe folder that a
 * crawl killed midway resumes from. The results are then read back with our own `Dataset`.
 */
export async function crawlLocalSite(storageClient: StorageClient, log: Log = quiet, pages = 40): Promise<CrawlLocalSiteOutcome> {
  crawleeLog.setLevel(LogLevel.ERROR);
  const site = await startLocalSite(pages);
  try {
    // One line: our client as Crawlee's storage client.
    const config = new Configuration({ storageClient: toCrawleeStorageClient(storageClient), purgeOnStart: false });
    const requestQueue = await CrawleeRequestQueue.open('crawl-queue', { config });
    const results = await CrawleeDataset.open('crawl-results', { config });
    let crawled = 0;
    const crawler = new CheerioCrawler(
      {
        requestQueue,
        maxConcurrency: 4,
        async requestHandler({ request, $, enqueueLinks }) {
          crawled++;
          await results.pushData({ url: request.url, title: $('title').text() });
          await enqueueLinks();
        },
      },
      config,
    );
    await crawler.run([site.startUrl]);
    log(`CheerioCrawler crawled ${crawled} pages of the ${pages}-page site at ${new URL(site.startUrl).origin}, following links`);

    // Read back with our own classes, on the same client.
    const dataset = await Dataset.open({ name: 'crawl-results', storageClient });
    const { items, total } = await dataset.getData();
    const sorted = items.map((item) => ({ url: String(item['url']), title: String(item['title']) })).sort((a, b) => a.url.localeCompare(b.url, 'en', { numeric: true }));
    log(`our Dataset "crawl-results" holds ${total} results; first: ${JSON.stringify({ ...sorted[0], url: new URL(sorted[0]!.url).pathname })}`);
    const queue = await RequestQueue.open({ name: 'crawl-queue', storageClient });
    const metadata = await queue.getMetadata();
    const finished = await queue.isFinished();
    log(`our RequestQueue "crawl-queue": ${metadata.handledRequestCount} of ${metadata.totalRequestCount} handled, isFinished=${finished}`);
    const servedTwice = [...site.hits.values()].filter((n) => n > 1).length;
    return { pages, crawled, servedTwice, results: sorted, queue: { total: metadata.totalRequestCount, handled: metadata.handledRequestCount, finished } };
  } finally {
    await site.close();
  }
}

if (isMain(import.meta.url)) runAlone('11. A Crawlee crawler on our storage (CheerioCrawler, local site)', (client, log) => crawlLocalSite(client, log), crawlLocalSiteStorages);
