import { Configuration, Dataset as CrawleeDataset, KeyValueStore as CrawleeKeyValueStore } from '@crawlee/cheerio';
import { MemoryStorage } from '@crawlee/memory-storage';
import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toCrawleeStorageClient } from '../src/index.js';
import { CLIENT_CASES, type OpenedClient } from './fixtures/clients.js';
import { crawlSite, quietCrawlee } from './fixtures/crawl.js';
import { startSite, type LocalSite } from './fixtures/site.js';

// Enough for the frontier to grow over several levels, with room for LIMIT and its parallel excess.
const PAGES = 40;
const LIMIT = 15;

let site: LocalSite;

beforeAll(async () => {
  quietCrawlee();
  site = await startSite(PAGES);
});

afterAll(async () => {
  await site.close();
});

beforeEach(() => {
  site.hits.clear();
});

/** The page hits of the site (paths under /page/), by path. */
function pageHits(): Map<string, number> {
  return new Map([...site.hits].filter(([path]) => path.startsWith('/page/')));
}

describe("Crawlee's own MemoryStorage (the reference)", () => {
  it(`crawls all ${PAGES} pages, and ${LIMIT} with maxRequestsPerCrawl: ${LIMIT}`, async () => {
    const full = await crawlSite(new MemoryStorage({ persistStorage: false, writeMetadata: false }), site.pageUrl(0));
    expect(full.handled).toHaveLength(PAGES);
    site.hits.clear();
    const limited = await crawlSite(new MemoryStorage({ persistStorage: false, writeMetadata: false }), site.pageUrl(0), { maxRequestsPerCrawl: LIMIT });
    expect(limited.handled).toHaveLength(LIMIT);
  });
});

describe.each(CLIENT_CASES)('a CheerioCrawler on the $name client through toCrawleeStorageClient', (clientCase) => {
  let opened: OpenedClient;

  beforeEach(async () => {
    opened = await clientCase.open();
  });

  afterEach(async () => {
    await opened.dispose();
  });

  it(`crawls every page of a ${PAGES}-page site once; the results are in our default dataset, the queue is finished`, async () => {
    const storageClient = opened.client;
    const outcome = await crawlSite(toCrawleeStorageClient(storageClient), site.pageUrl(0));

    expect(outcome.stats.requestsFailed).toBe(0);
    expect([...outcome.handled].sort()).toEqual(site.allPageUrls().sort());
    const hits = pageHits();
    expect(hits.size).toBe(PAGES);
    expect([...hits.values()].every((n) => n === 1)).toBe(true);

    const dataset = await Dataset.open({ storageClient });
    const { items, total } = await dataset.getData();
    expect(total).toBe(PAGES);
    expect(new Set(items.map((item) => item['url']))).toEqual(new Set(site.allPageUrls()));
    const page7 = items.find((item) => item['url'] === site.pageUrl(7));
    expect(page7).toEqual({ url: site.pageUrl(7), title: 'Page 7' });

    const queue = await RequestQueue.open({ storageClient });
    expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: PAGES, handledRequestCount: PAGES, pendingRequestCount: 0 });
    expect(await queue.isFinished()).toBe(true);
  });

  it(`honours maxRequestsPerCrawl: exactly ${LIMIT} pages of ${PAGES} one at a time, and at most maxConcurrency - 1 more in parallel (as Crawlee documents)`, async () => {
    const storageClient = opened.client;
    const serial = await crawlSite(toCrawleeStorageClient(storageClient), site.pageUrl(0), { maxRequestsPerCrawl: LIMIT, maxConcurrency: 1 });
    expect(serial.handled).toHaveLength(LIMIT);
    expect([...pageHits().values()].reduce((a, b) => a + b, 0)).toBe(LIMIT);
    const { items } = await (await Dataset.open({ storageClient })).getData();
    expect(items).toHaveLength(LIMIT);
    expect(new Set(items.map((item) => item['url'])).size).toBe(LIMIT);

    // In parallel, handlers that enqueue at the same time each get the budget left before the
    // others' adds count: Crawlee's own note says "the actual number of pages visited might be
    // slightly higher". The crawl purges the default storages first.
    site.hits.clear();
    const parallel = await crawlSite(toCrawleeStorageClient(storageClient), site.pageUrl(0), { maxRequestsPerCrawl: LIMIT, maxConcurrency: 8 });
    expect(parallel.handled.length).toBeGreaterThanOrEqual(LIMIT);
    expect(parallel.handled.length).toBeLessThanOrEqual(LIMIT + 7);
    const hits = pageHits();
    expect([...hits.values()].every((n) => n === 1)).toBe(true);
    const again = await (await Dataset.open({ storageClient })).getData();
    expect(again.items).toHaveLength(parallel.handled.length);
  });

  it('shares the default and named storages both ways: what one side writes, the other reads', async () => {
    const storageClient = opened.client;
    const config = new Configuration({ storageClient: toCrawleeStorageClient(storageClient), purgeOnStart: false });

    // Ours first, then Crawlee's default dataset (opened by Crawlee's default id) on the same client.
    const ours = await Dataset.open({ storageClient });
    await ours.pushData({ from: 'ours' });
    const theirs = await CrawleeDataset.open(undefined, { config });
    expect(theirs.id).toBe(ours.id);
    expect(theirs.name).toBe('default');
    expect((await theirs.getData()).items).toEqual([{ from: 'ours' }]);
    await theirs.pushData([{ from: 'crawlee', n: 1 }, { from: 'crawlee', n: 2 }]);
    expect((await ours.getData()).items).toEqual([{ from: 'ours' }, { from: 'crawlee', n: 1 }, { from: 'crawlee', n: 2 }]);
    expect(await theirs.getInfo()).toMatchObject({ id: ours.id, itemCount: 3 });

    // Records: JSON, text and bytes written on one side read the same on the other.
    const ourStore = await KeyValueStore.open({ storageClient });
    const theirStore = await CrawleeKeyValueStore.open(undefined, { config });
    await ourStore.setValue('OURS', { page: 3 });
    await ourStore.setValue('ours-text', 'hello');
    await ourStore.setValue('ours-bytes', Buffer.from([1, 2, 3]));
    expect(await theirStore.getValue('OURS')).toEqual({ page: 3 });
    expect(await theirStore.getValue('ours-text')).toBe('hello');
    expect(await theirStore.getValue('ours-bytes')).toEqual(Buffer.from([1, 2, 3]));
    await theirStore.setValue('THEIRS', { state: [1, 2] });
    await theirStore.setValue('page.html', '<p>hi</p>', { contentType: 'text/html; charset=utf-8' });
    expect(await ourStore.getValue('THEIRS')).toEqual({ state: [1, 2] });
    expect(await ourStore.getValue('page.html')).toBe('<p>hi</p>');
    expect(await theirStore.recordExists('OURS')).toBe(true);
    await theirStore.setValue('OURS', null);
    expect(await ourStore.getValue('OURS')).toBeNull();

    // A named dataset opened by Crawlee is our dataset of that name.
    const named = await CrawleeDataset.open('crawl-results', { config });
    await named.pushData({ named: true });
    const ourNamed = await Dataset.open({ name: 'crawl-results', storageClient });
    expect(ourNamed.id).toBe(named.id);
    expect((await ourNamed.getData()).items).toEqual([{ named: true }]);
  });
});
