import { Request, RequestQueue, type RequestData, type RequestQueueClient, type StorageClient } from '@x/core';
import { describe, expect } from 'vitest';
import { crawleeRequestId, expectStorageError, sleep, type SuiteContext } from './suite-context.js';

const url = (n: number | string): string => `https://example.com/locks/${n}`;
const data = (n: number | string, extra: Partial<RequestData> = {}): RequestData => ({ ...Request.fromUrl(url(n)).toData(), ...extra });
const idOf = (n: number | string): string => crawleeRequestId(url(n));
const handled = (request: RequestData): RequestData => ({ ...request, handledAt: new Date().toISOString() });

const A = 'consumer-a';
const B = 'consumer-b';
/** A short lock, for the cases that wait for one to expire. */
const SHORT_LOCK_SECS = 0.6;
/** Long enough after a short lock for it to have expired on a busy machine. */
const AFTER_SHORT_LOCK_MS = 1000;

async function queueOf(storageClient: StorageClient, urls: readonly (number | string)[] = [1, 2, 3]): Promise<RequestQueueClient> {
  const client = await storageClient.openRequestQueue({ kind: 'name', name: 'locks' });
  if (urls.length > 0) await client.addRequests(urls.map((n) => data(n)), { forefront: false });
  return client;
}

const lockFor = (client: RequestQueueClient, clientKey: string, limit = 1, lockSecs = 60) => client.listAndLockHead({ limit, lockSecs, clientKey });

/** The cases of request locks: listAndLockHead, prolonging, unlocking, expiry, and only the holder changing a locked request. */
export function defineRequestLockCases(ctx: SuiteContext): void {
  const { test } = ctx;
  const strong = ctx.capabilities.strongQueueConsistency;

  describe('request locks', () => {
    test('listAndLockHead locks the head in order for one client; others get the next requests', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3, 4, 5]);
      await client.addRequests([data('f')], { forefront: true });
      const before = Date.now();
      const first = await lockFor(client, A, 3, 30);
      expect(first.items.map((r) => r.url)).toEqual([url('f'), url(1), url(2)]);
      expect(first.queueHasLockedRequests).toBe(true);
      const expiresAt = first.lockExpiresAt.getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 29_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 31_000);
      const second = await lockFor(client, B, 10);
      expect(second.items.map((r) => r.url)).toEqual([url(3), url(4), url(5)]);
      expect((await lockFor(client, A, 5)).items).toEqual([]);
      expect(await client.listHead({ limit: 10 })).toEqual([]);
      expect(await client.isEmpty()).toBe(true);
      expect(await client.isFinished()).toBe(false);
      expect(await client.hasLockedRequests()).toBe(true);
      // Locked requests are still pending in the counts, as the Apify API counts them.
      expect(await client.getMetadata()).toMatchObject({ totalRequestCount: 6, handledRequestCount: 0, pendingRequestCount: 6 });
    });

    test('listAndLockHead refuses a limit or lockSecs out of range', async (storageClient) => {
      const client = await queueOf(storageClient);
      await expectStorageError(client.listAndLockHead({ limit: 0, lockSecs: 10, clientKey: A }), 'invalid-argument');
      await expectStorageError(client.listAndLockHead({ limit: 1, lockSecs: 0, clientKey: A }), 'invalid-argument');
      await expectStorageError(client.listAndLockHead({ limit: 1, lockSecs: -5, clientKey: A }), 'invalid-argument');
      expect(await client.hasLockedRequests()).toBe(false);
      expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(1), url(2), url(3)]);
    });

    test('an expired lock makes its request pending again at the next fetch, where it can be taken by anyone', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2]);
      const locked = await client.listAndLockHead({ limit: 1, lockSecs: SHORT_LOCK_SECS, clientKey: A });
      expect(locked.items.map((r) => r.url)).toEqual([url(1)]);
      expect(await client.isFinished()).toBe(false);
      await sleep(AFTER_SHORT_LOCK_MS);
      expect(await client.hasLockedRequests()).toBe(false);
      const taken = await lockFor(client, B, 5);
      expect(taken.items.map((r) => r.url).sort()).toEqual([url(1), url(2)]);
      // The first holder lost it: it may no longer change the request.
      await expectStorageError(client.markRequestAsHandled(handled(locked.items[0]!), { clientKey: A }), 'locked');
      await client.markRequestAsHandled(handled(locked.items[0]!), { clientKey: B });
      expect((await client.getMetadata()).handledRequestCount).toBe(1);
    });

    test('isFinished is false while a lock is held and true once every request is handled', async (storageClient) => {
      const client = await queueOf(storageClient, [1]);
      expect(await client.isFinished()).toBe(false);
      const [request] = (await lockFor(client, A)).items;
      expect(await client.isEmpty()).toBe(true);
      expect(await client.isFinished()).toBe(false);
      await client.markRequestAsHandled(handled(request!), { clientKey: A });
      expect(await client.isFinished()).toBe(true);
      expect(await client.hasLockedRequests()).toBe(false);
    });

    test('isFinished turns false again when a lock expires with its request unhandled', async (storageClient) => {
      const client = await queueOf(storageClient, [1]);
      await client.listAndLockHead({ limit: 1, lockSecs: SHORT_LOCK_SECS, clientKey: A });
      expect(await client.isFinished()).toBe(false);
      await sleep(AFTER_SHORT_LOCK_MS);
      expect(await client.isFinished()).toBe(false);
      expect(await client.isEmpty()).toBe(false);
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(1)]);
    });

    test('prolongRequestLock extends the holder\'s lock; others get locked, an unlocked request conflict, an unknown one not-found', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2]);
      const { items } = await client.listAndLockHead({ limit: 1, lockSecs: SHORT_LOCK_SECS, clientKey: A });
      const id = items[0]!.id;
      const before = Date.now();
      const { lockExpiresAt } = await client.prolongRequestLock(id, { clientKey: A, lockSecs: 30 });
      expect(lockExpiresAt.getTime()).toBeGreaterThanOrEqual(before + 29_000);
      await sleep(AFTER_SHORT_LOCK_MS);
      // Prolonged past the first lock's end: still locked.
      expect((await lockFor(client, B, 5)).items.map((r) => r.url)).toEqual([url(2)]);
      await expectStorageError(client.prolongRequestLock(id, { clientKey: B, lockSecs: 30 }), 'locked');
      await expectStorageError(client.prolongRequestLock(idOf(2), { clientKey: A, lockSecs: 30 }), 'locked');
      await client.addRequests([data(3)], { forefront: false });
      await expectStorageError(client.prolongRequestLock(idOf(3), { clientKey: A, lockSecs: 30 }), 'conflict');
      await expectStorageError(client.prolongRequestLock(crawleeRequestId('https://example.com/none'), { clientKey: A, lockSecs: 30 }), 'not-found');
    });

    test('prolongRequestLock with forefront puts the request first when the lock expires', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3]);
      const { items } = await lockFor(client, A);
      await client.prolongRequestLock(items[0]!.id, { clientKey: A, lockSecs: SHORT_LOCK_SECS, forefront: true });
      await sleep(AFTER_SHORT_LOCK_MS);
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(1), url(2), url(3)]);
    });

    test('locks that expire together put their requests back in the order they were taken', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3, 4, 5]);
      await lockFor(client, A, 5, SHORT_LOCK_SECS);
      await sleep(AFTER_SHORT_LOCK_MS);
      expect((await client.listHead({ limit: 10 })).map((r) => r.url)).toEqual([url(1), url(2), url(3), url(4), url(5)]);
    });

    test('updateRequest with forefront puts a request whose lock has expired first', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3]);
      await lockFor(client, A, 3, SHORT_LOCK_SECS);
      await sleep(AFTER_SHORT_LOCK_MS);
      // The lock is over, so anyone may change the request, and it is pending: forefront places it first.
      await client.updateRequest(data(2, { userData: { seen: true } }), { forefront: true, clientKey: B });
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(2), url(1), url(3)]);
      expect((await client.getRequest(idOf(2)))?.userData).toEqual({ seen: true });
    });

    test('deleteRequestLock puts the request back (first with forefront); only the holder may', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3]);
      const { items } = await lockFor(client, A, 2);
      const [one, two] = items;
      await expectStorageError(client.deleteRequestLock(one!.id, { clientKey: B }), 'locked');
      await client.deleteRequestLock(one!.id, { clientKey: A });
      await client.deleteRequestLock(two!.id, { clientKey: A, forefront: true });
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(2), url(3), url(1)]);
      expect(await client.hasLockedRequests()).toBe(false);
      // A request that is not locked is left as it is; an unknown one is not-found.
      await client.deleteRequestLock(one!.id, { clientKey: B });
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(2), url(3), url(1)]);
      await expectStorageError(client.deleteRequestLock(crawleeRequestId('https://example.com/none'), { clientKey: A }), 'not-found');
    });

    test('unlockRequests ends every lock of one client and no other', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3, 4]);
      await lockFor(client, A, 2);
      await lockFor(client, B, 1);
      expect(await client.unlockRequests({ clientKey: A })).toBe(2);
      expect(await client.unlockRequests({ clientKey: A })).toBe(0);
      expect((await client.listHead({ limit: 5 })).map((r) => r.url).sort()).toEqual([url(1), url(2), url(4)]);
      expect(await client.hasLockedRequests()).toBe(true);
      expect((await lockFor(client, A, 5)).items).toHaveLength(3);
    });

    test('only the lock holder may handle, reclaim, update or delete a locked request; others change nothing', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2]);
      const [request] = (await lockFor(client, A)).items;
      const changed = { ...request!, userData: { by: 'intruder' } };
      for (const clientKey of [B, undefined]) {
        await expectStorageError(client.markRequestAsHandled(handled(changed), { clientKey }), 'locked');
        await expectStorageError(client.reclaimRequest(changed, { forefront: true, clientKey }), 'locked');
        await expectStorageError(client.updateRequest(changed, { forefront: false, clientKey }), 'locked');
        await expectStorageError(client.updateRequest(handled(changed), { forefront: false, clientKey }), 'locked');
        await expectStorageError(client.deleteRequest(request!.id, { clientKey }), 'locked');
      }
      expect(await client.getRequest(request!.id)).toEqual(request);
      expect(await client.getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 0 });
      expect((await client.listHead({ limit: 5 })).map((r) => r.url)).toEqual([url(2)]);
      // The holder may.
      await client.updateRequest({ ...request!, userData: { by: 'holder' } }, { forefront: false, clientKey: A });
      expect((await client.getRequest(request!.id))?.userData).toEqual({ by: 'holder' });
      expect(await client.hasLockedRequests()).toBe(true);
      await client.markRequestAsHandled(handled(request!), { clientKey: A });
      expect((await client.getMetadata()).handledRequestCount).toBe(1);
      // Requests nobody holds may be changed by anyone.
      await client.deleteRequest(idOf(2), { clientKey: B });
      await client.deleteRequest(request!.id);
      expect((await client.getMetadata()).totalRequestCount).toBe(0);
    });

    test('reclaimRequest by the holder ends the lock and puts the request back with its changes', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2]);
      const [request] = (await lockFor(client, A)).items;
      await client.reclaimRequest({ ...request!, retryCount: 1 }, { forefront: true, clientKey: A });
      expect(await client.hasLockedRequests()).toBe(false);
      const head = await client.listHead({ limit: 5 });
      expect(head.map((r) => r.url)).toEqual([url(1), url(2)]);
      expect(head[0]?.retryCount).toBe(1);
      const again = await lockFor(client, B);
      expect(again.items[0]?.retryCount).toBe(1);
    });

    test('listRequests tells when each locked request\'s lock expires', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3]);
      const { items, lockExpiresAt } = await lockFor(client, A, 2);
      const page = await client.listRequests({ limit: 10 });
      expect(page.items).toHaveLength(3);
      expect([...page.lockExpiresAt.keys()].sort()).toEqual(items.map((r) => r.id).sort());
      for (const expiry of page.lockExpiresAt.values()) expect(Math.abs(expiry.getTime() - lockExpiresAt.getTime())).toBeLessThan(1000);
    });

    test('listRequests with a filter pages the pending, locked or handled requests alone, in id order', async (storageClient) => {
      const client = await queueOf(storageClient, Array.from({ length: 9 }, (_, i) => i));
      const { items: lockedItems, lockExpiresAt } = await lockFor(client, A, 3);
      const [toHandle, ...stillLocked] = lockedItems;
      await client.markRequestAsHandled(handled(toHandle!), { clientKey: A });
      const [pendingOne] = await client.listHead({ limit: 1 });
      await client.markRequestAsHandled(handled(pendingOne!));
      await client.addRequests([data('came-handled', { handledAt: new Date().toISOString() })], { forefront: false });
      const all = (await client.listRequests({ limit: 100 })).items;
      const byId = (ids: readonly string[]): string[] => all.map((r) => r.id).filter((id) => ids.includes(id));
      const expected = {
        locked: byId(stillLocked.map((r) => r.id)),
        handled: byId([toHandle!.id, pendingOne!.id, idOf('came-handled')]),
        pending: byId(all.map((r) => r.id).filter((id) => !stillLocked.some((r) => r.id === id) && id !== toHandle!.id && id !== pendingOne!.id && id !== idOf('came-handled'))),
      };
      expect(expected.pending).toHaveLength(5);
      for (const filter of ['pending', 'locked', 'handled'] as const) {
        // Pages of 2: every request of the state once, the last page without a next id.
        const ids: string[] = [];
        let page = await client.listRequests({ limit: 2, filter });
        for (;;) {
          expect(page.items.length).toBeLessThanOrEqual(2);
          ids.push(...page.items.map((r) => r.id));
          if (filter === 'locked') {
            expect([...page.lockExpiresAt.keys()]).toEqual(page.items.map((r) => r.id));
            for (const expiry of page.lockExpiresAt.values()) expect(Math.abs(expiry.getTime() - lockExpiresAt.getTime())).toBeLessThan(1000);
          } else expect(page.lockExpiresAt.size).toBe(0);
          for (const request of page.items) expect(request.handledAt !== undefined).toBe(filter === 'handled');
          if (page.nextExclusiveStartId === undefined) break;
          expect(page.nextExclusiveStartId).toBe(page.items.at(-1)!.id);
          page = await client.listRequests({ limit: 2, filter, exclusiveStartId: page.nextExclusiveStartId });
        }
        expect(ids, filter).toEqual(expected[filter]);
        // Starting after an id of any state gives the requests of the state after it.
        const from = all[3]!.id;
        const after = await client.listRequests({ limit: 100, filter, exclusiveStartId: from });
        expect(after.items.map((r) => r.id), `${filter} after ${from}`).toEqual(expected[filter].filter((id) => id > from));
        expect(after.nextExclusiveStartId).toBeUndefined();
      }
    });

    test('listRequests with the locked filter leaves out a lock that expired, and the pending filter lists its request', async (storageClient) => {
      const client = await queueOf(storageClient, [1, 2, 3]);
      const [short] = (await lockFor(client, A, 1, SHORT_LOCK_SECS)).items;
      const [long] = (await lockFor(client, B, 1, 60)).items;
      expect((await client.listRequests({ limit: 10, filter: 'locked' })).items.map((r) => r.id).sort()).toEqual([short!.id, long!.id].sort());
      await sleep(AFTER_SHORT_LOCK_MS);
      const locked = await client.listRequests({ limit: 10, filter: 'locked' });
      expect(locked.items.map((r) => r.id)).toEqual([long!.id]);
      expect([...locked.lockExpiresAt.keys()]).toEqual([long!.id]);
      const pending = await client.listRequests({ limit: 10, filter: 'pending' });
      expect(pending.items.map((r) => r.id).sort()).toEqual([short!.id, idOf(3)].sort());
      expect(pending.lockExpiresAt.size).toBe(0);
      expect((await client.listRequests({ limit: 10, filter: 'handled' })).items).toEqual([]);
    });

    test('listRequests refuses an unknown filter', async (storageClient) => {
      const client = await queueOf(storageClient, [1]);
      await expectStorageError(client.listRequests({ limit: 10, filter: 'running' as never }), 'invalid-argument');
      expect((await client.listRequests({ limit: 10 })).items).toHaveLength(1);
    });

    test(
      'concurrent listAndLockHead calls of many clients never lock one request twice',
      async (storageClient) => {
        const client = await queueOf(storageClient, Array.from({ length: 40 }, (_, i) => i));
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => lockFor(client, `consumer-${i % 4}`, 4)));
        const ids = results.flatMap((r) => r.items.map((item) => item.id));
        expect(ids).toHaveLength(40);
        expect(new Set(ids).size).toBe(40);
      },
      { skip: !strong },
    );

    test('RequestQueue locks what it fetches under its clientKey and ends the lock when handled or reclaimed', async (storageClient) => {
      const queue = await RequestQueue.open({ name: 'frontend-locks', storageClient });
      expect(typeof queue.clientKey).toBe('string');
      await queue.addRequests([url(1), url(2)]);
      const raw = await storageClient.openRequestQueue({ kind: 'id', id: queue.id });
      const first = (await queue.fetchNextRequest())!;
      // Another consumer cannot take, handle or delete it (nor, with a fetch batch above 1, the
      // second request, locked in the queue's buffer).
      expect((await lockFor(raw, B, 5)).items.map((r) => r.url)).toEqual(queue.fetchBatchSize > 1 ? [] : [url(2)]);
      await expectStorageError(raw.markRequestAsHandled(handled(first.toData()), { clientKey: B }), 'locked');
      await expectStorageError(raw.deleteRequest(first.id, { clientKey: B }), 'locked');
      await queue.reclaimRequest(first);
      expect(await raw.hasLockedRequests()).toBe(true);
      await raw.unlockRequests({ clientKey: B });
      const again = (await queue.fetchNextRequest())!;
      await queue.markRequestAsHandled(again);
      const last = (await queue.fetchNextRequest())!;
      await queue.markRequestAsHandled(last);
      expect(await queue.isFinished()).toBe(true);
      expect(await raw.hasLockedRequests()).toBe(false);
    });
  });
}
