import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicCrawler, Configuration, LogLevel, log, type StorageClient as CrawleeStorageClient } from '@crawlee/basic';
import { MemoryStorage } from '@crawlee/memory-storage';
import { toCrawleeStorageClient } from '@x/crawlee';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { crawleeVersion } from './crawlee-target.js';
import { formatOpsPerSec, formatRatio, renderTable } from './table.js';

/** Pages of the site at scale 1. */
export const CRAWL_PAGES = 5000;

/** One side of a comparison: a Crawlee storage client made afresh for each run, and how to let it go. */
interface CrawlContender {
  readonly key: string;
  readonly label: string;
  open(): { storageClient: CrawleeStorageClient; dispose(): Promise<void> };
}

/** A pair measured side by side: ours through the adapter, and Crawlee's own storage of the same kind. */
interface CrawlPair {
  readonly key: string;
  readonly title: string;
  readonly ours: CrawlContender;
  readonly crawlee: CrawlContender;
}

/** How the crawler runs: with its defaults, as users run it, or with a fixed number of tasks at once. */
interface CrawlVariant {
  readonly key: string;
  readonly label: string;
  readonly concurrency?: number;
}

const VARIANTS: readonly CrawlVariant[] = [
  // Crawlee's AutoscaledPool starts with one task and adds tasks every 10 s while the machine is idle:
  // a crawl of a few seconds runs about one task at a time.
  { key: 'defaults', label: 'crawler defaults' },
  { key: 'parallel-10', label: '10 tasks at once', concurrency: 10 },
];

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `x-bench-crawl-${prefix}-`));
}

const PAIRS: readonly CrawlPair[] = [
  {
    key: 'memory',
    title: 'In memory: @x/memory-client through toCrawleeStorageClient vs Crawlee MemoryStorage (persistStorage: false)',
    ours: {
      key: 'memory',
      label: 'ours (memory)',
      open() {
        const client = new MemoryStorageClient();
        return { storageClient: toCrawleeStorageClient(client), dispose: () => client.close() };
      },
    },
    crawlee: {
      key: 'crawlee',
      label: `Crawlee ${crawleeVersion}`,
      open() {
        const storage = new MemoryStorage({ persistStorage: false, writeMetadata: false });
        return { storageClient: storage, dispose: () => storage.teardown() };
      },
    },
  },
  {
    key: 'fs',
    title: 'On disk: @x/fs-client through toCrawleeStorageClient vs Crawlee MemoryStorage persisting to disk',
    ours: {
      key: 'fs',
      label: 'ours (fs)',
      open() {
        const dir = tempDir('fs');
        const client = new FileSystemStorageClient({ storageDir: dir });
        return {
          storageClient: toCrawleeStorageClient(client),
          async dispose() {
            await client.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    crawlee: {
      key: 'crawlee-persist',
      label: `Crawlee ${crawleeVersion} persisting`,
      open() {
        const dir = tempDir('crawlee');
        const storage = new MemoryStorage({ persistStorage: true, writeMetadata: true, localDataDirectory: dir });
        return {
          storageClient: storage,
          async dispose() {
            await storage.teardown();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  },
];

/** Serves the site's pages on 127.0.0.1 (the crawler's empty handler never asks for them: the URLs are what it needs). */
async function startSite(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><title>page</title></html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * One crawl: a `BasicCrawler` with an empty handler, its configuration on `storageClient`, run over
 * `urls`; gives the milliseconds from `run()` to its end (adding the requests, fetching and marking
 * each handled, and the storage's teardown, which for Crawlee's persisting storage waits for its
 * writes). Throws when a page was not handled.
 */
async function crawlOnce(storageClient: CrawleeStorageClient, urls: readonly string[], variant: CrawlVariant): Promise<number> {
  const config = new Configuration({ storageClient, purgeOnStart: false, persistStateIntervalMillis: 60_000 });
  let handled = 0;
  const crawler = new BasicCrawler(
    {
      requestHandler: async () => {
        handled++;
      },
      useSessionPool: false,
      ...(variant.concurrency === undefined ? {} : { minConcurrency: variant.concurrency, maxConcurrency: variant.concurrency }),
    },
    config,
  );
  const start = performance.now();
  const stats = await crawler.run([...urls]);
  const ms = performance.now() - start;
  if (handled !== urls.length || stats.requestsFinished !== urls.length) {
    throw new Error(`The crawl handled ${handled} pages (Crawlee counted ${stats.requestsFinished}) of ${urls.length}`);
  }
  return ms;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Pages per second of each contender of one pair, the fastest of `rounds` runs, the two taking turns. */
async function measurePair(
  pair: CrawlPair,
  variant: CrawlVariant,
  urls: readonly string[],
  rounds: number,
  onProgress: (message: string) => void,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  const warmUp = urls.slice(0, Math.max(50, Math.round(urls.length * 0.05)));
  for (const contender of [pair.ours, pair.crawlee]) {
    const { storageClient, dispose } = contender.open();
    await crawlOnce(storageClient, warmUp, variant);
    await dispose();
  }
  for (let round = 1; round <= rounds; round++) {
    for (const contender of [pair.ours, pair.crawlee]) {
      gc?.();
      const { storageClient, dispose } = contender.open();
      try {
        const ms = await crawlOnce(storageClient, urls, variant);
        const pagesPerSec = (urls.length * 1000) / ms;
        best[contender.key] = Math.max(best[contender.key] ?? 0, pagesPerSec);
        onProgress(`crawl (${variant.label}) on ${contender.label}, round ${round} of ${rounds}: ${(ms / 1000).toFixed(1)} s, ${formatOpsPerSec(pagesPerSec)} pages/s`);
      } finally {
        await dispose();
      }
    }
  }
  return best;
}

/**
 * The `crawlee` group of `pnpm bench`: a `BasicCrawler` with an empty handler over a local site of
 * 5,000 pages (× scale), on our clients through `toCrawleeStorageClient` and on Crawlee's own
 * `MemoryStorage`, in memory and on disk. Prints pages per second and the ratio; gives the JSON.
 */
export async function runCrawlBench(options: {
  readonly scale: number;
  readonly rounds: number;
  readonly onProgress: (message: string) => void;
}): Promise<Record<string, unknown>> {
  log.setLevel(LogLevel.OFF);
  const pages = Math.max(50, Math.round(CRAWL_PAGES * options.scale));
  const site = await startSite();
  const urls = Array.from({ length: pages }, (_, i) => `${site.origin}/page/${i}`);
  const rows: string[][] = [];
  const results = [];
  try {
    for (const pair of PAIRS) {
      for (const variant of VARIANTS) {
        options.onProgress(`${pair.title}, ${variant.label} (${pages} pages)`);
        const best = await measurePair(pair, variant, urls, options.rounds, options.onProgress);
        const ours = best[pair.ours.key]!;
        const theirs = best[pair.crawlee.key]!;
        rows.push([variant.label, pair.ours.label, pair.crawlee.label, formatOpsPerSec(ours), formatOpsPerSec(theirs), formatRatio(ours / theirs), ours >= theirs ? 'met' : 'MISSED']);
        results.push({ pair: pair.key, variant: variant.key, title: pair.title, pages, pagesPerSec: { [pair.ours.key]: ours, [pair.crawlee.key]: theirs }, ratio: ours / theirs });
      }
    }
  } finally {
    await site.close();
  }
  const table = renderTable(
    ['crawler', 'ours', 'Crawlee', 'ours pages/s', 'Crawlee pages/s', 'ratio', 'target ≥ 1×'],
    rows,
    ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
  );
  process.stdout.write(
    `\nCrawlee crawl: BasicCrawler, empty handler, ${pages} pages of a local site (add, fetch, mark handled; the fastest of ${options.rounds} runs)\n${table}\n\n`,
  );
  return { group: 'crawlee', pages, rounds: options.rounds, results };
}
