import { Request, RequestQueue, serializeRequestData } from '@x/core';
import { RedisStorageClient } from '@x/redis-client';
import { ourTarget } from './our-target.js';
import { startBenchRedis, type BenchRedis } from './redis-server.js';
import type { BenchTarget } from './target.js';

/** What the Redis group measures besides the workloads: lines for the report and figures for the JSON. */
export interface RedisExtras {
  readonly lines: string[];
  readonly json: Record<string, unknown>;
  /** Goals of the issue that these figures missed (as report lines). */
  readonly missed: string[];
}

/** The goals of issue 10 checked outside the ratio table. */
const MAX_ROUND_TRIPS_PER_HANDLED = 2;
const MAX_MEMORY_PER_PENDING_OVER_JSON = 3;

/** The Redis target and the measurements that need its server. */
export interface RedisBench {
  readonly target: BenchTarget;
  extras(scale: number): Promise<RedisExtras>;
}

function makeRequests(count: number, site: string): Request[] {
  return Array.from({ length: count }, (_, i) => Request.fromUrl(`https://${site}.example.com/page/${i}?ref=bench&sort=asc`));
}

/**
 * Our core classes on `@x/redis-client`, on a `redis-server` of the benchmark's own (started on
 * first use) when the binary is installed, else on `REDIS_URL`. The target counts the Redis
 * commands its client sent, for the `redis req/op` column: round trips per operation.
 */
export function redisBench(goals: Readonly<Record<string, number>>): RedisBench {
  const key = 'redis';
  const label = 'ours (redis)';
  let redis: BenchRedis | undefined;
  let client: RedisStorageClient | undefined;
  let started: Promise<BenchTarget> | undefined;
  const prefix = `bench-${Date.now().toString(36)}`;
  const start = (): Promise<BenchTarget> =>
    (started ??= (async () => {
      redis = await startBenchRedis();
      client = new RedisStorageClient({ url: redis.url, prefix });
      return ourTarget({ key, label, storageClient: client, goals });
    })());
  const target: BenchTarget = {
    key,
    label,
    goals,
    openDataset: async (name) => (await start()).openDataset(name),
    openKeyValueStore: async (name) => (await start()).openKeyValueStore(name),
    openRequestQueue: async (name) => (await start()).openRequestQueue(name),
    requestCount: () => client?.commandCount ?? 0,
    async dispose() {
      if (client && redis && !redis.own) {
        // On a shared Redis: drop whatever this run left (the workloads drop their storages).
        for (const queue of await client.listRequestQueues()) await (await client.openRequestQueue({ kind: 'id', id: queue.id })).drop();
      }
      await client?.close();
      await redis?.stop();
    },
  };
  return { target, extras: async (scale) => extras(await start().then(() => ({ redis: redis!, client: client! })), scale) };
}

async function evalshaCalls(redis: BenchRedis): Promise<number | undefined> {
  if (!redis.own) return undefined;
  const stats = (await redis.info('commandstats')).get('cmdstat_evalsha');
  return stats === undefined ? 0 : Number(/calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

/** Round trips per handled request for three ways of consuming a queue, and memory per pending request. */
async function extras({ redis, client }: { redis: BenchRedis; client: RedisStorageClient }, scale: number): Promise<RedisExtras> {
  const lines: string[] = [];
  const missed: string[] = [];
  const count = Math.max(1000, Math.round(20_000 * scale));
  lines.push('');
  const patterns: Record<string, unknown>[] = [];

  const consume = async (name: string, title: string, loop: (queue: RequestQueue) => Promise<number>): Promise<void> => {
    const queue = await RequestQueue.open({ name: `${name}-${Date.now().toString(36)}`, storageClient: client });
    await queue.addRequests(makeRequests(count, name));
    const commands = client.commandCount;
    const evalsha = await evalshaCalls(redis);
    const startedAt = performance.now();
    const handled = await loop(queue);
    const ms = performance.now() - startedAt;
    const perHandled = (client.commandCount - commands) / handled;
    const evalshaAfter = await evalshaCalls(redis);
    // INFO itself is no EVALSHA: the server's count covers the consumer's scripts alone.
    const serverPerHandled = evalsha === undefined || evalshaAfter === undefined ? undefined : (evalshaAfter - evalsha) / handled;
    if (handled !== count) throw new Error(`Benchmark check failed: ${title} handled ${handled} of ${count}`);
    await queue.drop();
    patterns.push({ pattern: name, title, handled, opsPerSec: Math.round((handled * 1000) / ms), commandsPerHandled: perHandled, serverScriptsPerHandled: serverPerHandled });
    lines.push(
      `  ${title}: ${perHandled.toFixed(4)} Redis commands per handled request` +
        (serverPerHandled === undefined ? '' : ` (INFO commandstats: ${serverPerHandled.toFixed(4)} EVALSHA)`) +
        `, ${Math.round((handled * 1000) / ms).toLocaleString('en-US')} requests/s`,
    );
  };

  lines.push(`Round trips to Redis per handled request, one consumer, ${count.toLocaleString('en-US')} requests (each operation is one Lua script, one command):`);
  await consume('rt-until-null', 'fetchNextRequest + markRequestAsHandled until fetch gives null, then isFinished()', async (queue) => {
    let handled = 0;
    for (;;) {
      const request = await queue.fetchNextRequest();
      if (request) {
        await queue.markRequestAsHandled(request);
        handled++;
      } else if (await queue.isFinished()) return handled;
    }
  });
  const untilNull = patterns.at(-1)!['commandsPerHandled'] as number;
  await consume('rt-is-finished', "the workload's loop: isFinished() before every fetch", async (queue) => {
    let handled = 0;
    while (!(await queue.isFinished())) {
      const request = await queue.fetchNextRequest();
      if (request) {
        await queue.markRequestAsHandled(request);
        handled++;
      }
    }
    return handled;
  });
  await consume('rt-batch', 'raw client: listAndLockHead of 25, then markRequestAsHandled of each', async (queue) => {
    const raw = await client.openRequestQueue({ kind: 'id', id: queue.id });
    let handled = 0;
    for (;;) {
      const { items } = await raw.listAndLockHead({ limit: 25, lockSecs: 60, clientKey: 'bench' });
      if (items.length === 0) return handled;
      for (const item of items) {
        await raw.markRequestAsHandled({ ...item, handledAt: new Date().toISOString() }, { clientKey: 'bench' });
        handled++;
      }
    }
  });
  // Per request two commands; per consumer two more at the end (the fetch that finds nothing, the
  // last isFinished), which are no cost per request.
  if (untilNull > MAX_ROUND_TRIPS_PER_HANDLED + 2 / count) missed.push(`round trips per handled request: ${untilNull.toFixed(3)}, target ≤ ${MAX_ROUND_TRIPS_PER_HANDLED}`);

  // Memory per pending request: what Redis holds for a queue of pending requests.
  const pending = Math.max(10_000, Math.round(25_000 * scale));
  const requests = makeRequests(pending, 'memory');
  const averageJson = requests.reduce((sum, request) => sum + Buffer.byteLength(serializeRequestData(request.toData())), 0) / pending;
  const before = redis.own ? Number((await redis.info('memory')).get('used_memory')) : undefined;
  const queue = await RequestQueue.open({ name: `memory-${Date.now().toString(36)}`, storageClient: client });
  for (let i = 0; i < pending; i += 1000) await queue.addRequests(requests.slice(i, i + 1000));
  const after = redis.own ? Number((await redis.info('memory')).get('used_memory')) : undefined;
  let keyBytes = 0;
  for (const key of [':meta', ':requests', ':pending', ':ids']) {
    keyBytes += Number(await redis.command(['MEMORY', 'USAGE', `{${client.prefix}:request-queues:${queue.id}}${key}`, 'SAMPLES', '0']));
  }
  await queue.drop();
  const perPending = before !== undefined && after !== undefined ? (after - before) / pending : keyBytes / pending;
  const ratio = perPending / averageJson;
  lines.push(
    `Redis memory per pending request (${pending.toLocaleString('en-US')} pending): ${perPending.toFixed(0)} bytes` +
      (before !== undefined ? ' (INFO memory used_memory delta)' : '') +
      `, ${(keyBytes / pending).toFixed(0)} bytes by MEMORY USAGE of the queue's keys; ` +
      `the average request JSON is ${averageJson.toFixed(0)} bytes: ${ratio.toFixed(2)}× (target ≤ ${MAX_MEMORY_PER_PENDING_OVER_JSON}×, ${ratio <= MAX_MEMORY_PER_PENDING_OVER_JSON ? 'met' : 'MISSED'})`,
  );
  lines.push(
    `Redis: ${redis.own ? 'a redis-server of the benchmark on loopback' : `${redis.url} (shared: INFO figures not used)`}, ${(await redis.info('server')).get('redis_version') ?? '?'}.`,
  );
  if (ratio > MAX_MEMORY_PER_PENDING_OVER_JSON) missed.push(`memory per pending request: ${ratio.toFixed(2)}× the JSON, target ≤ ${MAX_MEMORY_PER_PENDING_OVER_JSON}×`);
  return {
    lines,
    missed,
    json: {
      roundTrips: patterns,
      memory: { pending, bytesPerPendingRequest: Math.round(perPending), keyBytesPerPendingRequest: Math.round(keyBytes / pending), averageJsonBytes: Math.round(averageJson), ratio },
      ownServer: redis.own,
    },
  };
}
