import { RequestQueue, releaseStorages } from '@x/core';
import { describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

/** A memory client whose queues lock fetched requests for 0.6 s (prolonged every 0.2 s while in progress). */
class ShortLockClient extends MemoryStorageClient {
  readonly requestLockSecs = 0.6;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RequestQueue request locks', () => {
  it('prolongs the lock of a request in progress, so no other consumer gets it; once let go, it comes back', async () => {
    const storageClient = new ShortLockClient();
    const queue = await RequestQueue.open({ name: 'prolonged', storageClient });
    expect(queue.lockSecs).toBe(0.6);
    await queue.addRequests(['https://example.com/1', 'https://example.com/2']);
    const raw = await storageClient.openRequestQueue({ kind: 'id', id: queue.id });
    const taken = (await queue.fetchNextRequest())!;
    await sleep(1_500);
    // Still locked for this consumer after three times the lock's length.
    const other = await raw.listAndLockHead({ limit: 5, lockSecs: 60, clientKey: 'other' });
    expect(other.items.map((r) => r.id)).not.toContain(taken.id);
    expect(await raw.hasLockedRequests()).toBe(true);
    // The consumer stops (its storages are released): the lock is no longer prolonged and expires.
    await releaseStorages(storageClient);
    await sleep(1_000);
    const again = await raw.listAndLockHead({ limit: 5, lockSecs: 60, clientKey: 'other' });
    expect(again.items.map((r) => r.id)).toEqual([taken.id]);
  });

  it('uses the storage client\'s clientKey when it has one, and a key of its own otherwise', async () => {
    class KeyedClient extends MemoryStorageClient {
      readonly clientKey = 'worker-7';
    }
    const keyed = new KeyedClient();
    const queue = await RequestQueue.open({ storageClient: keyed });
    expect(queue.clientKey).toBe('worker-7');
    await queue.addRequest('https://example.com/a');
    const request = (await queue.fetchNextRequest())!;
    const raw = await keyed.openRequestQueue({ kind: 'id', id: queue.id });
    // The raw client under the same key is the same consumer: it may handle the request.
    await raw.markRequestAsHandled({ ...request.toData(), handledAt: new Date().toISOString() }, { clientKey: 'worker-7' });
    expect(await queue.isFinished()).toBe(true);

    const plain = await RequestQueue.open({ storageClient: new MemoryStorageClient() });
    const another = await RequestQueue.open({ storageClient: new MemoryStorageClient() });
    expect(plain.clientKey).toMatch(/^[0-9a-f]{16}$/);
    expect(plain.clientKey).not.toBe(another.clientKey);
  });

  it('markRequestAsHandled of a request another consumer took after the lock expired is refused', async () => {
    const storageClient = new ShortLockClient();
    const queue = await RequestQueue.open({ name: 'lost', storageClient });
    await queue.addRequest('https://example.com/1');
    const request = (await queue.fetchNextRequest())!;
    await releaseStorages(storageClient); // this consumer stalls: nothing prolongs its lock
    await sleep(1_000);
    const raw = await storageClient.openRequestQueue({ kind: 'id', id: queue.id });
    expect((await raw.listAndLockHead({ limit: 1, lockSecs: 60, clientKey: 'other' })).items).toHaveLength(1);
    await expect(queue.markRequestAsHandled(request)).rejects.toMatchObject({ code: 'locked' });
    expect((await raw.getMetadata()).handledRequestCount).toBe(0);
  });
});
