import { describe, expect, it } from 'vitest';
import { RequestQueueIndex, RequestQueueLocks, type RequestData } from '../src/index.js';
import { expectStorageError } from './expect-storage-error.js';

/** A queue index with `count` pending requests `r0`…, and its lock table whose placements are recorded. */
function queueWith(count: number) {
  const index = new RequestQueueIndex();
  for (let i = 0; i < count; i++) index.add(`r${i}`, { handled: false, forefront: false, orderNo: i });
  const placedAgain: { id: string; forefront: boolean }[] = [];
  const locks = new RequestQueueLocks(index, (slot, forefront) => {
    placedAgain.push({ id: index.idOf(slot), forefront });
    index.makePending(slot, forefront, 0);
  });
  const take = () => {
    const slot = index.takeNext();
    return slot === -1 ? undefined : { slot, request: { id: index.idOf(slot) } as RequestData };
  };
  const ids = (head: { items: RequestData[] }) => head.items.map((r) => r.id);
  return { index, locks, take, placedAgain, ids };
}

describe('RequestQueueLocks', () => {
  it('locks up to the limit in fetch order, with one expiry, and reports live locks', () => {
    const { index, locks, take, ids } = queueWith(5);
    const head = locks.lockHead({ limit: 3, lockSecs: 10, clientKey: 'a' }, take, 1_000);
    expect(ids(head)).toEqual(['r0', 'r1', 'r2']);
    expect(head.lockExpiresAt.getTime()).toBe(11_000);
    expect(head.queueHasLockedRequests).toBe(true);
    expect(index.inProgressCount).toBe(3);
    expect(locks.lockOf(index.find('r1'), 5_000)).toEqual(expect.objectContaining({ clientKey: 'a', expiresAt: 11_000 }));
    expect(locks.lockOf(index.find('r3'), 5_000)).toBeUndefined();
    expect(locks.hasLocks(10_999)).toBe(true);
    expect(locks.hasLocks(11_000)).toBe(false);
    expect(index.pendingCount).toBe(5);
  });

  it('releases expired locks in expiry order, placing their requests again, and skips prolonged ones', () => {
    const { index, locks, take, placedAgain } = queueWith(4);
    locks.lockHead({ limit: 1, lockSecs: 30, clientKey: 'a' }, take, 0); // r0 until 30 s
    locks.lockHead({ limit: 1, lockSecs: 10, clientKey: 'b' }, take, 0); // r1 until 10 s
    locks.lockHead({ limit: 1, lockSecs: 20, clientKey: 'c' }, take, 0); // r2 until 20 s
    locks.prolong('r1', { clientKey: 'b', lockSecs: 100 }, 5_000); // r1 until 105 s
    locks.releaseExpired(25_000);
    expect(placedAgain.map((p) => p.id)).toEqual(['r2']);
    locks.releaseExpired(50_000);
    expect(placedAgain.map((p) => p.id)).toEqual(['r2', 'r0']);
    expect(locks.size).toBe(1);
    locks.releaseExpired(200_000);
    expect(placedAgain.map((p) => p.id)).toEqual(['r2', 'r0', 'r1']);
    expect(index.inProgressCount).toBe(0);
  });

  it('locks that expire at the same time place their requests again in the order they were taken', () => {
    const { locks, take, placedAgain } = queueWith(40);
    locks.lockHead({ limit: 25, lockSecs: 10, clientKey: 'a' }, take, 0);
    locks.lockHead({ limit: 15, lockSecs: 10, clientKey: 'b' }, take, 0);
    locks.releaseExpired(10_000);
    expect(placedAgain.map((p) => p.id)).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`));
  });

  it('a lock prolonged with forefront places its request first when it expires', () => {
    const { index, locks, take, placedAgain } = queueWith(2);
    locks.lockHead({ limit: 1, lockSecs: 10, clientKey: 'a' }, take, 0);
    locks.prolong('r0', { clientKey: 'a', lockSecs: 1, forefront: true }, 0);
    locks.releaseExpired(2_000);
    expect(placedAgain).toEqual([{ id: 'r0', forefront: true }]);
  });

  it('only the holder may prolong, unlock or change; an unlocked request conflicts on prolong', async () => {
    const { index, locks, take } = queueWith(3);
    locks.lockHead({ limit: 1, lockSecs: 10, clientKey: 'a' }, take, 0);
    const slot = index.find('r0');
    await expectStorageError(() => locks.prolong('r0', { clientKey: 'b', lockSecs: 10 }, 1), 'locked');
    await expectStorageError(() => locks.unlock('r0', { clientKey: 'b' }, 1), 'locked');
    await expectStorageError(() => locks.assertMayChange(slot, 'b', 1), 'locked');
    await expectStorageError(() => locks.assertMayChange(slot, undefined, 1), 'locked');
    locks.assertMayChange(slot, 'a', 1);
    await expectStorageError(() => locks.prolong('r1', { clientKey: 'a', lockSecs: 10 }, 1), 'conflict');
    // Expired: anyone may change it, and it can no longer be prolonged.
    locks.assertMayChange(slot, 'b', 10_000);
    await expectStorageError(() => locks.prolong('r0', { clientKey: 'a', lockSecs: 10 }, 10_000), 'conflict');
  });

  it('the anonymous caller (no key) may change what it locked under the empty key', () => {
    const { index, locks, take } = queueWith(1);
    locks.lockHead({ limit: 1, lockSecs: 10, clientKey: '' }, take, 0);
    expect(() => locks.assertMayChange(index.find('r0'), undefined, 1)).not.toThrow();
  });

  it('unlockAll ends the locks of one client only, and unlock places the request as asked', () => {
    const { index, locks, take, placedAgain } = queueWith(5);
    locks.lockHead({ limit: 2, lockSecs: 10, clientKey: 'a' }, take, 0);
    locks.lockHead({ limit: 2, lockSecs: 10, clientKey: 'b' }, take, 0);
    expect(locks.unlockAll('a', 1)).toBe(2);
    expect(placedAgain.map((p) => p.id)).toEqual(['r0', 'r1']);
    locks.unlock('r2', { clientKey: 'b', forefront: true }, 1);
    expect(placedAgain.at(-1)).toEqual({ id: 'r2', forefront: true });
    // Unlocking what is not locked changes nothing.
    locks.unlock('r2', { clientKey: 'b' }, 1);
    expect(placedAgain).toHaveLength(3);
    expect(locks.size).toBe(1);
  });

  it('refuses bad options before taking anything', async () => {
    const { index, locks, take } = queueWith(2);
    for (const options of [
      { limit: 0, lockSecs: 10, clientKey: 'a' },
      { limit: 1.5, lockSecs: 10, clientKey: 'a' },
      { limit: 1001, lockSecs: 10, clientKey: 'a' },
      { limit: 1, lockSecs: 0, clientKey: 'a' },
      { limit: 1, lockSecs: Number.NaN, clientKey: 'a' },
      { limit: 1, lockSecs: 86_401, clientKey: 'a' },
      { limit: 1, lockSecs: 10, clientKey: 5 as unknown as string },
    ]) {
      await expectStorageError(() => locks.lockHead(options, take, 0), 'invalid-argument');
    }
    expect(index.inProgressCount).toBe(0);
  });

  it('keeps its heap small while locks are prolonged many times', () => {
    const { index, locks, take } = queueWith(10);
    locks.lockHead({ limit: 10, lockSecs: 10, clientKey: 'a' }, take, 0);
    for (let round = 1; round <= 1_000; round++) {
      for (let i = 0; i < 10; i++) locks.prolong(`r${i}`, { clientKey: 'a', lockSecs: 10 }, round);
    }
    // 10,000 prolongations left stale expiry entries behind; the heap was rebuilt along the way.
    expect(locks.expiryEntries).toBeLessThanOrEqual(64);
    // Every lock is live until 10 s after the last prolongation, then all expire together.
    locks.releaseExpired(10_999);
    expect(locks.size).toBe(10);
    locks.releaseExpired(11_001);
    expect(locks.size).toBe(0);
    expect(index.pendingCount).toBe(10);
  });

  it('gives the expiry of live locks by id', () => {
    const { index, locks, take } = queueWith(3);
    locks.lockHead({ limit: 2, lockSecs: 5, clientKey: 'a' }, take, 0);
    const expiries = locks.expiriesOf([index.find('r0'), index.find('r1'), index.find('r2')], 1);
    expect([...expiries.entries()].map(([id, date]) => [id, date.getTime()])).toEqual([
      ['r0', 5_000],
      ['r1', 5_000],
    ]);
  });
});
