import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KeyValueStore, StorageError } from '@x/core';
import { RedisStorageClient } from '@x/redis-client';
import { ApifyClient } from 'apify-client';
import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs, startServer } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const TOKEN = 'redis-token';

/** Whether the shared Redis answers; without it (and without CI) the Redis cases are skipped with one line. */
async function redisAnswers(): Promise<boolean> {
  const probe = new RedisStorageClient({ url: REDIS_URL, prefix: `xt-probe-${process.pid}`, timeoutMs: 2_000 });
  try {
    await probe.listDatasets();
    return true;
  } catch (error) {
    if (!StorageError.is(error, 'io')) throw error;
    if (process.env['CI']) throw new Error(`no Redis answers at ${REDIS_URL}, and CI is set: the Redis suites must run`);
    process.stderr.write(`[server over Redis] skipped: no Redis answers at ${REDIS_URL} (start redis-server or set REDIS_URL)\n`);
    return false;
  } finally {
    await probe.close();
  }
}

const available = await redisAnswers();

/** Starts `x-storage-server --redis` on a free port; resolves with its URL once it listens. */
function startServerProcess(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@x/source', '--import', 'tsx', 'src/cli.ts', '--port', '0', '--redis', REDIS_URL, '--redis-prefix', prefix, '--token', TOKEN],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v2 \(storages in Redis/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', () => reject(new Error(`exited: ${out}`)));
  });
}

describe.skipIf(!available)('@x/server over Redis', () => {
  it('a record URL from getPublicUrl with publicBaseUrl is signed with the store\'s secret and reads without the token', async () => {
    const prefix = `xt-public-url-${process.pid}-${randomBytes(4).toString('hex')}`;
    const backend = new RedisStorageClient({ url: REDIS_URL, prefix });
    const server = await startServer({ storageClient: backend, token: TOKEN });
    const client = new RedisStorageClient({ url: REDIS_URL, prefix, publicBaseUrl: server.url });
    try {
      const store = await KeyValueStore.open({ name: 'public', storageClient: client });
      await store.setValue('report.html', '<h1>ok</h1>', { contentType: 'text/html' });
      const url = await store.getPublicUrl('report.html');
      expect(url).toMatch(/\?signature=/);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toBe('<h1>ok</h1>');
      // Without the signature the token is needed.
      expect((await fetch(url.replace(/\?signature=.*$/, ''))).status).toBe(401);
      await store.drop();
    } finally {
      await client.close();
      await server.close();
      await backend.close();
    }
  });
});

describe('x-storage-server --redis', () => {
  it('parses the Redis options', () => {
    expect(parseCliArgs(['--redis', 'redis://127.0.0.1:6379', '--redis-prefix', 'p', '--redis-cluster'], {}).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'p',
      cluster: true,
    });
    expect(parseCliArgs(['--redis', 'rediss://h:1'], {}).redis).toEqual({ url: 'rediss://h:1', prefix: undefined, cluster: false });
    expect(parseCliArgs([], {}).redis).toBeUndefined();
    for (const bad of [['--redis', 'http://h'], ['--redis', 'redis://h', '--memory'], ['--redis', 'redis://h', '--storage-dir', 'd'], ['--redis-prefix', 'p'], ['--redis-cluster']]) {
      expect(() => parseCliArgs(bad, {}), bad.join(' ')).toThrow(CliUsageError);
    }
  });

  it.skipIf(!available)(
    'two server processes over one Redis serve one queue to six apify-client consumers (listAndLockHead): each request handled exactly once',
    { timeout: 120_000 },
    async () => {
      const prefix = `xt-two-servers-${process.pid}-${randomBytes(4).toString('hex')}`;
      const servers = await Promise.all([startServerProcess(prefix), startServerProcess(prefix)]);
      const COUNT = 1000;
      try {
        const admin = new ApifyClient({ baseUrl: servers[0]!.url, token: TOKEN, maxRetries: 0 });
        const { id } = await admin.requestQueues().getOrCreate('shared');
        const urls = Array.from({ length: COUNT }, (_, i) => `https://example.com/shared/${i}`);
        const added = await admin.requestQueue(id).batchAddRequests(urls.map((url) => ({ url, uniqueKey: url })));
        expect(added.processedRequests).toHaveLength(COUNT);

        // Six consumers, three on each server, each under its own clientKey.
        const consume = async (n: number): Promise<{ locked: string[]; handled: string[] }> => {
          const api = new ApifyClient({ baseUrl: servers[n % 2]!.url, token: TOKEN, maxRetries: 0 });
          const queue = api.requestQueue(id, { clientKey: `consumer-${n}` });
          const locked: string[] = [];
          const handled: string[] = [];
          for (;;) {
            const head = await queue.listAndLockHead({ lockSecs: 60, limit: 7 });
            if (head.items.length === 0) {
              if (!head.queueHasLockedRequests) return { locked, handled };
              await new Promise((resolve) => setTimeout(resolve, 20));
              continue;
            }
            for (const item of head.items) {
              locked.push(item.id);
              const { lockExpiresAt: _lock, ...request } = item;
              const result = await queue.updateRequest({ ...request, handledAt: new Date().toISOString() });
              expect(result.wasAlreadyHandled).toBe(false);
              handled.push(item.id);
            }
          }
        };
        const results = await Promise.all(Array.from({ length: 6 }, (_, n) => consume(n)));
        const locked = results.flatMap((r) => r.locked);
        const handled = results.flatMap((r) => r.handled);
        expect(locked).toHaveLength(COUNT);
        expect(new Set(locked).size).toBe(COUNT);
        expect(new Set(handled).size).toBe(COUNT);
        // Both servers served work.
        expect(results.filter((r, n) => n % 2 === 0).flatMap((r) => r.handled).length).toBeGreaterThan(0);
        expect(results.filter((r, n) => n % 2 === 1).flatMap((r) => r.handled).length).toBeGreaterThan(0);
        const other = new ApifyClient({ baseUrl: servers[1]!.url, token: TOKEN, maxRetries: 0 });
        expect(await other.requestQueue(id).get()).toMatchObject({ totalRequestCount: COUNT, handledRequestCount: COUNT, pendingRequestCount: 0 });
        await other.requestQueue(id).delete();
      } finally {
        for (const { child } of servers) child.kill('SIGTERM');
        const exits = await Promise.all(servers.map(({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)))));
        expect(exits).toEqual([0, 0]);
        // Nothing of the test is left in Redis.
        const cleanup = new RedisStorageClient({ url: REDIS_URL, prefix });
        for (const list of [cleanup.listDatasets(), cleanup.listKeyValueStores(), cleanup.listRequestQueues()]) expect(await list).toEqual([]);
        await cleanup.close();
      }
    },
  );
});
