import type { RequestQueueClient } from '@x/core';
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { requestQueueKeys } from '../src/redis-keys.js';
import { ClientPool, requestData } from './helpers.js';
import { REDIS_URL, sharedRedisAvailable } from './redis-servers.js';

const available = await sharedRedisAvailable('redis-client request queue filters');
const pool = new ClientPool();
afterEach(() => pool.destroy());

async function allOf(queue: RequestQueueClient, filter?: 'pending' | 'locked' | 'handled'): Promise<string[]> {
  const ids: string[] = [];
  let page = await queue.listRequests({ limit: 2, ...(filter ? { filter } : {}) });
  for (;;) {
    ids.push(...page.items.map((r) => r.id));
    if (page.nextExclusiveStartId === undefined) return ids;
    page = await queue.listRequests({ limit: 2, exclusiveStartId: page.nextExclusiveStartId, ...(filter ? { filter } : {}) });
  }
}

describe.skipIf(!available)('listRequests filters on Redis', () => {
  it('a queue written with every id in one set (before the handled set) is moved over once, at its first listing', async () => {
    const client = pool.create();
    const queue = await client.openRequestQueue({ kind: 'name', name: 'old-layout' });
    await queue.addRequests(Array.from({ length: 6 }, (_, i) => requestData(i)), { forefront: false });
    const taken = (await queue.listAndLockHead({ limit: 3, lockSecs: 60, clientKey: 'a' })).items;
    for (const request of taken.slice(0, 2)) await queue.markRequestAsHandled({ ...request, handledAt: new Date().toISOString() }, { clientKey: 'a' });
    const expected = { all: await allOf(queue), pending: await allOf(queue, 'pending'), locked: await allOf(queue, 'locked'), handled: await allOf(queue, 'handled') };
    expect([expected.pending.length, expected.locked.length, expected.handled.length]).toEqual([3, 1, 2]);

    // Back to the old layout: every id in `ids`, no `handled`, no layout mark.
    const keys = requestQueueKeys(client.prefix, (await queue.getMetadata()).id);
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const handledIds = await redis.zRange(keys.handled, 0, -1);
      expect(handledIds.sort()).toEqual([...expected.handled].sort());
      await redis.zAdd(keys.ids, handledIds.map((value) => ({ score: 0, value })));
      await redis.del(keys.handled);
      await redis.hDel(keys.meta, 'idLayout');

      expect(await allOf(queue, 'handled')).toEqual(expected.handled);
      expect(await redis.hGet(keys.meta, 'idLayout')).toBe('2');
      expect(await redis.zCard(keys.ids)).toBe(4);
      expect(await allOf(queue)).toEqual(expected.all);
      expect(await allOf(queue, 'pending')).toEqual(expected.pending);
      expect(await allOf(queue, 'locked')).toEqual(expected.locked);
    } finally {
      await redis.quit();
    }
  });

  it('a page of one state costs about its length, not the queue\'s: 20 pending among 100,000 handled', async () => {
    const queue = await pool.create().openRequestQueue({ kind: 'name', name: 'big' });
    const handledAt = new Date().toISOString();
    for (let at = 0; at < 100_000; at += 1000) {
      await queue.addRequests(Array.from({ length: 1000 }, (_, i) => requestData(`h${at + i}`, { handledAt })), { forefront: false });
    }
    await queue.addRequests(Array.from({ length: 20 }, (_, i) => requestData(`p${i}`)), { forefront: false });
    await queue.listAndLockHead({ limit: 5, lockSecs: 60, clientKey: 'a' });
    const timed = async (filter: 'pending' | 'locked' | 'handled'): Promise<{ ms: number; count: number }> => {
      const started = performance.now();
      let count = 0;
      let page = await queue.listRequests({ limit: 100, filter });
      count += page.items.length;
      while (page.nextExclusiveStartId !== undefined && count < 1000) {
        page = await queue.listRequests({ limit: 100, filter, exclusiveStartId: page.nextExclusiveStartId });
        count += page.items.length;
      }
      return { ms: performance.now() - started, count };
    };
    const pending = await timed('pending');
    const locked = await timed('locked');
    const handled = await timed('handled');
    process.stdout.write(`[filters] 100,020 requests: pending page ${pending.ms.toFixed(1)} ms, locked page ${locked.ms.toFixed(1)} ms, 10 handled pages of 100 ${handled.ms.toFixed(1)} ms\n`);
    expect([pending.count, locked.count, handled.count]).toEqual([15, 5, 1000]);
    // A walk over 100,000 requests takes far longer than this on any machine.
    expect(pending.ms).toBeLessThan(50);
    expect(locked.ms).toBeLessThan(50);
  }, 120_000);
});
