import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import { CloudStorageClient } from '@x/cloud-client';
import { Dataset, RequestQueue, type StorageClient } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { RedisStorageClient } from '@x/redis-client';
import { startServer } from '@x/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFixtures, startChild, type PreparedFixtures, type RunningChild } from './fixtures/child-process.js';
import { startSite, type LocalSite } from './fixtures/site.js';

const PAGES = 120;
const PROCESSES = 3;
const CONCURRENCY = 3;
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

async function redisAnswers(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    if (client.isOpen) await client.quit().catch(() => undefined);
  }
}

/** Deletes every key under `prefix` (the shared Redis is everyone's: only our own keys). */
async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  let deleted = 0;
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      const batch = Array.isArray(keys) ? keys : [keys];
      if (batch.length > 0) deleted += await client.del(batch);
    }
  } finally {
    await client.quit();
  }
  return deleted;
}

const redisUp = await redisAnswers();
if (!redisUp && process.env['CI']) throw new Error(`no Redis answers at ${REDIS_URL}, and CI is set: the Redis case must run`);
const redisSkip = redisUp ? undefined : `no Redis answers at ${REDIS_URL} (start redis-server or set REDIS_URL)`;
if (redisSkip) console.warn(`[@x/crawlee] shared-queue.test.ts: the Redis case is skipped: ${redisSkip}`);

/** A shared storage for the processes of one test: the client the test reads it with, and what each child needs. */
interface SharedCase {
  readonly name: string;
  readonly skip?: string | undefined;
  readonly fixture: string;
  open(): Promise<{ client: StorageClient; childArgs: Record<string, unknown>; dispose(): Promise<void> }>;
}

const CASES: readonly SharedCase[] = [
  {
    name: 'cloud client → @x/server',
    fixture: 'cloud-crawler',
    async open() {
      const token = 'shared-queue-token';
      const server = await startServer({ storageClient: new MemoryStorageClient(), host: '127.0.0.1', port: 0, token });
      const client = new CloudStorageClient({ baseUrl: server.url, token, strongQueueConsistency: true, retryBaseDelayMs: 5 });
      return {
        client,
        childArgs: { baseUrl: server.url, token },
        async dispose() {
          await client.close();
          await server.close();
        },
      };
    },
  },
  {
    name: 'redis',
    skip: redisSkip,
    fixture: 'redis-crawler',
    async open() {
      const prefix = `x-crawlee-test-${randomBytes(6).toString('hex')}:`;
      const client = new RedisStorageClient({ url: REDIS_URL, prefix });
      return {
        client,
        childArgs: { url: REDIS_URL, prefix },
        async dispose() {
          await client.close();
          await deleteRedisKeys(prefix);
        },
      };
    },
  },
];

let site: LocalSite;
let fixtures: PreparedFixtures;

beforeAll(async () => {
  // 30 ms a page: slow enough that no process finishes the crawl before the others take their share.
  site = await startSite(PAGES, { delayMs: 30 });
  fixtures = await prepareFixtures(CASES.filter((sharedCase) => sharedCase.skip === undefined).map((sharedCase) => sharedCase.fixture));
}, 60_000);

afterAll(async () => {
  await site.close();
  await fixtures?.dispose();
});

describe.each(CASES)('$name: three crawler processes on one queue', (sharedCase) => {
  it.skipIf(sharedCase.skip !== undefined)(`store every page of a ${PAGES}-page site exactly once and share the work`, async () => {
    const command = fixtures.commands[sharedCase.fixture]!;
    site.hits.clear();
    const shared = await sharedCase.open();
    const children: RunningChild[] = [];
    try {
      // The parent seeds the queue; the children do not purge it, they take from it.
      const queue = await RequestQueue.open({ storageClient: shared.client });
      await queue.addRequest(site.pageUrl(0));
      const options = JSON.stringify({ ...shared.childArgs, startUrls: [], maxConcurrency: CONCURRENCY, purgeOnStart: false, waitForGo: true });
      for (let i = 0; i < PROCESSES; i++) children.push(startChild(command, [options]));
      await Promise.all(children.map((child) => child.waitFor((line) => line === 'ready', 60_000)));
      for (const child of children) child.send('go');
      const ended = await Promise.all(children.map((child) => child.ended));
      for (const [i, end] of ended.entries()) expect(end, children[i]!.stderr()).toEqual({ code: 0, signal: null });

      const { items } = await (await Dataset.open({ storageClient: shared.client })).getData();
      const urls = items.map((item) => String(item['url']));
      expect(urls).toHaveLength(PAGES);
      expect(new Set(urls)).toEqual(new Set(site.allPageUrls()));
      expect([...site.hits].filter(([path]) => path.startsWith('/page/')).every(([, n]) => n === 1)).toBe(true);

      // Each process took a share of the pages.
      const perProcess = new Map<number, number>();
      for (const item of items) perProcess.set(Number(item['pid']), (perProcess.get(Number(item['pid'])) ?? 0) + 1);
      expect(perProcess.size).toBe(PROCESSES);
      for (const child of children) expect(perProcess.get(child.child.pid!) ?? 0).toBeGreaterThan(0);
      const printed = children.map((child) => child.lines.filter((line) => line.startsWith('page ')).length);
      expect(printed.reduce((a, b) => a + b, 0)).toBe(PAGES);

      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: PAGES, handledRequestCount: PAGES, pendingRequestCount: 0 });
      expect(await queue.isFinished()).toBe(true);
    } finally {
      for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
      await shared.dispose();
    }
  }, 120_000);
});
