import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { cloudTarget } from './cloud-target.js';
import { cloudBench, type CloudExtras } from './cloud-wire.js';
import { runCrawlBench } from './crawl-bench.js';
import { runExportBench } from './export-bench.js';
import { crawleeTarget } from './crawlee-target.js';
import { ourTarget } from './our-target.js';
import { redisBench, type RedisExtras } from './redis-target.js';
import type { PhaseResult } from './runner.js';
import type { BenchTarget } from './target.js';

/**
 * Targets measured side by side and compared with one baseline (the Crawlee storage of the same
 * kind), at a scale of their own: persisting storages run smaller counts, or a run would take
 * many minutes on Crawlee's side.
 */
export interface BenchGroup {
  /** Short id, used by `--group`. */
  readonly key: string;
  readonly title: string;
  /** Multiplies `--scale` for this group. */
  readonly scale: number;
  /** Multiplies the group's scale for some workloads (by workload id). */
  readonly workloadScale?: Readonly<Record<string, number>>;
  /** Makes the targets (temporary folders, servers) when the group runs; the baseline is among them. */
  createTargets(): BenchTarget[];
  /** Also measure the raw rate of writing one small file by temp + rename: the ceiling of one file per operation. */
  readonly measureFileCeiling?: boolean;
  /**
   * A group that measures something of its own instead of the workloads (the Crawlee crawl): it
   * prints its table and gives its JSON results.
   */
  readonly run?: (options: { readonly scale: number; readonly rounds: number; readonly onProgress: (message: string) => void }) => Promise<Record<string, unknown>>;
  /** A second comparison: `contender` ÷ `against` (two target keys of the group), with goals per phase id. */
  readonly versus?: { readonly contender: string; readonly against: string; readonly goals: Readonly<Record<string, number>> };
  /**
   * Measurements of the group besides the workloads, run after them while the targets are still up
   * (given the workloads' results), when the target `extrasTarget` is among those run.
   */
  extras?(scale: number, results: readonly PhaseResult[]): Promise<RedisExtras | CloudExtras>;
  /** The target key the extras need. */
  readonly extrasTarget?: string;
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `x-bench-${prefix}-`));
}

/** The targets of the issues: ratio of ours over the baseline's ops/s, per phase id. */
const MEMORY_GOALS = { 'dataset-push-batch': 2, 'kv-set': 10, 'kv-get': 10, 'rq-fetch-handle': 20 } as const;
const FS_GOALS = { 'dataset-push-batch': 5, 'dataset-push-single': 5, 'kv-set': 5, 'rq-fetch-handle': 20 } as const;
/** Issue 10: the Redis queue against Crawlee's in-memory one, and against our cloud client → server. */
const REDIS_GOALS = { 'rq-fetch-handle': 2 } as const;
const REDIS_OVER_CLOUD_GOALS = { 'rq-fetch-handle': 5 } as const;

let redisGroup: ReturnType<typeof redisBench> | undefined;
let cloudGroup: ReturnType<typeof cloudBench> | undefined;

/** Every group of a run. Add a client here as one more `ourTarget({ ... })` in the group it compares with. */
export const groups: readonly BenchGroup[] = [
  {
    key: 'memory',
    title: 'In memory: @x/memory-client vs Crawlee MemoryStorage (persistStorage: false)',
    scale: 1,
    createTargets: () => [
      ourTarget({ key: 'memory', label: 'ours (memory)', storageClient: new MemoryStorageClient(), goals: MEMORY_GOALS }),
      crawleeTarget(),
    ],
  },
  {
    key: 'cloud',
    title: 'Over HTTP on loopback: @x/cloud-client → @x/server (memory-backed) vs Crawlee MemoryStorage (persistStorage: false)',
    // One HTTP request (or more) per operation: smaller counts keep the run short. The key-value
    // records and the queue at the counts of the dataset push (10,000): a phase of well under a
    // second measured the JIT warming up more than the steady rate (the raw round trip is measured warm).
    scale: 0.1,
    workloadScale: { kv: 10, rq: 5 },
    createTargets: () => {
      cloudGroup = cloudBench();
      return [cloudGroup.target, crawleeTarget()];
    },
    // Issue 15: the raw round-trip rate, each workload's rate against it, and four consumer processes.
    extras: (scale, results) => cloudGroup!.extras(scale, results),
    extrasTarget: 'cloud',
  },
  {
    key: 'fs',
    title: 'On disk: @x/fs-client vs Crawlee MemoryStorage persisting to disk',
    scale: 0.1,
    measureFileCeiling: true,
    createTargets: () => {
      const ours = tempDir('fs');
      return [
        ourTarget({
          key: 'fs',
          label: 'ours (fs)',
          storageClient: new FileSystemStorageClient({ storageDir: ours }),
          goals: FS_GOALS,
          keepsStorages: true,
          dispose: async () => rmSync(ours, { recursive: true, force: true }),
        }),
        crawleeTarget({ persistDir: tempDir('crawlee') }),
      ];
    },
  },
  {
    key: 'redis',
    title: 'On Redis: @x/redis-client vs Crawlee MemoryStorage (persistStorage: false) and @x/cloud-client → @x/server (memory-backed)',
    // The queue at the counts of the memory group (the targets are set against Crawlee's
    // queue there); the rest at a quarter: the cloud target makes an HTTP request (or more) per
    // operation, and smaller counts keep the run short.
    scale: 1,
    workloadScale: { 'dataset-push-batch': 0.25, 'dataset-push-single': 0.25, 'dataset-read': 0.25, kv: 0.25 },
    createTargets: () => {
      redisGroup = redisBench(REDIS_GOALS);
      return [redisGroup.target, cloudTarget(), crawleeTarget()];
    },
    versus: { contender: 'redis', against: 'cloud', goals: REDIS_OVER_CLOUD_GOALS },
    extras: (scale) => redisGroup!.extras(scale),
    extrasTarget: 'redis',
  },
  {
    key: 'crawlee',
    title: 'A Crawlee crawl: BasicCrawler on our clients through @x/crawlee vs on Crawlee MemoryStorage, in memory and on disk',
    scale: 1,
    createTargets: () => [],
    run: runCrawlBench,
  },
  {
    key: 'export',
    title: 'Dataset export: Dataset.exportTo in every format (the core export engine, memory client) vs Crawlee exportToCSV/exportToJSON on MemoryStorage',
    scale: 1,
    createTargets: () => [],
    run: runExportBench,
  },
];
