import { Request, RequestQueue, StorageError, type RequestLike } from '@x/core';
import { describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

// The names and signatures of Crawlee's and the Apify SDK's `RequestQueue` work as equals of ours.

const urls = (count: number, from = 0): string[] => Array.from({ length: count }, (_, i) => `https://example.com/${from + i}`);

async function queueOf(): Promise<{ queue: RequestQueue; storageClient: MemoryStorageClient }> {
  const storageClient = new MemoryStorageClient();
  return { queue: await RequestQueue.open({ storageClient }), storageClient };
}

describe('RequestQueue.markRequestHandled, handledCount, getInfo', () => {
  it('markRequestHandled does what markRequestAsHandled does: handled, lock ended, counted', async () => {
    const { queue } = await queueOf();
    await queue.addRequests(urls(2));
    const first = await queue.fetchNextRequest();
    const result = await queue.markRequestHandled(first!);
    expect(result).toMatchObject({ requestId: first!.id, uniqueKey: first!.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: false });
    expect(first!.handledAt).toBeDefined();
    expect((await queue.getRequest(first!.id))?.handledAt).toBe(first!.handledAt);
    expect(await queue.handledCount()).toBe(1);
    expect(await queue.handledCount()).toBe(await queue.getHandledCount());
    const second = await queue.fetchNextRequest();
    await queue.markRequestHandled(second!);
    expect(await queue.isFinished()).toBe(true);
    const info = await queue.getInfo();
    expect(info).toEqual(await queue.getMetadata());
    expect(info).toMatchObject({ totalRequestCount: 2, handledRequestCount: 2, pendingRequestCount: 0 });
  });
});

describe('RequestQueue.addRequests with the inputs Crawlee takes', () => {
  it('takes an array, a Set, a generator and an async generator; a string is refused', async () => {
    const { queue } = await queueOf();
    function* generate(): Generator<RequestLike> {
      yield 'https://example.com/gen-1';
      yield { url: 'https://example.com/gen-2', userData: { label: 'DETAIL' } };
    }
    async function* generateAsync(): AsyncGenerator<RequestLike> {
      yield Request.fromUrl('https://example.com/async-1');
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield 'https://example.com/async-2';
    }
    expect((await queue.addRequests(['https://example.com/array'])).processedRequests).toHaveLength(1);
    expect((await queue.addRequests(new Set(['https://example.com/set']))).processedRequests).toHaveLength(1);
    expect((await queue.addRequests(generate())).processedRequests).toHaveLength(2);
    expect((await queue.addRequests(generateAsync())).processedRequests).toHaveLength(2);
    expect(await queue.getTotalCount()).toBe(6);
    await expect(queue.addRequests('https://example.com/not-a-list' as never)).rejects.toThrow(StorageError);
    expect(await queue.getTotalCount()).toBe(6);
  });
});

describe('RequestQueue.addRequestsBatched', () => {
  it('resolves after the first batch; the rest follow in the background, and isFinished waits for them', async () => {
    const { queue } = await queueOf();
    const { addedRequests, waitForAllRequestsToBeAdded, requestsOverLimit } = await queue.addRequestsBatched(urls(7), {
      batchSize: 3,
      waitBetweenBatchesMillis: 300,
    });
    expect(addedRequests.map((r) => r.uniqueKey)).toEqual(urls(3));
    expect(requestsOverLimit).toEqual([]);
    // The next batch waits 300 ms: only the first is in the queue yet.
    expect(await queue.getTotalCount()).toBe(3);
    for (let r = await queue.fetchNextRequest(); r; r = await queue.fetchNextRequest()) await queue.markRequestHandled(r);
    expect(await queue.isEmpty()).toBe(true);
    expect(await queue.isFinished()).toBe(false); // batches still to come
    const rest = await waitForAllRequestsToBeAdded;
    expect(rest.map((r) => r.uniqueKey)).toEqual(urls(4, 3));
    expect(rest.every((r) => !r.wasAlreadyPresent)).toBe(true);
    expect(await queue.isFinished()).toBe(false); // now they are pending
    for (let r = await queue.fetchNextRequest(); r; r = await queue.fetchNextRequest()) await queue.markRequestHandled(r);
    expect(await queue.isFinished()).toBe(true);
    expect(await queue.getInfo()).toMatchObject({ totalRequestCount: 7, handledRequestCount: 7 });
  });

  it('waitForAllRequestsToBeAdded: true resolves with every result; forefront puts them first', async () => {
    const { queue } = await queueOf();
    await queue.addRequest('https://example.com/regular');
    const { addedRequests, waitForAllRequestsToBeAdded } = await queue.addRequestsBatched(urls(5), {
      batchSize: 2,
      waitBetweenBatchesMillis: 0,
      waitForAllRequestsToBeAdded: true,
      forefront: true,
    });
    expect(addedRequests).toHaveLength(5);
    expect(await waitForAllRequestsToBeAdded).toHaveLength(3);
    expect(await queue.getTotalCount()).toBe(6);
    expect((await queue.fetchNextRequest())?.url).not.toBe('https://example.com/regular');
  });

  it('one batch only: the promise resolves at once to no further results; an empty input adds nothing', async () => {
    const { queue } = await queueOf();
    const one = await queue.addRequestsBatched(urls(3));
    expect(one.addedRequests).toHaveLength(3);
    expect(await one.waitForAllRequestsToBeAdded).toEqual([]);
    const none = await queue.addRequestsBatched([]);
    expect(none.addedRequests).toEqual([]);
    expect(await none.waitForAllRequestsToBeAdded).toEqual([]);
  });

  it('maxNewRequests counts only new requests and gives back the ones over the limit', async () => {
    const { queue } = await queueOf();
    await queue.addRequests(urls(2));
    const input = urls(6); // the first two are present already
    const { addedRequests, requestsOverLimit } = await queue.addRequestsBatched(input, { batchSize: 10, maxNewRequests: 3, waitBetweenBatchesMillis: 0 });
    expect(addedRequests.filter((r) => !r.wasAlreadyPresent)).toHaveLength(3);
    expect(await queue.getTotalCount()).toBe(5);
    expect(requestsOverLimit).toEqual(input.slice(addedRequests.length));
    expect(requestsOverLimit.length).toBeGreaterThan(0);
  });

  it('validates every request and the options first: a bad one means none is added', async () => {
    const { queue } = await queueOf();
    const bad = await queue.addRequestsBatched([...urls(3), 'not a url'], { batchSize: 1 }).catch((e: unknown) => e);
    expect(StorageError.is(bad, 'invalid-url')).toBe(true);
    for (const options of [{ batchSize: 0 }, { waitBetweenBatchesMillis: -1 }, { maxNewRequests: 1.5 }]) {
      await expect(queue.addRequestsBatched(urls(1), options)).rejects.toThrow(StorageError);
    }
    expect(await queue.getTotalCount()).toBe(0);
  });

  it('a batch that fails in the background rejects waitForAllRequestsToBeAdded, and nothing else goes unhandled', async () => {
    const { queue } = await queueOf();
    const { waitForAllRequestsToBeAdded } = await queue.addRequestsBatched(urls(4), { batchSize: 2, waitBetweenBatchesMillis: 50 });
    await queue.drop(); // the next batch finds no queue
    await expect(waitForAllRequestsToBeAdded).rejects.toThrow();
  });
});

describe('RequestQueue.open(idOrName, options)', () => {
  it('opens by a name (created when missing) or by the id of an existing queue, on the client of the second argument', async () => {
    const storageClient = new MemoryStorageClient();
    const byName = await RequestQueue.open('frontier', { storageClient });
    expect(byName.name).toBe('frontier');
    expect(byName.storageClient).toBe(storageClient);
    expect(await RequestQueue.open(byName.id, { storageClient })).toBe(byName);
    const { id } = await (await storageClient.openRequestQueue({ kind: 'name', name: 'from-client' })).getMetadata();
    expect((await RequestQueue.open(id, { storageClient })).name).toBe('from-client');
    expect((await RequestQueue.open(undefined, { storageClient })).id).toBe('default');
  });
});
