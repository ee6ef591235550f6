import type { BenchItem, BenchRequestInput, BenchTarget } from './target.js';

/** One measured step of a workload: one row of the table. */
export interface Phase {
  /** Stable id, used by `--only`, the goals and the JSON results. */
  readonly id: string;
  readonly title: string;
  /** What an operation is: `items`, `records`, `requests`. */
  readonly unit: string;
  /** Operations at scale 1. */
  readonly baseCount: number;
  /** Said under the table (for example why a count is smaller than the others). */
  readonly note?: string;
}

/** How long a phase took, for the operations it did. */
export interface PhaseTiming {
  readonly id: string;
  readonly ops: number;
  readonly ms: number;
  /** HTTP requests the phase made, for targets that count them. */
  readonly requests?: number;
}

export interface RunContext {
  /** A storage name not used before in this process, starting with `prefix`. */
  storageName(prefix: string): string;
}

/**
 * A workload: untimed setup, then one or more timed phases on the same storage (the request
 * queue is filled, deduplicated and drained in one run). `counts` are the phase counts to use.
 */
export interface Workload {
  readonly id: string;
  readonly phases: readonly Phase[];
  run(target: BenchTarget, counts: readonly number[], context: RunContext): Promise<PhaseTiming[]>;
}

const BATCH = 1000;

/** Drops a storage a run is done with, unless the target keeps its storages until it is disposed. */
async function release(target: BenchTarget, storage: { drop(): Promise<void> }): Promise<void> {
  if (!target.keepsStorages) await storage.drop();
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Benchmark check failed: ${message}`);
}

/** A scraped-product-like item, about 250 bytes as JSON. */
function makeItem(i: number): BenchItem {
  return {
    url: `https://shop.example.com/products/${i}`,
    title: `Product number ${i}`,
    price: (i % 1000) + 0.99,
    currency: 'EUR',
    inStock: i % 3 !== 0,
    tags: ['bench', `group-${i % 17}`],
    seller: { id: i % 101, name: `Seller ${i % 101}`, rating: (i % 50) / 10 },
    scrapedAt: '2025-01-01T00:00:00.000Z',
  };
}

function makeItems(count: number): BenchItem[] {
  return Array.from({ length: count }, (_, i) => makeItem(i));
}

function batches<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function makeRequests(count: number, site: string): BenchRequestInput[] {
  return Array.from({ length: count }, (_, i) => ({ url: `https://${site}.example.com/page/${i}?ref=bench&sort=asc` }));
}

/** Runs `fn` and measures its milliseconds and, for targets that count them, the HTTP requests it made. */
async function time(target: BenchTarget, fn: () => Promise<void>): Promise<{ ms: number; requests?: number }> {
  const before = target.requestCount?.();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const after = target.requestCount?.();
  return before === undefined || after === undefined ? { ms } : { ms, requests: after - before };
}

/** Counts are at least this, whatever the scale, so every phase does some work. */
export const MIN_COUNT = 50;

export const workloads: readonly Workload[] = [
  {
    id: 'dataset-push-batch',
    phases: [{ id: 'dataset-push-batch', title: `dataset push, batches of ${BATCH}`, unit: 'items', baseCount: 100_000 }],
    async run(target, [count = 0], { storageName }) {
      const chunks = batches(makeItems(count), BATCH);
      const dataset = await target.openDataset(storageName('push-batch'));
      const timing = await time(target, async () => {
        for (const chunk of chunks) await dataset.pushData(chunk);
      });
      const last = await dataset.getData({ offset: count - 1, limit: 10 });
      check(last.items.length === 1, `dataset holds ${count} items after pushing them`);
      await release(target, dataset);
      return [{ id: 'dataset-push-batch', ops: count, ...timing }];
    },
  },
  {
    id: 'dataset-push-single',
    phases: [{ id: 'dataset-push-single', title: 'dataset push, one by one', unit: 'items', baseCount: 100_000 }],
    async run(target, [count = 0], { storageName }) {
      const items = makeItems(count);
      const dataset = await target.openDataset(storageName('push-one'));
      const timing = await time(target, async () => {
        for (const item of items) await dataset.pushData(item);
      });
      const last = await dataset.getData({ offset: count - 1, limit: 10 });
      check(last.items.length === 1, `dataset holds ${count} items after pushing them`);
      await release(target, dataset);
      return [{ id: 'dataset-push-single', ops: count, ...timing }];
    },
  },
  {
    id: 'dataset-read',
    phases: [{ id: 'dataset-read', title: `dataset read, pages of ${BATCH}`, unit: 'items', baseCount: 100_000 }],
    async run(target, [count = 0], { storageName }) {
      const dataset = await target.openDataset(storageName('read'));
      for (const chunk of batches(makeItems(count), BATCH)) await dataset.pushData(chunk);
      let read = 0;
      const timing = await time(target, async () => {
        for (let offset = 0; offset < count; offset += BATCH) {
          const page = await dataset.getData({ offset, limit: BATCH });
          read += page.items.length;
        }
      });
      check(read === count, `read back ${count} items, got ${read}`);
      await release(target, dataset);
      return [{ id: 'dataset-read', ops: read, ...timing }];
    },
  },
  {
    id: 'kv',
    phases: [
      { id: 'kv-set', title: 'key-value set (JSON)', unit: 'records', baseCount: 10_000 },
      { id: 'kv-get', title: 'key-value get (JSON)', unit: 'records', baseCount: 10_000 },
    ],
    async run(target, [setCount = 0], { storageName }) {
      const keys = Array.from({ length: setCount }, (_, i) => `record-${i}`);
      const values = Array.from({ length: setCount }, (_, i) => ({ ...makeItem(i), visits: [i, i + 1, i + 2] }));
      const store = await target.openKeyValueStore(storageName('kv'));
      const setTiming = await time(target, async () => {
        for (let i = 0; i < setCount; i++) await store.setValue(keys[i]!, values[i]);
      });
      let found = 0;
      const getTiming = await time(target, async () => {
        for (let i = 0; i < setCount; i++) if ((await store.getValue(keys[i]!)) !== null) found++;
      });
      check(found === setCount, `got back ${setCount} records, found ${found}`);
      await release(target, store);
      return [
        { id: 'kv-set', ops: setCount, ...setTiming },
        { id: 'kv-get', ops: setCount, ...getTiming },
      ];
    },
  },
  {
    id: 'rq',
    phases: [
      { id: 'rq-add', title: 'request queue add, one by one', unit: 'requests', baseCount: 20_000 },
      { id: 'rq-dedupe', title: 'request queue re-add (dedupe)', unit: 'requests', baseCount: 2_000 },
      { id: 'rq-fetch-handle', title: 'request queue fetch + mark handled', unit: 'requests', baseCount: 20_000 },
    ],
    async run(target, [addCount = 0, dedupeCount = 0], { storageName }) {
      const requests = makeRequests(addCount, 'rq');
      const step = Math.max(1, Math.floor(addCount / dedupeCount));
      const again = Array.from({ length: dedupeCount }, (_, i) => ({ url: requests[(i * step) % addCount]!.url }));
      const queue = await target.openRequestQueue(storageName('rq'));
      let added = 0;
      const addTiming = await time(target, async () => {
        for (const request of requests) if (!(await queue.addRequest(request)).wasAlreadyPresent) added++;
      });
      check(added === addCount, `added ${addCount} new requests, ${added} were new`);
      let present = 0;
      const dedupeTiming = await time(target, async () => {
        for (const request of again) if ((await queue.addRequest(request)).wasAlreadyPresent) present++;
      });
      check(present === dedupeCount, `re-added ${dedupeCount} requests, ${present} reported present`);
      let handled = 0;
      let empty = 0;
      const fetchTiming = await time(target, async () => {
        while (!(await queue.isFinished())) {
          const request = await queue.fetchNextRequest();
          if (request === null) {
            check(++empty < 1000, 'the queue keeps answering null while not finished');
            continue;
          }
          await queue.markRequestAsHandled(request);
          handled++;
        }
      });
      check(handled === addCount, `handled ${addCount} requests, handled ${handled}`);
      await release(target, queue);
      return [
        { id: 'rq-add', ops: addCount, ...addTiming },
        { id: 'rq-dedupe', ops: dedupeCount, ...dedupeTiming },
        { id: 'rq-fetch-handle', ops: handled, ...fetchTiming },
      ];
    },
  },
  {
    id: 'rq-add-batch',
    phases: [{ id: 'rq-add-batch', title: `request queue add, batches of ${BATCH}`, unit: 'requests', baseCount: 20_000 }],
    async run(target, [count = 0], { storageName }) {
      const chunks = batches(makeRequests(count, 'batch'), BATCH);
      const queue = await target.openRequestQueue(storageName('rq-batch'));
      let added = 0;
      const timing = await time(target, async () => {
        for (const chunk of chunks) {
          const { processedRequests } = await queue.addRequests(chunk);
          for (const result of processedRequests) if (!result.wasAlreadyPresent) added++;
        }
      });
      check(added === count, `added ${count} new requests, ${added} were new`);
      await release(target, queue);
      return [{ id: 'rq-add-batch', ops: count, ...timing }];
    },
  },
];

/** The phase counts of `workload` at `scale`. */
export function countsAt(workload: Workload, scale: number): number[] {
  return workload.phases.map((phase) => Math.max(MIN_COUNT, Math.round(phase.baseCount * scale)));
}
