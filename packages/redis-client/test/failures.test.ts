import { execFileSync } from 'node:child_process';
import { Dataset, KeyValueStore, Request, RequestQueue, StorageError } from '@x/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStorageClient } from '../src/index.js';
import { expectCode, sleep } from './helpers.js';
import { RedisServer, freePort, redisBinariesAvailable, uniquePrefix } from './redis-servers.js';
import { ReplyDroppingProxy } from './reply-dropping-proxy.js';

const available = redisBinariesAvailable('redis-client failures');
/** The client's timeout in these tests; the assertions give it a wide margin on a busy machine. */
const TIMEOUT_MS = 1_500;
const MARGIN_MS = 8_000;

/** How long `action` took to fail, and the error. */
async function timeToFail(action: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await action();
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('expected a failure');
}

describe.skipIf(!available)('Redis failures (a redis-server of the test)', () => {
  let server: RedisServer;
  const clients: RedisStorageClient[] = [];
  const newClient = (url = server.url, options: { timeoutMs?: number; prefix?: string } = {}): RedisStorageClient => {
    const client = new RedisStorageClient({ url, prefix: uniquePrefix('faults'), timeoutMs: TIMEOUT_MS, ...options });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // An append-only file synced at every write, so that a restarted server has the data back.
    server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  afterAll(() => server?.stop());

  it('Redis restarted while idle: the client reconnects, loads its scripts again and goes on', async () => {
    const client = newClient();
    const queue = await RequestQueue.open({ name: 'restart', storageClient: client });
    await queue.addRequests(['https://example.com/1', 'https://example.com/2']);
    const first = (await queue.fetchNextRequest())!;
    await server.kill();
    await server.restart();
    expect(String(execFileSync('redis-cli', ['-p', String(server.port), 'SCRIPT', 'EXISTS', '0'.repeat(40)]))).toContain('0');
    // The same queue, the lock still held, scripts loaded again (the restart emptied the cache).
    await queue.markRequestAsHandled(first);
    const second = (await queue.fetchNextRequest())!;
    expect(second.url).toBe('https://example.com/2');
    await queue.markRequestAsHandled(second);
    expect(await queue.isFinished()).toBe(true);
    expect(await queue.getHandledCount()).toBe(2);
    await queue.drop();
  });

  it('Redis gone: each call fails with an io StorageError within the timeout, and works again when Redis is back', async () => {
    const client = newClient();
    const store = await KeyValueStore.open({ name: 'gone', storageClient: client });
    await store.setValue('a', 1);
    await server.kill();
    try {
      for (const call of [() => store.getValue('a'), () => store.setValue('b', 2), () => KeyValueStore.open({ name: 'other', storageClient: client })]) {
        const { ms, error } = await timeToFail(call);
        expect(StorageError.is(error, 'io'), String(error)).toBe(true);
        expect((error as StorageError).message).toMatch(/Redis/);
        expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      }
    } finally {
      await server.restart();
    }
    expect(await store.getValue('a')).toBe(1);
    await store.drop();
  });

  it('no Redis at the URL at all: the first call fails with io within the timeout; close() does not hang', async () => {
    const client = newClient(`redis://127.0.0.1:${await freePort()}`);
    const { ms, error } = await timeToFail(() => Dataset.open({ name: 'nowhere', storageClient: client }));
    expect(StorageError.is(error, 'io'), String(error)).toBe(true);
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });

  it('Redis hung (SIGSTOP): a call already sent fails with io within the timeout instead of hanging', async () => {
    const client = newClient();
    const dataset = await Dataset.open({ name: 'hung', storageClient: client });
    await dataset.pushData({ a: 0 });
    server.signal('SIGSTOP');
    try {
      const { ms, error } = await timeToFail(() => dataset.pushData({ a: 1 }));
      expect(StorageError.is(error, 'io'), String(error)).toBe(true);
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    } finally {
      server.signal('SIGCONT');
    }
    // The push was in the stopped server's socket: it runs, once, when Redis goes on. A call
    // that timed out may still have happened (as with any timeout of a remote call).
    await sleep(300);
    expect((await dataset.getData()).items).toEqual([{ a: 0 }, { a: 1 }]);
    await dataset.drop();
  });

  it('every connection dropped (CLIENT KILL TYPE normal) while calls are in flight: all complete, none twice', async () => {
    const client = newClient(server.url, { timeoutMs: 10_000 });
    const dataset = await Dataset.open({ name: 'killed', storageClient: client });
    const store = await KeyValueStore.open({ name: 'killed', storageClient: client });
    const pushes = Array.from({ length: 300 }, (_, i) => dataset.pushData(Array.from({ length: 20 }, (_, j) => ({ i, j }))));
    const sets = Array.from({ length: 300 }, (_, i) => store.setValue(`k${i}`, { i }));
    const killed = Number(String(execFileSync('redis-cli', ['-p', String(server.port), 'CLIENT', 'KILL', 'TYPE', 'normal'])).trim());
    await Promise.all([...pushes, ...sets]);
    expect(killed).toBeGreaterThan(0);
    const { items, total } = await dataset.getData({ limit: 10_000 });
    expect(total).toBe(6000);
    expect(new Set(items.map((item) => `${String(item['i'])}/${String(item['j'])}`)).size).toBe(6000);
    for (const i of [0, 150, 299]) expect(await store.getValue(`k${i}`)).toEqual({ i });
    await dataset.drop();
    await store.drop();
  });

  describe('a reply lost after Redis ran the command', () => {
    let proxy: ReplyDroppingProxy;
    beforeAll(async () => {
      proxy = await ReplyDroppingProxy.start(server.port);
    });
    afterAll(() => proxy?.close());

    it('a dataset push sent again is appended once', async () => {
      const client = newClient(proxy.url);
      const dataset = await Dataset.open({ name: 'lost-reply', storageClient: client });
      await dataset.pushData({ n: 1 });
      // (The first push made Redis know the script: the lost reply is the script's, not NOSCRIPT.)
      const dropped = proxy.dropped;
      proxy.dropNextReply();
      await dataset.pushData([{ n: 2 }, { n: 3 }]);
      expect(proxy.dropped).toBe(dropped + 1);
      expect((await dataset.getData()).items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      await dataset.drop();
    });

    it('marking a request handled sent again answers as the first time; the queue counts it once', async () => {
      const client = newClient(proxy.url);
      const queue = await RequestQueue.open({ name: 'lost-reply', storageClient: client });
      await queue.addRequests([Request.fromUrl('https://example.com/first'), Request.fromUrl('https://example.com/lost')]);
      // Once for Redis to know the script: the lost reply must be the script's, not NOSCRIPT.
      await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
      const request = (await queue.fetchNextRequest())!;
      const dropped = proxy.dropped;
      proxy.dropNextReply();
      expect(await queue.markRequestAsHandled(request)).toMatchObject({ wasAlreadyHandled: false });
      expect(proxy.dropped).toBe(dropped + 1);
      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 2, pendingRequestCount: 0 });
      expect(await queue.isFinished()).toBe(true);
      await queue.drop();
    });
  });

  it('close() ends the connections, is idempotent, and calls after it fail with io', async () => {
    const client = newClient();
    const dataset = await Dataset.open({ name: 'closing', storageClient: client });
    await dataset.pushData({ a: 1 });
    const connections = (): number => String(execFileSync('redis-cli', ['-p', String(server.port), 'CLIENT', 'LIST', 'TYPE', 'normal'])).trim().split('\n').length;
    const before = connections();
    await dataset.drop();
    await Promise.all([client.close(), client.close()]);
    await client.close();
    expect(connections()).toBe(before - 1);
    await expectCode(client.listDatasets(), 'io');
  });
});
