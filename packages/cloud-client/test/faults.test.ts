import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { describe, expect, it } from 'vitest';
import { CloudStorageClient } from '../src/index.js';
import { startFaultProxy, type Fault } from './fault-proxy.js';
import { FAST, TEST_TOKEN } from './helpers.js';

describe('faults between the client and the server', () => {
  it('with 429s, 500s and dropped connections injected, the client finishes its work and nothing is lost or doubled', async () => {
    const backend = new MemoryStorageClient();
    const server = await startServer({ storageClient: backend, token: TEST_TOKEN });
    // Every 3rd request gets 500, every 5th 429, every 7th has its connection dropped (before the server sees it).
    const decide = (n: number): Fault => (n % 7 === 0 ? 'drop' : n % 5 === 0 ? '429' : n % 3 === 0 ? '500' : 'pass');
    const proxy = await startFaultProxy(server.url, decide);
    const client = new CloudStorageClient({ ...FAST, baseUrl: proxy.url, token: TEST_TOKEN, retryBaseDelayMs: 2 });
    try {
      const dataset = await Dataset.open({ name: 'faulty', storageClient: client });
      for (let batch = 0; batch < 10; batch++) await dataset.pushData(Array.from({ length: 50 }, (_, i) => ({ n: batch * 50 + i })));
      const store = await KeyValueStore.open({ name: 'faulty', storageClient: client });
      for (let i = 0; i < 40; i++) await store.setValue(`k${i}`, { i });
      const queue = await RequestQueue.open({ name: 'faulty', storageClient: client });
      await queue.addRequests(Array.from({ length: 200 }, (_, i) => `https://example.com/${i}`));
      const handled = new Set<string>();
      let handledCalls = 0;
      for (let guard = 0; guard < 1000; guard++) {
        const request = await queue.fetchNextRequest();
        if (!request) break;
        expect(handled.has(request.id)).toBe(false);
        handled.add(request.id);
        handledCalls++;
        await queue.markRequestAsHandled(request);
      }
      expect(await queue.isFinished()).toBe(true);

      // Every kind of fault happened, and was retried.
      const faults = new Set(proxy.seen.map((s) => s.fault));
      expect(faults).toEqual(new Set(['pass', '429', '500', 'drop']));

      // Check on the server's own storage client: exactly what was written, once.
      const items = (await (await backend.openDataset({ kind: 'name', name: 'faulty' })).listItems({ offset: 0, limit: 10_000, desc: false })).items;
      expect(items.map((item) => item['n'])).toEqual(Array.from({ length: 500 }, (_, i) => i));
      const kvs = await backend.openKeyValueStore({ kind: 'name', name: 'faulty' });
      expect((await kvs.listKeys({ limit: 1000 })).items).toHaveLength(40);
      const rq = await backend.openRequestQueue({ kind: 'name', name: 'faulty' });
      expect(await rq.getMetadata()).toMatchObject({ totalRequestCount: 200, handledRequestCount: 200, pendingRequestCount: 0 });
      expect(handled.size).toBe(200);
      expect(handledCalls).toBe(200);
    } finally {
      client.close();
      await proxy.close();
      await server.close();
    }
  });

  it('gives up after 8 attempts with a StorageError naming the call', async () => {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
    const proxy = await startFaultProxy(server.url, () => '500');
    const client = new CloudStorageClient({ baseUrl: proxy.url, token: TEST_TOKEN, retryBaseDelayMs: 1 });
    try {
      const error = await Dataset.open({ name: 'never', storageClient: client }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StorageError', code: 'internal' });
      expect((error as Error).message).toContain('8 attempts');
      expect(proxy.seen).toHaveLength(8);
    } finally {
      client.close();
      await proxy.close();
      await server.close();
    }
  });
});
