import { Actor } from '@x/actor';
import { Request, type AddRequestResult, type StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log } from './run-alone.js';

/** The seed of the example's failures: the same seed fails the same attempts on every run. */
export const FAILURE_SEED = 42;
/** The share of attempts that fail. */
export const FAILURE_RATE = 0.3;

/** A small seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One fetch of a request and how processing it went. */
export interface Attempt {
  readonly url: string;
  readonly ok: boolean;
  /** The request's retry count when it was fetched. */
  readonly retryCount: number;
}

/** A request as the queue keeps it at the end. */
export interface StoredRequest {
  readonly url: string;
  readonly retryCount: number;
  readonly errorMessages: string[];
  readonly handled: boolean;
}

/** What the request-queue example did. */
export interface RequestQueueOutcome {
  /** Requests newly added (ten). */
  readonly added: number;
  /** What adding a URL already in the queue (other case and a fragment) reported. */
  readonly duplicate: AddRequestResult;
  readonly totalAfterAdds: number;
  /** Every fetch, in order. */
  readonly attempts: Attempt[];
  /** Per URL, how many times it was processed successfully (one each). */
  readonly handledTimes: Record<string, number>;
  /** Each request as stored in the queue at the end, in the order they were first fetched. */
  readonly stored: StoredRequest[];
  readonly handledCount: number;
  readonly totalCount: number;
  readonly isFinished: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Example 8, the full request-queue loop: ten requests (one of them forefront), a duplicate that
 * the queue reports as already present, and processing where 30 % of the attempts fail at random
 * (a seeded PRNG, so every run fails the same ones). A failed request is reclaimed with its retry
 * count raised and the error kept, and fetched again later, until `isFinished()`: every request is
 * then handled exactly once, and the queue keeps how often each was retried.
 */
export async function requestQueue(storageClient: StorageClient, log: Log = quiet, seed = FAILURE_SEED): Promise<RequestQueueOutcome> {
  await Actor.init({ storageClient });
  try {
    const queue = await Actor.openRequestQueue(); // the run's default queue
    const pages = Array.from({ length: 9 }, (_, i) => `https://example.com/page-${i + 1}`);
    const { processedRequests } = await queue.addRequests(pages);
    const start = await queue.addRequest(Request.fromUrl('https://example.com/', { label: 'START' }), { forefront: true });
    const added = processedRequests.filter((r) => !r.wasAlreadyPresent).length + (start.wasAlreadyPresent ? 0 : 1);
    const duplicate = await queue.addRequest('https://EXAMPLE.com/page-3#reviews');
    const totalAfterAdds = await queue.getTotalCount();
    log(`added ${added} requests (https://example.com/ to the forefront); https://EXAMPLE.com/page-3#reviews ` +
      `wasAlreadyPresent=${duplicate.wasAlreadyPresent} (uniqueKey ${duplicate.uniqueKey}); the queue holds ${totalAfterAdds}`);

    const random = seededRandom(seed);
    const attempts: Attempt[] = [];
    const handledTimes: Record<string, number> = {};
    const firstSeen: string[] = [];
    while (!(await queue.isFinished())) {
      const request = await queue.fetchNextRequest();
      if (!request) {
        await sleep(10); // nothing pending now, but a request is in progress elsewhere
        continue;
      }
      if (attempts.length >= 1000) throw new Error('Too many attempts: the failures never stop');
      if (!firstSeen.includes(request.id)) firstSeen.push(request.id);
      const retryCount = request.retryCount;
      try {
        if (random() < FAILURE_RATE) throw new Error(`Simulated failure of ${request.url} (attempt ${retryCount + 1})`);
        handledTimes[request.url] = (handledTimes[request.url] ?? 0) + 1;
        await queue.markRequestAsHandled(request);
        attempts.push({ url: request.url, ok: true, retryCount });
      } catch (error) {
        request.retryCount += 1;
        request.pushErrorMessage(error);
        await queue.reclaimRequest(request);
        attempts.push({ url: request.url, ok: false, retryCount });
      }
    }
    const failures = attempts.filter((a) => !a.ok).length;
    log(`processed in ${attempts.length} attempts (${failures} failed and were reclaimed): ` +
      attempts.map((a) => `${new URL(a.url).pathname}${a.ok ? '' : '✗'}`).join(' '));

    const stored: StoredRequest[] = [];
    for (const id of firstSeen) {
      const request = await queue.getRequest(id);
      if (!request) throw new Error(`Request ${id} is missing from the queue`);
      stored.push({ url: request.url, retryCount: request.retryCount, errorMessages: request.errorMessages, handled: request.handledAt !== undefined });
    }
    const retried = stored.filter((r) => r.retryCount > 0);
    log(`retry counts kept in the queue: ${retried.map((r) => `${new URL(r.url).pathname}×${r.retryCount}`).join(', ') || 'none'}`);
    const handledCount = await queue.getHandledCount();
    const totalCount = await queue.getTotalCount();
    const isFinished = await queue.isFinished();
    log(`handled ${handledCount} of ${totalCount}, each exactly once: ${Object.values(handledTimes).every((n) => n === 1)}; isFinished=${isFinished}`);
    return { added, duplicate, totalAfterAdds, attempts, handledTimes, stored, handledCount, totalCount, isFinished };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('8. The request queue: forefront, dedupe, failures reclaimed until finished', (client, log) => requestQueue(client, log));
