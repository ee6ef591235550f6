import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, RequestQueue } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFixtures, startChild, type PreparedFixtures } from './fixtures/child-process.js';
import { startSite, type LocalSite } from './fixtures/site.js';

const PAGES = 100;
const CONCURRENCY = 4;
/** Pages stored before the kill: the crawl is under way, with most of it left for the second run. */
const BEFORE_KILL = 30;

describe('a CheerioCrawler on @x/fs-client, killed with SIGKILL midway and started again', () => {
  let site: LocalSite;
  let fixtures: PreparedFixtures;
  let command: string[];
  let storageDir: string;

  beforeAll(async () => {
    // Each page answers after 20 ms, so the crawl is well under way, not done, when it is killed.
    site = await startSite(PAGES, { delayMs: 20 });
    fixtures = await prepareFixtures(['fs-crawler']);
    command = fixtures.commands['fs-crawler']!;
    storageDir = await mkdtemp(join(tmpdir(), 'x-crawlee-resume-'));
  }, 60_000);

  afterAll(async () => {
    await site?.close();
    await rm(storageDir, { recursive: true, force: true });
    await fixtures?.dispose();
  });

  it('continues where it stopped: every page stored, at most the requests in flight at the kill stored twice', async () => {
    const first = startChild(command, [JSON.stringify({ storageDir, startUrls: [site.pageUrl(0)], maxConcurrency: CONCURRENCY, purgeOnStart: true })]);
    await first.waitFor((line) => line.startsWith('page ') && first.lines.filter((l) => l.startsWith('page ')).length >= BEFORE_KILL, 60_000);
    first.child.kill('SIGKILL');
    const killed = await first.ended;
    expect(killed.signal).toBe('SIGKILL');
    const storedBeforeKill = first.lines.filter((line) => line.startsWith('page ')).length;
    expect(storedBeforeKill).toBeLessThan(PAGES);

    // The folder as the killed process left it: part of the crawl done, the rest still in the queue.
    const between = new FileSystemStorageClient({ storageDir });
    const handledAtKill = (await (await RequestQueue.open({ storageClient: between })).getMetadata()).handledRequestCount;
    await between.close();
    expect(handledAtKill).toBeGreaterThan(0);
    expect(handledAtKill).toBeLessThan(PAGES);

    // Started again without purging (CRAWLEE_PURGE_ON_START=0, as Crawlee's own resume advice says).
    const second = startChild(command, [JSON.stringify({ storageDir, startUrls: [site.pageUrl(0)], maxConcurrency: CONCURRENCY, purgeOnStart: false })]);
    const ended = await second.ended;
    expect(ended, second.stderr()).toEqual({ code: 0, signal: null });
    expect(second.lines.at(-1)).toMatch(/^done /);
    const crawledAgain = second.lines.filter((line) => line.startsWith('page ')).length;
    // The second run crawls only what the first did not finish.
    expect(crawledAgain).toBeLessThanOrEqual(PAGES - handledAtKill);

    const storageClient = new FileSystemStorageClient({ storageDir });
    try {
      const { items } = await (await Dataset.open({ storageClient })).getData();
      const perUrl = new Map<string, number>();
      for (const item of items) perUrl.set(String(item['url']), (perUrl.get(String(item['url'])) ?? 0) + 1);
      expect(new Set(perUrl.keys())).toEqual(new Set(site.allPageUrls()));
      const twice = [...perUrl.values()].filter((n) => n === 2).length;
      expect([...perUrl.values()].every((n) => n <= 2)).toBe(true);
      // Only a request whose result was pushed but that was not yet marked handled is crawled again:
      // at most one per concurrent task.
      expect(twice).toBeLessThanOrEqual(CONCURRENCY);
      expect(items.length).toBe(PAGES + twice);
      const queue = await RequestQueue.open({ storageClient });
      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: PAGES, handledRequestCount: PAGES, pendingRequestCount: 0 });
      expect(await queue.isFinished()).toBe(true);
    } finally {
      await storageClient.close();
    }
  }, 120_000);
});
