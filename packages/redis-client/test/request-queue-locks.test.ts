import type { RequestQueueClient } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisStorageClient } from '../src/index.js';
import { ClientPool, expectCode, requestData, sleep } from './helpers.js';
import { sharedRedisAvailable } from './redis-servers.js';

const available = await sharedRedisAvailable('redis-client request queue locks');
const pool = new ClientPool();
afterEach(() => pool.destroy());

async function queueWith(count: number, client: RedisStorageClient = pool.create()): Promise<RequestQueueClient> {
  const queue = await client.openRequestQueue({ kind: 'name', name: 'locks' });
  if (count > 0) await queue.addRequests(Array.from({ length: count }, (_, i) => requestData(i)), { forefront: false });
  return queue;
}

/**
 * Waits past the short locks below: 0.2 s, and 0.5 s for the one prolonged before it expires.
 * Locks expire by Redis's clock, which runs on while the test sleeps: any wait longer than the lock
 * sees it expired; the rest is margin.
 */
const AFTER_SHORT_LOCK_MS = 500;
const AFTER_HALF_SECOND_LOCK_MS = 700;

const urls = (requests: readonly { url: string }[]): string[] => requests.map((r) => r.url.replace('https://example.com/page/', ''));

async function counts(queue: RequestQueueClient): Promise<[total: number, handled: number, pending: number]> {
  const m = await queue.getMetadata();
  return [m.totalRequestCount, m.handledRequestCount, m.pendingRequestCount];
}

describe.skipIf(!available)('request queue locks on Redis (raw client contract)', () => {
  it('listAndLockHead takes the head in fetch order for one client; the next call gets the following requests', async () => {
    const queue = await queueWith(5);
    const before = Date.now();
    const first = await queue.listAndLockHead({ limit: 2, lockSecs: 60, clientKey: 'a' });
    expect(urls(first.items)).toEqual(['0', '1']);
    expect(first.queueHasLockedRequests).toBe(true);
    // Redis time and ours: the same machine, so within a generous margin.
    expect(Math.abs(first.lockExpiresAt.getTime() - (before + 60_000))).toBeLessThan(10_000);
    const second = await queue.listAndLockHead({ limit: 10, lockSecs: 60, clientKey: 'b' });
    expect(urls(second.items)).toEqual(['2', '3', '4']);
    expect((await queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'c' })).items).toEqual([]);
    expect(await queue.isEmpty()).toBe(true);
    expect(await queue.isFinished()).toBe(false);
    expect(await queue.hasLockedRequests()).toBe(true);
    expect(await counts(queue)).toEqual([5, 0, 5]);
  });

  it('bad lock arguments are invalid-argument and lock nothing', async () => {
    const queue = await queueWith(2);
    await expectCode(queue.listAndLockHead({ limit: 0, lockSecs: 60, clientKey: 'a' }), 'invalid-argument');
    await expectCode(queue.listAndLockHead({ limit: 1, lockSecs: 0, clientKey: 'a' }), 'invalid-argument');
    await expectCode(queue.listAndLockHead({ limit: 1001, lockSecs: 60, clientKey: 'a' }), 'invalid-argument');
    await expectCode(queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'k'.repeat(257) }), 'invalid-argument');
    expect(await queue.hasLockedRequests()).toBe(false);
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['0', '1']);
  });

  it('forefront requests come first, newest first; a forefront batch keeps its order, as on every client', async () => {
    const queue = await queueWith(2);
    await queue.addRequests([requestData('f1'), requestData('f2')], { forefront: true });
    await queue.addRequests([requestData('g1'), requestData('g2'), requestData('g3')], { forefront: true });
    await queue.addRequests([requestData('r')], { forefront: false });
    expect(urls(await queue.listHead({ limit: 20 }))).toEqual(['g1', 'g2', 'g3', 'f1', 'f2', '0', '1', 'r']);
    const head = await queue.listAndLockHead({ limit: 4, lockSecs: 60, clientKey: 'a' });
    expect(urls(head.items)).toEqual(['g1', 'g2', 'g3', 'f1']);
  });

  it('a forefront batch larger than one script call is placed as one batch too', async () => {
    const queue = await queueWith(1);
    const batch = Array.from({ length: 2500 }, (_, i) => requestData(`f${i}`));
    await queue.addRequests(batch, { forefront: true });
    expect(urls(await queue.listHead({ limit: 2501 }))).toEqual([...batch.map((_, i) => `f${i}`), '0']);
  });

  it('a request locked by one client can be handled, reclaimed, updated or deleted only by it until the lock expires', async () => {
    const queue = await queueWith(3);
    const [request] = (await queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'holder' })).items;
    const handled = { ...request!, handledAt: new Date().toISOString() };
    for (const options of [{ clientKey: 'other' }, {}, undefined]) {
      await expectCode(queue.markRequestAsHandled(handled, options), 'locked');
      await expectCode(queue.reclaimRequest(request!, { forefront: false, ...options }), 'locked');
      await expectCode(queue.updateRequest({ ...request!, retryCount: 5 }, { forefront: false, ...options }), 'locked');
      await expectCode(queue.deleteRequest(request!.id, options), 'locked');
      await expectCode(queue.prolongRequestLock(request!.id, { clientKey: 'other', lockSecs: 60 }), 'locked');
      await expectCode(queue.deleteRequestLock(request!.id, { clientKey: 'other' }), 'locked');
    }
    // Nothing changed.
    expect(await queue.getRequest(request!.id)).toEqual(request);
    expect(await counts(queue)).toEqual([3, 0, 3]);
    // The holder may.
    await queue.updateRequest({ ...request!, retryCount: 1 }, { forefront: false, clientKey: 'holder' });
    expect((await queue.getRequest(request!.id))?.retryCount).toBe(1);
    expect(await queue.hasLockedRequests()).toBe(true);
    expect(await queue.markRequestAsHandled(handled, { clientKey: 'holder' })).toMatchObject({ wasAlreadyHandled: false });
    expect(await counts(queue)).toEqual([3, 1, 2]);
    expect(await queue.hasLockedRequests()).toBe(false);
    // Requests nobody holds may be changed by anyone.
    const free = (await queue.listHead({ limit: 1 }))[0]!;
    await queue.updateRequest({ ...free, userData: { x: 1 } }, { forefront: false });
    expect((await queue.getRequest(free.id))?.userData).toEqual({ x: 1 });
  });

  it('an expired lock makes the request pending again at the next call; then anyone may change it', async () => {
    const queue = await queueWith(3);
    const [request] = (await queue.listAndLockHead({ limit: 1, lockSecs: 0.2, clientKey: 'dead' })).items;
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['1', '2']);
    await sleep(AFTER_SHORT_LOCK_MS);
    // Placed like a reclaim: after the other pending requests.
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['1', '2', '0']);
    expect(await queue.hasLockedRequests()).toBe(false);
    expect(await counts(queue)).toEqual([3, 0, 3]);
    await expectCode(queue.prolongRequestLock(request!.id, { clientKey: 'dead', lockSecs: 60 }), 'conflict');
    const taken = await queue.listAndLockHead({ limit: 3, lockSecs: 60, clientKey: 'alive' });
    expect(urls(taken.items)).toEqual(['1', '2', '0']);
    await expectCode(queue.markRequestAsHandled({ ...request!, handledAt: new Date().toISOString() }, { clientKey: 'dead' }), 'locked');
    await queue.markRequestAsHandled({ ...request!, handledAt: new Date().toISOString() }, { clientKey: 'alive' });
    expect(await counts(queue)).toEqual([3, 1, 2]);
  });

  it('expiry is checked by every call that looks at the head: isEmpty, isFinished, hasLockedRequests, metadata', async () => {
    const queue = await queueWith(1);
    await queue.listAndLockHead({ limit: 1, lockSecs: 0.2, clientKey: 'dead' });
    expect([await queue.isEmpty(), await queue.isFinished(), await queue.hasLockedRequests()]).toEqual([true, false, true]);
    await sleep(AFTER_SHORT_LOCK_MS);
    expect(await queue.hasLockedRequests()).toBe(false);
    expect([await queue.isEmpty(), await queue.isFinished()]).toEqual([false, false]);
  });

  it('a lock prolonged with forefront puts the request first when it expires', async () => {
    const queue = await queueWith(3);
    const [request] = (await queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'a' })).items;
    const { lockExpiresAt } = await queue.prolongRequestLock(request!.id, { clientKey: 'a', lockSecs: 0.2, forefront: true });
    expect(lockExpiresAt.getTime()).toBeLessThan(Date.now() + 30_000);
    await sleep(AFTER_SHORT_LOCK_MS);
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['0', '1', '2']);
  });

  it('prolongRequestLock: not-found, locked, conflict for a request never locked or handled; extends the holder\'s lock', async () => {
    const queue = await queueWith(3);
    await expectCode(queue.prolongRequestLock('noSuchRequest00', { clientKey: 'a', lockSecs: 60 }), 'not-found');
    const [request] = (await queue.listAndLockHead({ limit: 1, lockSecs: 0.5, clientKey: 'a' })).items;
    await expectCode(queue.prolongRequestLock(request!.id, { clientKey: 'b', lockSecs: 60 }), 'locked');
    const pendingOne = (await queue.listHead({ limit: 1 }))[0]!;
    await expectCode(queue.prolongRequestLock(pendingOne.id, { clientKey: 'a', lockSecs: 60 }), 'conflict');
    const { lockExpiresAt } = await queue.prolongRequestLock(request!.id, { clientKey: 'a', lockSecs: 120 });
    expect(lockExpiresAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
    await sleep(AFTER_HALF_SECOND_LOCK_MS);
    // Prolonged past its first expiry: still locked.
    expect(await queue.hasLockedRequests()).toBe(true);
    expect((await queue.listRequests({ limit: 10 })).lockExpiresAt.get(request!.id)).toEqual(lockExpiresAt);
    await queue.markRequestAsHandled({ ...request!, handledAt: new Date().toISOString() }, { clientKey: 'a' });
    await expectCode(queue.prolongRequestLock(request!.id, { clientKey: 'a', lockSecs: 60 }), 'conflict');
  });

  it('deleteRequestLock puts the request back (first with forefront); a request not locked is left as it is', async () => {
    const queue = await queueWith(3);
    const [a, b] = (await queue.listAndLockHead({ limit: 2, lockSecs: 60, clientKey: 'k' })).items;
    await expectCode(queue.deleteRequestLock('noSuchRequest00', { clientKey: 'k' }), 'not-found');
    await queue.deleteRequestLock(a!.id, { clientKey: 'k' });
    await queue.deleteRequestLock(b!.id, { clientKey: 'k', forefront: true });
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['1', '2', '0']);
    await queue.deleteRequestLock(a!.id, { clientKey: 'k', forefront: true });
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['1', '2', '0']);
    expect(await queue.hasLockedRequests()).toBe(false);
  });

  it('unlockRequests ends every lock of one clientKey and no other', async () => {
    const queue = await queueWith(5);
    await queue.listAndLockHead({ limit: 2, lockSecs: 60, clientKey: 'a' });
    await queue.listAndLockHead({ limit: 2, lockSecs: 60, clientKey: 'b' });
    expect(await queue.unlockRequests({ clientKey: 'a' })).toBe(2);
    expect(await queue.unlockRequests({ clientKey: 'a' })).toBe(0);
    // Back after the others, in the order they were locked.
    expect(urls(await queue.listHead({ limit: 10 }))).toEqual(['4', '0', '1']);
    const listed = await queue.listRequests({ limit: 10 });
    expect([...listed.lockExpiresAt.keys()].sort()).toEqual([requestData(2).id, requestData(3).id].sort());
  });

  it('a lock is seen by every client object and connection of the same Redis (other processes alike)', async () => {
    const first = pool.create();
    const second = pool.create({ prefix: first.prefix });
    const one = await queueWith(2, first);
    const other = await second.openRequestQueue({ kind: 'name', name: 'locks' });
    const [request] = (await one.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'one' })).items;
    expect(urls(await other.listHead({ limit: 10 }))).toEqual(['1']);
    await expectCode(other.markRequestAsHandled({ ...request!, handledAt: new Date().toISOString() }, { clientKey: 'two' }), 'locked');
    expect(await other.isFinished()).toBe(false);
    expect(await other.hasLockedRequests()).toBe(true);
  });

  it('concurrent listAndLockHead calls from four connections never share a request', async () => {
    const clients = [pool.create()];
    for (let i = 0; i < 3; i++) clients.push(pool.create({ prefix: clients[0]!.prefix }));
    await queueWith(300, clients[0]);
    const queues = await Promise.all(clients.map((c) => c.openRequestQueue({ kind: 'name', name: 'locks' })));
    const taken = await Promise.all(
      queues.flatMap((queue, q) => Array.from({ length: 30 }, () => queue.listAndLockHead({ limit: 3, lockSecs: 60, clientKey: `c${q}` }))),
    );
    const ids = taken.flatMap((head) => head.items.map((r) => r.id));
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(await queues[0]!.isEmpty()).toBe(true);
  });

  it('counts stay exact through locking, expiry, handling, reclaiming, updating and deleting', async () => {
    const queue = await queueWith(6);
    const items = (await queue.listAndLockHead({ limit: 4, lockSecs: 60, clientKey: 'k' })).items;
    expect(await counts(queue)).toEqual([6, 0, 6]);
    await queue.markRequestAsHandled({ ...items[0]!, handledAt: new Date().toISOString() }, { clientKey: 'k' });
    await queue.markRequestAsHandled({ ...items[0]!, handledAt: new Date().toISOString() }, { clientKey: 'k' });
    await queue.reclaimRequest(items[1]!, { forefront: false, clientKey: 'k' });
    await queue.deleteRequest(items[2]!.id, { clientKey: 'k' });
    await queue.deleteRequest(items[2]!.id, { clientKey: 'k' });
    expect(await counts(queue)).toEqual([5, 1, 4]);
    // A handled request made pending again, and a pending one marked handled through updates.
    await queue.updateRequest({ ...items[0]!, handledAt: undefined } as never, { forefront: true });
    expect(await counts(queue)).toEqual([5, 0, 5]);
    const free = (await queue.listHead({ limit: 1 }))[0]!;
    await queue.updateRequest({ ...free, handledAt: new Date().toISOString() }, { forefront: false });
    expect(await counts(queue)).toEqual([5, 1, 4]);
    // Handled requests are kept and listed.
    const all = await queue.listRequests({ limit: 100 });
    expect(all.items.filter((r) => r.handledAt !== undefined)).toHaveLength(1);
    expect(all.items).toHaveLength(5);
  });

  it('marking a handled request handled again stores its changes and reports it was handled already', async () => {
    const queue = await queueWith(1);
    const [request] = (await queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'k' })).items;
    const handled = { ...request!, handledAt: new Date().toISOString() };
    expect((await queue.markRequestAsHandled(handled, { clientKey: 'k' })).wasAlreadyHandled).toBe(false);
    expect((await queue.markRequestAsHandled(handled, { clientKey: 'k' })).wasAlreadyHandled).toBe(true);
    expect((await queue.markRequestAsHandled({ ...handled, userData: { again: true } })).wasAlreadyHandled).toBe(true);
    expect((await queue.getRequest(request!.id))?.userData).toEqual({ again: true });
    expect(await counts(queue)).toEqual([1, 1, 0]);
  });

  it('a queue dropped by another client answers not-found', async () => {
    const first = pool.create();
    const second = pool.create({ prefix: first.prefix });
    const queue = await queueWith(1, first);
    const other = await second.openRequestQueue({ kind: 'name', name: 'locks' });
    await other.drop();
    await expectCode(queue.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'k' }), 'not-found');
    await expectCode(queue.addRequests([requestData(9)], { forefront: false }), 'not-found');
    expect(await pool.keys(first.prefix)).toEqual([]);
  });
});
