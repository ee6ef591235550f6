/**
 * The scale run of the Redis request queue (issue 10): 1,000,000 requests (default) added in
 * batches, then drained in four steps of a quarter each, by 1, 2, 3 and 4 consumer processes, each
 * process fetching and marking one request at a time through core's `RequestQueue`. Prints the add
 * and drain rates, Redis memory (INFO memory) and client RSS. Not a test: a program that prints
 * figures. Uses a redis-server of its own (nothing kept on disk) when installed, else REDIS_URL.
 *
 *   pnpm --filter @x/bench run bench:scale-redis [--requests N]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RequestQueue } from '@x/core';
import { RedisStorageClient } from '@x/redis-client';
import { startBenchRedis, type BenchRedis } from './redis-server.js';

const BATCH = 1000;
const QUEUE_NAME = 'scale';
const MAX_PROCESSES = 4;

interface ConsumerReport {
  readonly handled: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly commands: number;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (count: number, seconds: number): string => `${Math.round(count / seconds).toLocaleString('en-US')}/s`;

/** A consumer process: opens the queue, says ready, and on "go" fetches and handles `quota` requests. */
async function consumer(url: string, prefix: string, quota: number): Promise<void> {
  const storageClient = new RedisStorageClient({ url, prefix });
  const queue = await RequestQueue.open({ name: QUEUE_NAME, storageClient });
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
  const commands = storageClient.commandCount;
  const start = performance.now();
  let handled = 0;
  while (handled < quota) {
    const request = await queue.fetchNextRequest();
    if (!request) break;
    await queue.markRequestAsHandled(request);
    handled++;
  }
  const report: ConsumerReport = { handled, seconds: (performance.now() - start) / 1000, peakRssMb: peakRssMb(), commands: storageClient.commandCount - commands };
  await storageClient.close();
  process.send!(report, () => process.exit(0));
}

/** Runs `processes` consumers over `total` requests together; gives the wall time from "go" to the last one done. */
async function drain(url: string, prefix: string, processes: number, total: number): Promise<{ seconds: number; reports: ConsumerReport[] }> {
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: processes }, (_, i) => {
    const quota = Math.floor(total / processes) + (i < total % processes ? 1 : 0);
    return fork(script, ['--consumer', url, prefix, String(quota)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
  await Promise.all(children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve()))));
  const start = performance.now();
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<ConsumerReport>((resolve, reject) => {
          child.once('message', (report) => resolve(report as ConsumerReport));
          child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`a consumer exited with ${code}`))));
          child.send('go');
        }),
    ),
  );
  return { seconds: (performance.now() - start) / 1000, reports };
}

async function usedMemory(redis: BenchRedis): Promise<number> {
  return Number((await redis.info('memory')).get('used_memory'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string' } } });
  const requests = Number(values.requests ?? 1_000_000);
  if (!Number.isInteger(requests) || requests < MAX_PROCESSES * 10) throw new Error(`--requests must be a whole number of at least ${MAX_PROCESSES * 10}`);
  const redis = await startBenchRedis();
  const prefix = `scale-${Date.now().toString(36)}`;
  const storageClient = new RedisStorageClient({ url: redis.url, prefix });
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    process.stderr.write(`${line}\n`);
  };
  try {
    say(`Redis request queue at scale: ${requests.toLocaleString('en-US')} requests, ${redis.own ? 'a redis-server of its own on loopback' : redis.url}`);
    const memoryBefore = await usedMemory(redis);
    const queue = await RequestQueue.open({ name: QUEUE_NAME, storageClient });
    let start = performance.now();
    for (let i = 0; i < requests; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, requests - i) }, (_, j) => ({
        url: `https://shop.example.com/products/${i + j}?ref=scale`,
        userData: { label: 'PRODUCT', index: i + j },
      }));
      await queue.addRequests(batch);
    }
    let seconds = (performance.now() - start) / 1000;
    const afterAdd = await usedMemory(redis);
    say(
      `add: ${seconds.toFixed(1)} s, ${rate(requests, seconds)} in batches of ${BATCH} (one script call each); ` +
        `Redis used_memory ${mb(afterAdd)} (+${mb(afterAdd - memoryBefore)}, ${((afterAdd - memoryBefore) / requests).toFixed(0)} bytes a pending request); ` +
        `producer peak RSS ${peakRssMb()} MB`,
    );
    const step = Math.floor(requests / MAX_PROCESSES);
    let drained = 0;
    let drainSeconds = 0;
    for (let processes = 1; processes <= MAX_PROCESSES; processes++) {
      const total = processes === MAX_PROCESSES ? requests - drained : step;
      const result = await drain(redis.url, prefix, processes, total);
      const handled = result.reports.reduce((sum, report) => sum + report.handled, 0);
      const commands = result.reports.reduce((sum, report) => sum + report.commands, 0);
      if (handled !== total) throw new Error(`the consumers handled ${handled} of ${total}`);
      drained += handled;
      drainSeconds += result.seconds;
      say(
        `drain with ${processes} consumer process${processes === 1 ? '' : 'es'}: ${handled.toLocaleString('en-US')} requests in ${result.seconds.toFixed(1)} s, ` +
          `${rate(handled, result.seconds)}; ${(commands / handled).toFixed(2)} Redis commands per request; consumer peak RSS ` +
          `${result.reports.map((report) => `${report.peakRssMb} MB`).join(', ')}`,
      );
    }
    const metadata = await queue.getMetadata();
    if (metadata.handledRequestCount !== requests || metadata.pendingRequestCount !== 0 || !(await queue.isFinished())) {
      throw new Error(`after the drain: ${JSON.stringify(metadata)}`);
    }
    const afterDrain = await usedMemory(redis);
    say(`drained ${drained.toLocaleString('en-US')} in ${drainSeconds.toFixed(1)} s (${rate(drained, drainSeconds)} over the four steps); counts exact: ${metadata.totalRequestCount} total, ${metadata.handledRequestCount} handled, 0 pending`);
    say(`Redis used_memory with every request handled (handled requests are kept): ${mb(afterDrain)} (+${mb(afterDrain - memoryBefore)})`);
    start = performance.now();
    await queue.drop();
    seconds = (performance.now() - start) / 1000;
    say(`drop: ${seconds.toFixed(1)} s; Redis used_memory ${mb(await usedMemory(redis))} (UNLINK frees in the background)`);
  } finally {
    await storageClient.close();
    await redis.stop();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === '--consumer') {
  const [url, prefix, quota] = process.argv.slice(3) as [string, string, string];
  await consumer(url, prefix, Number(quota));
} else {
  await main();
}
