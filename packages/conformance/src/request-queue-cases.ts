import { MAX_JSON_DEPTH, Request, RequestQueue, type RequestData, type RequestQueueClient, type StorageClient } from '@x/core';
import { describe, expect } from 'vitest';
import { MAX_COLLECTED, circularObject, crawleeRequestId, expectStorageError, nestedObject, type SuiteContext } from './suite-context.js';

async function openQueue(storageClient: StorageClient, name?: string): Promise<RequestQueue> {
  return RequestQueue.open(name === undefined ? { storageClient } : { name, storageClient });
}

/** Fetches every pending request, marking each handled, and returns their URLs in order. */
async function drainUrls(queue: RequestQueue): Promise<string[]> {
  const urls: string[] = [];
  for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
    urls.push(request.url);
    if (urls.length > MAX_COLLECTED) expect.fail(`fetchNextRequest() still gives requests after ${MAX_COLLECTED}: handled requests come back`);
    await queue.markRequestAsHandled(request);
  }
  return urls;
}

async function expectCounts(queue: RequestQueue, total: number, handled: number): Promise<void> {
  const metadata = await queue.getMetadata();
  expect({ total: metadata.totalRequestCount, handled: metadata.handledRequestCount, pending: metadata.pendingRequestCount }).toEqual({
    total,
    handled,
    pending: total - handled,
  });
  expect(await queue.getTotalCount()).toBe(total);
  expect(await queue.getHandledCount()).toBe(handled);
}

const url = (n: number | string): string => `https://example.com/page/${n}`;

/** The client key the raw-client cases lock requests under. */
const RAW_KEY = 'raw-consumer';

/** Takes the next request of a raw queue client, locked for {@link RAW_KEY}: `null` when none is pending. */
async function take(client: RequestQueueClient, clientKey = RAW_KEY): Promise<RequestData | null> {
  const { items } = await client.listAndLockHead({ limit: 1, lockSecs: 60, clientKey });
  return items[0] ?? null;
}

/** The cases of {@link RequestQueue}: adding, dedupe, ids, order, fetching, handling, reclaiming and consistency. */
export function defineRequestQueueCases(ctx: SuiteContext): void {
  const { test } = ctx;
  const strong = ctx.capabilities.strongQueueConsistency;

  describe('RequestQueue', () => {
    describe('adding requests', () => {
      test('addRequest takes a URL string', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const result = await queue.addRequest('https://apify.com');
        expect(result).toEqual({
          requestId: crawleeRequestId('https://apify.com'),
          uniqueKey: 'https://apify.com',
          wasAlreadyPresent: false,
          wasAlreadyHandled: false,
        });
        const request = await queue.getRequest(result.requestId);
        expect(request).toBeInstanceOf(Request);
        expect(request?.url).toBe('https://apify.com');
        expect(request?.method).toBe('GET');
        expect(request?.retryCount).toBe(0);
        expect(request?.userData).toEqual({});
        await expectCounts(queue, 1, 0);
      });

      test('addRequest takes a Request', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const request = Request.fromUrl('https://example.com/a', { userData: { depth: 1 }, label: 'DETAIL' });
        const result = await queue.addRequest(request);
        expect(result.requestId).toBe(request.id);
        expect(result.uniqueKey).toBe('https://example.com/a');
        const stored = await queue.getRequest(request.id);
        expect(stored?.userData).toEqual({ depth: 1, label: 'DETAIL' });
        expect(stored?.label).toBe('DETAIL');
      });

      test('addRequest takes request options; every field round-trips', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const result = await queue.addRequest({
          url: 'https://example.com/api',
          method: 'POST',
          payload: '{"q":1}',
          headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
          userData: { nested: { list: [1, 'two'] }, flag: true },
          uniqueKey: 'api-call-1',
        });
        expect(result.uniqueKey).toBe('api-call-1');
        expect(result.requestId).toBe(crawleeRequestId('api-call-1'));
        const fetched = await queue.fetchNextRequest();
        expect(fetched?.toData()).toEqual({
          id: crawleeRequestId('api-call-1'),
          url: 'https://example.com/api',
          uniqueKey: 'api-call-1',
          method: 'POST',
          payload: '{"q":1}',
          headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
          userData: { nested: { list: [1, 'two'] }, flag: true },
          retryCount: 0,
          noRetry: false,
          errorMessages: [],
        });
      });

      test('uniqueKey defaults to the normalized URL: scheme and host case, fragment, query order, trailing slash', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const first = await queue.addRequest('https://example.com/Path/sub?b=2&a=1');
        expect(first.uniqueKey).toBe('https://example.com/Path/sub?a=1&b=2');
        expect(first.wasAlreadyPresent).toBe(false);
        for (const variant of [
          'HTTPS://EXAMPLE.COM/Path/sub?b=2&a=1',
          'https://Example.com/Path/sub?a=1&b=2#section',
          'https://example.com/Path/sub/?a=1&b=2',
          'https://example.com/Path/sub?b=2&a=1#top',
        ]) {
          const result = await queue.addRequest(variant);
          expect(result).toEqual({ requestId: first.requestId, uniqueKey: first.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: false });
        }
        // The path keeps its case: a different path is a different request.
        const other = await queue.addRequest('https://example.com/path/sub?a=1&b=2');
        expect(other.wasAlreadyPresent).toBe(false);
        expect(other.uniqueKey).toBe('https://example.com/path/sub?a=1&b=2');
        await expectCounts(queue, 2, 0);
        expect((await queue.getRequest(first.requestId))?.url).toBe('https://example.com/Path/sub?b=2&a=1');
      });

      test("request ids are Crawlee's: base64(sha256(uniqueKey)) without +/=, 15 characters", async (storageClient) => {
        const queue = await openQueue(storageClient);
        for (const uniqueKey of ['https://example.com', 'https://example.com/a?x=1', 'custom key ✓', 'GET():https://example.com']) {
          const result = await queue.addRequest({ url: 'https://example.com/same', uniqueKey });
          expect(result.requestId).toBe(crawleeRequestId(uniqueKey));
          expect(result.requestId).toMatch(/^[A-Za-z0-9]{15}$/);
          expect((await queue.getRequest(result.requestId))?.uniqueKey).toBe(uniqueKey);
        }
      });

      test('adding a present request changes nothing and reports wasAlreadyPresent', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest({ url: url(1), userData: { version: 1 } });
        const again = await queue.addRequest({ url: url(1), userData: { version: 2 } }, { forefront: true });
        expect(again).toMatchObject({ uniqueKey: url(1), wasAlreadyPresent: true, wasAlreadyHandled: false });
        await expectCounts(queue, 1, 0);
        expect((await queue.getRequest(again.requestId))?.userData).toEqual({ version: 1 });
      });

      test('adding a handled request reports wasAlreadyPresent and wasAlreadyHandled and does not queue it again', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(1));
        const request = await queue.fetchNextRequest();
        expect(request).not.toBeNull();
        await queue.markRequestAsHandled(request!);
        const again = await queue.addRequest(url(1));
        expect(again).toEqual({ requestId: crawleeRequestId(url(1)), uniqueKey: url(1), wasAlreadyPresent: true, wasAlreadyHandled: true });
        expect(await queue.fetchNextRequest()).toBeNull();
        expect(await queue.isFinished()).toBe(true);
        await expectCounts(queue, 1, 1);
      });

      test('an explicit uniqueKey lets the same URL in twice', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const a = await queue.addRequest({ url: url(1), uniqueKey: 'first' });
        const b = await queue.addRequest(Request.fromUrl(url(1), { uniqueKey: 'second' }));
        const c = await queue.addRequest(url(1));
        expect([a.wasAlreadyPresent, b.wasAlreadyPresent, c.wasAlreadyPresent]).toEqual([false, false, false]);
        expect(new Set([a.requestId, b.requestId, c.requestId]).size).toBe(3);
        await expectCounts(queue, 3, 0);
        expect(await drainUrls(queue)).toEqual([url(1), url(1), url(1)]);
      });

      test('addRequests adds a batch, reporting a duplicate inside the batch as present', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(0));
        const result = await queue.addRequests([url(1), Request.fromUrl(url(2)), { url: url(3) }, `${url(1)}#again`, url(0)]);
        expect(result.unprocessedRequests).toEqual([]);
        expect(result.processedRequests.map((r) => [r.uniqueKey, r.wasAlreadyPresent])).toEqual([
          [url(1), false],
          [url(2), false],
          [url(3), false],
          [url(1), true],
          [url(0), true],
        ]);
        for (const r of result.processedRequests) expect(r.requestId).toBe(crawleeRequestId(r.uniqueKey));
        await expectCounts(queue, 4, 0);
        expect(await drainUrls(queue)).toEqual([url(0), url(1), url(2), url(3)]);
      });

      test('addRequests of an empty list adds nothing', async (storageClient) => {
        const queue = await openQueue(storageClient);
        expect(await queue.addRequests([])).toEqual({ processedRequests: [], unprocessedRequests: [] });
        await expectCounts(queue, 0, 0);
      });

      test('invalid URLs reject with invalid-url and nothing is added', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(0));
        for (const bad of ['not a url', 'ftp://x', '', '   ', '/relative/path', 'mailto:someone@example.com', 'javascript:alert(1)']) {
          await expectStorageError(queue.addRequest(bad), 'invalid-url');
          await expectStorageError(queue.addRequest({ url: bad }), 'invalid-url');
          await expectStorageError(() => Request.fromUrl(bad), 'invalid-url');
        }
        await expectCounts(queue, 1, 0);
      });

      test('a batch with one invalid URL rejects with invalid-url and adds nothing', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(0));
        await expectStorageError(queue.addRequests([url(1), url(2), 'not a url']), 'invalid-url');
        await expectStorageError(queue.addRequests([url(1), { url: 'ftp://x' }, url(2)]), 'invalid-url');
        await expectStorageError(queue.addRequests(['', url(3)], { forefront: true }), 'invalid-url');
        await expectCounts(queue, 1, 0);
        expect(await queue.getRequest(crawleeRequestId(url(1)))).toBeNull();
        expect(await drainUrls(queue)).toEqual([url(0)]);
      });

      test('bad request options reject with invalid-argument and nothing is added', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await expectStorageError(queue.addRequest({ url: url(1), method: 'FETCH' }), 'invalid-argument');
        await expectStorageError(queue.addRequest({ url: url(1), retryCount: -1 }), 'invalid-argument');
        await expectStorageError(queue.addRequests('https://example.com' as unknown as string[]), 'invalid-argument');
        await expectCounts(queue, 0, 0);
      });
    });

    describe('requests that cannot be stored', () => {
      // A request is one level, its userData the next: userData may nest MAX_JSON_DEPTH - 1 levels.
      const unstorable = (): [string, Record<string, unknown>][] => [
        ['a BigInt', { big: 10n }],
        ['a circular structure', circularObject()],
        [`userData nested ${MAX_JSON_DEPTH} levels deep`, nestedObject(MAX_JSON_DEPTH)],
        ['userData nested 100,000 levels deep', nestedObject(100_000)],
      ];

      test('userData JSON cannot hold is refused with invalid-argument at Request construction, addRequest and addRequests; nothing is added', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(0));
        for (const [what, userData] of unstorable()) {
          await expectStorageError(() => new Request({ url: url(1), userData }), 'invalid-argument');
          await expectStorageError(() => Request.fromUrl(url(1), { userData }), 'invalid-argument');
          await expectStorageError(queue.addRequest({ url: url(1), userData }), 'invalid-argument');
          await expectStorageError(queue.addRequests([url(2), { url: url(1), userData }, url(3)]), 'invalid-argument');
          await expectStorageError(queue.addRequests([{ url: url(1), userData }], { forefront: true }), 'invalid-argument');
          // A Request made with good data and changed afterwards.
          const changed = Request.fromUrl(url(4));
          Object.assign(changed.userData, userData);
          await expectStorageError(queue.addRequest(changed), 'invalid-argument');
          await expectStorageError(queue.addRequests([url(5), changed]), 'invalid-argument');
          await expectCounts(queue, 1, 0);
          expect(await queue.getRequest(crawleeRequestId(url(2))), what).toBeNull();
        }
        // The queue works on: the one good request comes out, and then the queue is finished.
        expect(await drainUrls(queue)).toEqual([url(0)]);
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([true, true]);
        await queue.addRequest(url(1));
        expect(await drainUrls(queue)).toEqual([url(1)]);
        await expectCounts(queue, 2, 2);
      });

      test(`userData nested up to the limit (${MAX_JSON_DEPTH} levels with the request) is stored and read back`, async (storageClient) => {
        const queue = await openQueue(storageClient);
        const userData = nestedObject(MAX_JSON_DEPTH - 1);
        await queue.addRequest({ url: url(1), userData });
        await queue.addRequests([{ url: url(2), userData }], { forefront: true });
        const first = (await queue.fetchNextRequest())!;
        expect(first.url).toBe(url(2));
        expect(first.userData).toEqual(userData);
        await queue.reclaimRequest(first);
        expect(await drainUrls(queue)).toEqual([url(1), url(2)]);
        expect((await queue.getRequest(first.id))?.userData).toEqual(userData);
      });

      test('a fetched request given userData JSON cannot hold is refused by markRequestAsHandled and reclaimRequest; the queue works on', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2)]);
        for (const [what, userData] of unstorable()) {
          const request = (await queue.fetchNextRequest())!;
          expect(request, what).not.toBeNull();
          request.userData['bad'] = userData;
          await expectStorageError(queue.markRequestAsHandled(request), 'invalid-argument');
          expect(request.handledAt, what).toBeUndefined();
          await expectStorageError(queue.reclaimRequest(request), 'invalid-argument');
          await expectStorageError(queue.reclaimRequest(request, { forefront: true }), 'invalid-argument');
          // Nothing was stored: the request is still in progress with its stored data.
          expect((await queue.getRequest(request.id))?.userData, what).toEqual({});
          await expectCounts(queue, 2, 0);
          expect(await queue.isFinished()).toBe(false);
          delete request.userData['bad'];
          await queue.reclaimRequest(request);
        }
        expect(await drainUrls(queue)).toEqual([url(1), url(2)]);
        expect(await queue.isFinished()).toBe(true);
        await expectCounts(queue, 2, 2);
      });
    });

    describe('order', () => {
      test('requests come out first in, first out', async (storageClient) => {
        const queue = await openQueue(storageClient);
        for (const n of [1, 2, 3]) await queue.addRequest(url(n));
        await queue.addRequests([url(4), url(5)]);
        expect(await drainUrls(queue)).toEqual([1, 2, 3, 4, 5].map(url));
      });

      test('forefront requests come before all others, newest forefront first', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url('r1'));
        await queue.addRequest(url('r2'));
        await queue.addRequest(url('f1'), { forefront: true });
        await queue.addRequest(url('r3'));
        await queue.addRequest(url('f2'), { forefront: true });
        expect(await drainUrls(queue)).toEqual(['f2', 'f1', 'r1', 'r2', 'r3'].map(url));
      });

      test('a forefront batch keeps its order, before the regular requests and earlier forefront ones', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url('r1'), url('r2')]);
        await queue.addRequests([url('f1'), url('f2')], { forefront: true });
        await queue.addRequests([url('g1'), url('g2'), url('g3')], { forefront: true });
        expect(await drainUrls(queue)).toEqual(['g1', 'g2', 'g3', 'f1', 'f2', 'r1', 'r2'].map(url));
      });

      test('a large forefront batch with repeats keeps its order; the first of equal requests is the one added', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url('earlier'), { forefront: true });
        // 60 requests (more than one call of a remote client), the 10th repeated near the end.
        const batch = Array.from({ length: 60 }, (_, i) => ({ url: url(`b${i}`), userData: { i } }));
        batch.splice(55, 0, { url: url('b10'), userData: { i: -1 } });
        const result = await queue.addRequests(batch, { forefront: true });
        expect(result.processedRequests.map((r) => r.wasAlreadyPresent)).toEqual(batch.map((_, at) => at === 55));
        expect(result.processedRequests[55]?.requestId).toBe(result.processedRequests[10]?.requestId);
        expect((await queue.getRequest(result.processedRequests[10]!.requestId))?.userData).toEqual({ i: 10 });
        expect(await drainUrls(queue)).toEqual([...Array.from({ length: 60 }, (_, i) => url(`b${i}`)), url('earlier')]);
      });

      test('adding a present request with forefront does not move it', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2), url(3)]);
        const again = await queue.addRequest(url(3), { forefront: true });
        expect(again.wasAlreadyPresent).toBe(true);
        expect(await drainUrls(queue)).toEqual([url(1), url(2), url(3)]);
      });
    });

    describe('fetching and handling', () => {
      test('fetchNextRequest returns null on an empty queue', async (storageClient) => {
        const queue = await openQueue(storageClient);
        expect(await queue.fetchNextRequest()).toBeNull();
        expect(await queue.isEmpty()).toBe(true);
        expect(await queue.isFinished()).toBe(true);
      });

      test('fetchNextRequest returns a Request with the stored data', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest({ url: url(1), userData: { a: 1 }, label: 'L' });
        const request = await queue.fetchNextRequest();
        expect(request).toBeInstanceOf(Request);
        expect(request?.id).toBe(crawleeRequestId(url(1)));
        expect(request?.url).toBe(url(1));
        expect(request?.userData).toEqual({ a: 1, label: 'L' });
        expect(request?.label).toBe('L');
        expect(request?.handledAt).toBeUndefined();
      });

      test('a request in progress is not fetched again', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2)]);
        const first = await queue.fetchNextRequest();
        const second = await queue.fetchNextRequest();
        expect([first?.url, second?.url]).toEqual([url(1), url(2)]);
        expect(await queue.fetchNextRequest()).toBeNull();
      });

      test('getRequest gives a request by id, or null', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const { requestId } = await queue.addRequest({ url: url(1), userData: { x: 'y' } });
        const request = await queue.getRequest(requestId);
        expect(request?.toData()).toMatchObject({ id: requestId, url: url(1), uniqueKey: url(1), userData: { x: 'y' } });
        expect(await queue.getRequest('doesNotExist123')).toBeNull();
        await expectStorageError(queue.getRequest(''), 'invalid-argument');
      });

      test('markRequestAsHandled sets handledAt and updates the counts', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2), url(3)]);
        await expectCounts(queue, 3, 0);
        const request = await queue.fetchNextRequest();
        expect(request).not.toBeNull();
        const before = Date.now();
        const result = await queue.markRequestAsHandled(request!);
        expect(result).toMatchObject({ requestId: request!.id, uniqueKey: url(1), wasAlreadyPresent: true, wasAlreadyHandled: false });
        expect(typeof request!.handledAt).toBe('string');
        const stored = await queue.getRequest(request!.id);
        expect(typeof stored?.handledAt).toBe('string');
        const handledAt = new Date(stored!.handledAt!).getTime();
        expect(Number.isNaN(handledAt)).toBe(false);
        expect(Math.abs(handledAt - before)).toBeLessThan(60_000);
        await expectCounts(queue, 3, 1);
        expect(await drainUrls(queue)).toEqual([url(2), url(3)]);
        await expectCounts(queue, 3, 3);
      });

      test('markRequestAsHandled stores the changes made to the request', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(1));
        const request = (await queue.fetchNextRequest())!;
        request.userData['result'] = 'done';
        request.loadedUrl = 'https://example.com/redirected';
        await queue.markRequestAsHandled(request);
        const stored = await queue.getRequest(request.id);
        expect(stored?.userData).toEqual({ result: 'done' });
        expect(stored?.loadedUrl).toBe('https://example.com/redirected');
      });

      test('marking a request that is not in the queue rejects with not-found', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(1));
        await expectStorageError(queue.markRequestAsHandled(Request.fromUrl(url('never-added'))), 'not-found');
        await expectStorageError(queue.reclaimRequest(Request.fromUrl(url('never-added'))), 'not-found');
        await expectCounts(queue, 1, 0);
      });

      test('isEmpty and isFinished: in progress is empty but not finished; handled is both', async (storageClient) => {
        const queue = await openQueue(storageClient);
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([true, true]);
        await queue.addRequest(url(1));
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([false, false]);
        const request = (await queue.fetchNextRequest())!;
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([true, false]);
        await queue.markRequestAsHandled(request);
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([true, true]);
        await queue.addRequest(url(2));
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([false, false]);
      });

      test('metadata counts total, handled and pending requests', async (storageClient) => {
        const queue = await openQueue(storageClient, 'counted');
        await queue.addRequests([url(1), url(2), url(3), url(4)]);
        await queue.addRequest(url(1));
        await expectCounts(queue, 4, 0);
        const a = (await queue.fetchNextRequest())!;
        const b = (await queue.fetchNextRequest())!;
        await queue.markRequestAsHandled(a);
        await queue.reclaimRequest(b);
        await expectCounts(queue, 4, 1);
        await drainUrls(queue);
        await expectCounts(queue, 4, 4);
        const listed = (await storageClient.listRequestQueues()).find((m) => m.id === queue.id);
        expect(listed).toMatchObject({ totalRequestCount: 4, handledRequestCount: 4, pendingRequestCount: 0 });
      });

      test('userData round-trips through add, fetch, reclaim and handle', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const userData = { str: 'é', num: 1.5, list: [1, { deep: [true, null] }], obj: { a: { b: 'c' } } };
        await queue.addRequest({ url: url(1), userData });
        const fetched = (await queue.fetchNextRequest())!;
        expect(fetched.userData).toEqual(userData);
        await queue.reclaimRequest(fetched);
        const again = (await queue.fetchNextRequest())!;
        expect(again.userData).toEqual(userData);
        await queue.markRequestAsHandled(again);
        expect((await queue.getRequest(again.id))?.userData).toEqual(userData);
      });
    });

    describe('reclaiming', () => {
      test('a reclaimed request goes after the other pending ones', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2), url(3)]);
        const first = (await queue.fetchNextRequest())!;
        expect(first.url).toBe(url(1));
        const result = await queue.reclaimRequest(first);
        expect(result).toMatchObject({ requestId: first.id, uniqueKey: url(1), wasAlreadyPresent: true, wasAlreadyHandled: false });
        expect(await drainUrls(queue)).toEqual([url(2), url(3), url(1)]);
      });

      test('a request reclaimed with forefront comes next', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2), url(3)]);
        const first = (await queue.fetchNextRequest())!;
        const second = (await queue.fetchNextRequest())!;
        await queue.reclaimRequest(second, { forefront: true });
        const next = await queue.fetchNextRequest();
        expect(next?.url).toBe(url(2));
        await queue.markRequestAsHandled(next!);
        await queue.markRequestAsHandled(first);
        expect(await drainUrls(queue)).toEqual([url(3)]);
      });

      test('reclaiming keeps the changes made to the request: retryCount, userData, errorMessages', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequests([url(1), url(2)]);
        const request = (await queue.fetchNextRequest())!;
        request.retryCount++;
        request.userData['attempt'] = 'first';
        request.pushErrorMessage(new Error('boom'));
        request.pushErrorMessage('timeout');
        await queue.reclaimRequest(request, { forefront: true });
        const again = (await queue.fetchNextRequest())!;
        expect(again.id).toBe(request.id);
        expect(again.retryCount).toBe(1);
        expect(again.userData).toEqual({ attempt: 'first' });
        expect(again.errorMessages).toEqual(['boom', 'timeout']);
        expect(again.handledAt).toBeUndefined();
        again.retryCount++;
        await queue.reclaimRequest(again);
        expect((await queue.getRequest(request.id))?.retryCount).toBe(2);
        expect(await drainUrls(queue)).toEqual([url(2), url(1)]);
      });

      test('after reclaiming, the queue is no longer empty and not finished', async (storageClient) => {
        const queue = await openQueue(storageClient);
        await queue.addRequest(url(1));
        const request = (await queue.fetchNextRequest())!;
        expect(await queue.isEmpty()).toBe(true);
        await queue.reclaimRequest(request);
        expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([false, false]);
        expect((await queue.fetchNextRequest())?.url).toBe(url(1));
      });
    });

    describe('consistency', () => {
      test(
        '50 concurrent fetchNextRequest calls never return the same request',
        async (storageClient) => {
          const queue = await openQueue(storageClient);
          await queue.addRequests(Array.from({ length: 60 }, (_, i) => url(i)));
          const fetched = await Promise.all(Array.from({ length: 50 }, () => queue.fetchNextRequest()));
          const ids = fetched.map((r) => r?.id);
          expect(ids.every((id) => typeof id === 'string')).toBe(true);
          expect(new Set(ids).size).toBe(50);
          const rest = await Promise.all(Array.from({ length: 50 }, () => queue.fetchNextRequest()));
          const restIds = rest.filter((r) => r !== null).map((r) => r.id);
          expect(restIds).toHaveLength(10);
          expect(new Set([...ids, ...restIds]).size).toBe(60);
          expect(await queue.isEmpty()).toBe(true);
          expect(await queue.isFinished()).toBe(false);
        },
        { skip: !strong },
      );

      test(
        'concurrent fetches on two queue objects over one queue never share a request',
        async (storageClient) => {
          const queue = await openQueue(storageClient, 'shared');
          await queue.addRequests(Array.from({ length: 20 }, (_, i) => url(i)));
          const other = await storageClient.openRequestQueue({ kind: 'id', id: queue.id });
          const results = await Promise.all(
            Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? queue.fetchNextRequest().then((r) => r?.id ?? null) : take(other).then((r) => r?.id ?? null))),
          );
          const ids = results.filter((id): id is string => id !== null);
          // With a fetch batch above 1, the queue may hold some in its buffer: its next fetches give them.
          for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) ids.push(request.id);
          expect(ids).toHaveLength(20);
          expect(new Set(ids).size).toBe(20);
        },
        { skip: !strong },
      );

      test(
        'fetchNextRequest returns null only when nothing is pending',
        async (storageClient) => {
          const queue = await openQueue(storageClient);
          await queue.addRequests([url(1), url(2)]);
          await queue.addRequest(url(3), { forefront: true });
          let fetched = 0;
          for (;;) {
            const pending = !(await queue.isEmpty());
            const request = await queue.fetchNextRequest();
            expect(request !== null).toBe(pending);
            if (!request) break;
            fetched++;
            expect(fetched).toBeLessThanOrEqual(3);
          }
          expect(fetched).toBe(3);
        },
        { skip: !strong },
      );
    });

    describe('raw client contract', () => {
      const rawQueue = (storageClient: StorageClient) => storageClient.openRequestQueue({ kind: 'name', name: 'raw' });
      const data = (n: number | string, extra: Partial<RequestData> = {}): RequestData => ({ ...Request.fromUrl(url(n)).toData(), ...extra });

      test('listHead lists pending requests in fetch order without taking them', async (storageClient) => {
        const client = await rawQueue(storageClient);
        await client.addRequests([data(1), data(2), data(3)], { forefront: false });
        await client.addRequests([data('f')], { forefront: true });
        expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url('f'), url(1), url(2), url(3)]);
        expect((await client.listHead({ limit: 2 })).map((r) => r.url)).toEqual([url('f'), url(1)]);
        const taken = await take(client);
        expect(taken?.url).toBe(url('f'));
        const second = (await take(client))!;
        await client.markRequestAsHandled({ ...second, handledAt: new Date().toISOString() }, { clientKey: RAW_KEY });
        // In progress and handled requests are not in the head; listing took nothing.
        expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(2), url(3)]);
        expect((await client.listHead({ limit: 10 }))[0]).toMatchObject({ id: crawleeRequestId(url(2)), uniqueKey: url(2), userData: {} });
        expect((await take(client))?.url).toBe(url(2));
      });

      test('listRequests pages every request in ascending id order', async (storageClient) => {
        const client = await rawQueue(storageClient);
        const all = Array.from({ length: 7 }, (_, i) => data(i));
        await client.addRequests(all, { forefront: false });
        const handled = (await take(client))!;
        await client.markRequestAsHandled({ ...handled, handledAt: new Date().toISOString() }, { clientKey: RAW_KEY });
        await take(client);
        const ids: string[] = [];
        let page = await client.listRequests({ limit: 3 });
        for (let guard = 0; ; guard++) {
          expect(guard).toBeLessThan(10);
          expect(page.items.length).toBeLessThanOrEqual(3);
          ids.push(...page.items.map((r) => r.id));
          if (page.nextExclusiveStartId === undefined) break;
          page = await client.listRequests({ limit: 3, exclusiveStartId: page.nextExclusiveStartId });
        }
        expect(ids).toEqual(all.map((r) => r.id).sort());
        const first = await client.listRequests({ limit: 100 });
        expect(first.nextExclusiveStartId).toBeUndefined();
        expect(first.items.find((r) => r.id === handled.id)?.handledAt).toBeDefined();
        const after = await client.listRequests({ limit: 100, exclusiveStartId: ids[4]! });
        expect(after.items.map((r) => r.id)).toEqual(ids.slice(5));
      });

      test('updateRequest stores changes, marks handled with handledAt and makes a handled request pending without it', async (storageClient) => {
        const client = await rawQueue(storageClient);
        await client.addRequests([data(1), data(2)], { forefront: false });
        const one = (await client.getRequest(crawleeRequestId(url(1))))!;
        const changed = await client.updateRequest({ ...one, userData: { v: 2 } }, { forefront: false });
        expect(changed).toMatchObject({ requestId: one.id, wasAlreadyPresent: true, wasAlreadyHandled: false });
        expect((await client.getRequest(one.id))?.userData).toEqual({ v: 2 });
        const handledAt = new Date().toISOString();
        await client.updateRequest({ ...one, userData: { v: 3 }, handledAt }, { forefront: false });
        expect(await client.getRequest(one.id)).toMatchObject({ userData: { v: 3 }, handledAt });
        expect((await client.getMetadata()).handledRequestCount).toBe(1);
        expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(2)]);
        const again = await client.updateRequest({ ...one, userData: { v: 4 } }, { forefront: true });
        expect(again.wasAlreadyHandled).toBe(true);
        expect((await client.getMetadata()).handledRequestCount).toBe(0);
        expect((await client.getRequest(one.id))?.handledAt).toBeUndefined();
        expect((await take(client))?.url).toBe(url(1));
      });

      test('updateRequest with forefront moves a pending request first; one in progress stays in progress', async (storageClient) => {
        const client = await rawQueue(storageClient);
        await client.addRequests([data(1), data(2), data(3)], { forefront: false });
        const three = (await client.getRequest(crawleeRequestId(url(3))))!;
        await client.updateRequest(three, { forefront: true });
        expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(3), url(1), url(2)]);
        const taken = (await take(client))!;
        expect(taken.url).toBe(url(3));
        await client.updateRequest({ ...taken, retryCount: 1 }, { forefront: false, clientKey: RAW_KEY });
        expect((await client.getRequest(taken.id))?.retryCount).toBe(1);
        expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(1), url(2)]);
        expect(await client.isFinished()).toBe(false);
        await expectStorageError(client.updateRequest(data('never-added'), { forefront: false }), 'not-found');
      });

      test('a request JSON cannot hold is refused with invalid-argument by every method that stores one, and nothing changes', async (storageClient) => {
        const client = await rawQueue(storageClient);
        await client.addRequests([data(1), data(2)], { forefront: false });
        for (const userData of [{ big: 10n }, circularObject(), nestedObject(100_000)]) {
          await expectStorageError(client.addRequests([data(3), data(4, { userData })], { forefront: false }), 'invalid-argument');
          const taken = (await take(client))!;
          expect(taken.url).toBe(url(1));
          const bad = { ...taken, userData };
          await expectStorageError(client.markRequestAsHandled({ ...bad, handledAt: new Date().toISOString() }, { clientKey: RAW_KEY }), 'invalid-argument');
          await expectStorageError(client.reclaimRequest(bad, { forefront: false, clientKey: RAW_KEY }), 'invalid-argument');
          await expectStorageError(client.updateRequest(bad, { forefront: true, clientKey: RAW_KEY }), 'invalid-argument');
          expect(await client.getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 0, pendingRequestCount: 2 });
          expect(await client.getRequest(crawleeRequestId(url(3)))).toBeUndefined();
          expect((await client.getRequest(taken.id))?.userData).toEqual({});
          expect(await client.isFinished()).toBe(false);
          await client.reclaimRequest(taken, { forefront: true, clientKey: RAW_KEY });
        }
        const urls: string[] = [];
        for (let r = await take(client); r; r = await take(client)) {
          urls.push(r.url);
          await client.markRequestAsHandled({ ...r, handledAt: new Date().toISOString() }, { clientKey: RAW_KEY });
        }
        expect(urls).toEqual([url(1), url(2)]);
        expect(await client.isFinished()).toBe(true);
      });

      test('deleteRequest removes a request; an unknown id changes nothing', async (storageClient) => {
        const client = await rawQueue(storageClient);
        await client.addRequests([data(1), data(2), data(3)], { forefront: false });
        await client.deleteRequest(crawleeRequestId(url(2)));
        await client.deleteRequest('noSuchRequest12');
        expect(await client.getRequest(crawleeRequestId(url(2)))).toBeUndefined();
        expect((await client.getMetadata()).totalRequestCount).toBe(2);
        expect((await client.listRequests({ limit: 10 })).items).toHaveLength(2);
        const urls: string[] = [];
        for (let r = await take(client); r; r = await take(client)) {
          urls.push(r.url);
          await client.markRequestAsHandled({ ...r, handledAt: new Date().toISOString() }, { clientKey: RAW_KEY });
        }
        expect(urls).toEqual([url(1), url(3)]);
        expect(await client.isFinished()).toBe(true);
        // Deleting the request again, or a handled one, keeps the counts right.
        await client.deleteRequest(crawleeRequestId(url(1)));
        expect(await client.getMetadata()).toMatchObject({ totalRequestCount: 1, handledRequestCount: 1, pendingRequestCount: 0 });
      });
    });

    describe('copies', () => {
      test('requests given and returned are copies of the stored data', async (storageClient) => {
        const queue = await openQueue(storageClient);
        const given = Request.fromUrl(url(1), { userData: { list: [1] } });
        await queue.addRequest(given);
        (given.userData['list'] as number[]).push(2);
        given.retryCount = 5;
        const got = (await queue.getRequest(given.id))!;
        expect(got.userData).toEqual({ list: [1] });
        expect(got.retryCount).toBe(0);
        (got.userData['list'] as number[]).push(3);
        got.errorMessages.push('local');
        const fetched = (await queue.fetchNextRequest())!;
        expect(fetched.userData).toEqual({ list: [1] });
        expect(fetched.errorMessages).toEqual([]);
        fetched.userData['changed'] = true;
        fetched.retryCount = 9;
        const again = (await queue.getRequest(given.id))!;
        expect(again.userData).toEqual({ list: [1] });
        expect(again.retryCount).toBe(0);
      });
    });
  });
}
