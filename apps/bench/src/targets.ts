import { MemoryStorageClient } from '@x/memory-client';
import { crawleeMemoryTarget } from './crawlee-target.js';
import { ourTarget } from './our-target.js';
import type { BenchTarget } from './target.js';

/** The targets of the issue: ratio of ours over Crawlee's ops/s, per phase id. */
const MEMORY_GOALS = {
  'dataset-push-batch': 2,
  'kv-set': 10,
  'kv-get': 10,
  'rq-fetch-handle': 20,
} as const;

/**
 * Every target of a run, the baseline (Crawlee) last. Add a client here (fs-client,
 * cloud-client against a local server) as one more `ourTarget({ ... })`.
 */
export function createTargets(): BenchTarget[] {
  return [
    ourTarget({ key: 'memory', label: 'ours (memory)', storageClient: new MemoryStorageClient(), goals: MEMORY_GOALS }),
    crawleeMemoryTarget(),
  ];
}
