import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisCluster, createClient, createCluster } from '@redis/client';
import { Dataset, KeyValueStore, RequestQueue, StorageError, createRecordSignature } from '@x/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisStorageClient } from '../src/index.js';
import { ClientPool, expectCode } from './helpers.js';
import { REDIS_URL, sharedRedisAvailable } from './redis-servers.js';

const available = await sharedRedisAvailable('redis-client storages');
const pool = new ClientPool();
afterEach(() => pool.destroy());

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('RedisStorageClient options', () => {
  it('refuses a bad prefix, URL, lockSecs, timeout or clientKey with invalid-argument', () => {
    for (const options of [{ prefix: '' }, { prefix: 'a{b' }, { prefix: 'a}b' }, { prefix: 'x'.repeat(65) }, { url: 'http://127.0.0.1:6379' }, { url: 'nonsense' }, { lockSecs: 0 }, { timeoutMs: -1 }, { clientKey: '' }, { publicBaseUrl: 'ftp://x' }]) {
      expect(() => new RedisStorageClient(options), JSON.stringify(options)).toThrow(StorageError);
    }
  });

  it('takes REDIS_URL, then redis://127.0.0.1:6379; lockSecs becomes requestLockSecs (default 60)', () => {
    expect(new RedisStorageClient().requestLockSecs).toBe(60);
    expect(new RedisStorageClient({ lockSecs: 2 }).requestLockSecs).toBe(2);
    expect(new RedisStorageClient({ clientKey: 'me' }).clientKey).toBe('me');
    expect(new RedisStorageClient().prefix).toBe('x');
  });

  it('builds the command classes of node-redis once per process, whatever other node-redis clients the process makes', () => {
    // node-redis builds a class of ~500 command methods per configuration and keeps the last one
    // only, keyed by the JSON of createClient's options; clients with other options in between
    // made every new storage client build it again. The builder, spied on, sees no call.
    const commander = createRequire(import.meta.url)('@redis/client/dist/lib/commander.js') as { attachConfig: (config: { BaseClass: unknown }) => unknown };
    // Not connected: the clients connect at their first operation.
    new RedisStorageClient({ prefix: 'first' });
    new RedisStorageClient({ prefix: 'first', cluster: true });
    createClient({ url: 'redis://127.0.0.1:1', name: 'another' });
    createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:2' }] });
    const attachConfig = vi.spyOn(commander, 'attachConfig');
    try {
      new RedisStorageClient({ prefix: 'second' });
      expect(attachConfig).not.toHaveBeenCalled();
      // A cluster's class is ours too; the class of its node clients is node-redis's, cached by the cluster's options.
      new RedisStorageClient({ prefix: 'second', cluster: true });
      expect(attachConfig.mock.calls.filter(([config]) => config.BaseClass === RedisCluster)).toEqual([]);
    } finally {
      attachConfig.mockRestore();
    }
  });
});

describe.skipIf(!available)('Redis storages', () => {
  it('every key of one storage carries the same hash tag {prefix:kind:id}, and the registry the tag {prefix}', async () => {
    const client = pool.create();
    const dataset = await Dataset.open({ name: 'tags', storageClient: client });
    await dataset.pushData([{ a: 1 }]);
    const store = await KeyValueStore.open({ name: 'tags', storageClient: client });
    await store.setValue('k', 'v');
    const queue = await RequestQueue.open({ name: 'tags', storageClient: client });
    await queue.addRequest('https://example.com');
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    const keys = await pool.keys(client.prefix);
    const p = client.prefix;
    expect(keys).toEqual(
      [
        `{${p}:datasets:${dataset.id}}:items`,
        `{${p}:datasets:${dataset.id}}:meta`,
        `{${p}:datasets:${dataset.id}}:pushes`,
        `{${p}:key-value-stores:${store.id}}:bodies`,
        `{${p}:key-value-stores:${store.id}}:keys`,
        `{${p}:key-value-stores:${store.id}}:meta`,
        `{${p}:key-value-stores:${store.id}}:types`,
        `{${p}:request-queues:${queue.id}}:handled`,
        `{${p}:request-queues:${queue.id}}:meta`,
        `{${p}:request-queues:${queue.id}}:requests`,
        `{${p}}:datasets:ids`,
        `{${p}}:datasets:names`,
        `{${p}}:key-value-stores:ids`,
        `{${p}}:key-value-stores:names`,
        `{${p}}:request-queues:ids`,
        `{${p}}:request-queues:names`,
      ].sort(),
    );
  });

  it('dropping every storage leaves no key behind', async () => {
    const client = pool.create();
    const dataset = await Dataset.open({ storageClient: client });
    await dataset.pushData(Array.from({ length: 50 }, (_, i) => ({ i })));
    const store = await KeyValueStore.open({ name: 'gone', storageClient: client });
    await store.setValue('bytes', Buffer.from([1, 2, 3]));
    const queue = await RequestQueue.open({ name: 'gone', storageClient: client });
    await queue.addRequests(['https://example.com/1', 'https://example.com/2']);
    await queue.fetchNextRequest();
    for (const storage of [dataset, store, queue]) await storage.drop();
    expect(await pool.keys(client.prefix)).toEqual([]);
    await expectCode(client.openDataset({ kind: 'id', id: dataset.id }), 'not-found');
  });

  it('opening one name from many clients at once creates one storage (get-or-create is atomic)', async () => {
    const first = pool.create();
    const clients = [first, ...Array.from({ length: 7 }, () => pool.create({ prefix: first.prefix }))];
    const opened = await Promise.all(clients.map((client) => client.openRequestQueue({ kind: 'name', name: 'race' })));
    const ids = await Promise.all(opened.map(async (queue) => (await queue.getMetadata()).id));
    expect(new Set(ids).size).toBe(1);
    expect(await first.listRequestQueues()).toHaveLength(1);
  });

  it('dataset pages at any offset, both ways (a 100,000-item dataset)', async () => {
    const client = pool.create();
    const dataset = await Dataset.open({ name: 'big', storageClient: client });
    for (let start = 0; start < 100_000; start += 10_000) await dataset.pushData(Array.from({ length: 10_000 }, (_, i) => ({ n: start + i })));
    for (const offset of [0, 1, 49_999, 50_000, 99_990, 99_999, 100_000, 150_000]) {
      const asc = await dataset.getData({ offset, limit: 10 });
      expect(asc.total).toBe(100_000);
      expect(asc.items.map((item) => item['n'])).toEqual(Array.from({ length: Math.max(0, Math.min(10, 100_000 - offset)) }, (_, i) => offset + i));
      const desc = await dataset.getData({ offset, limit: 10, desc: true });
      expect(desc.items.map((item) => item['n'])).toEqual(Array.from({ length: Math.max(0, Math.min(10, 100_000 - offset)) }, (_, i) => 99_999 - offset - i));
    }
  });

  it('key listing comes from the sorted index with prefix and exclusiveStartKey, sizes in bytes of binary bodies', async () => {
    const client = pool.create();
    const store = await KeyValueStore.open({ name: 'keys', storageClient: client });
    const keys = ['a', 'a.b', "a'", 'a(1)', 'ab', 'abc', 'b', 'B', 'z', '_x', '-y', '!'];
    for (const key of keys) await store.setValue(key, Buffer.from([0, 255, 0x80]));
    const list = async (options: { exclusiveStartKey?: string; prefix?: string; limit: number }): Promise<string[]> => {
      const raw = await client.openKeyValueStore({ kind: 'name', name: 'keys' });
      return (await raw.listKeys(options)).items.map((item) => item.key);
    };
    const sorted = [...keys].sort();
    expect(await list({ limit: 100 })).toEqual(sorted);
    expect(await list({ limit: 100, prefix: 'a' })).toEqual(sorted.filter((key) => key.startsWith('a')));
    expect(await list({ limit: 100, prefix: 'a', exclusiveStartKey: 'a.b' })).toEqual(sorted.filter((key) => key.startsWith('a') && key > 'a.b'));
    expect(await list({ limit: 100, prefix: 'ab', exclusiveStartKey: 'a' })).toEqual(['ab', 'abc']);
    expect(await list({ limit: 100, prefix: 'a', exclusiveStartKey: 'b' })).toEqual([]);
    expect(await list({ limit: 2, exclusiveStartKey: 'a' })).toEqual(sorted.filter((key) => key > 'a').slice(0, 2));
    const raw = await client.openKeyValueStore({ kind: 'name', name: 'keys' });
    const page = await raw.listKeys({ limit: 3 });
    expect(page).toMatchObject({ isTruncated: true, nextExclusiveStartKey: sorted[2] });
    expect(page.items[0]).toEqual({ key: sorted[0], size: 3, contentType: 'application/octet-stream' });
    expect(await store.getValue('z')).toEqual(Buffer.from([0, 255, 0x80]));
  });

  it('getPublicUrl gives a data: URL without publicBaseUrl, and the server URL of the record, signed with the own secret of the store, with it', async () => {
    const client = pool.create();
    const store = await KeyValueStore.open({ name: 'urls', storageClient: client });
    await store.setValue('page', '<p>hi</p>', { contentType: 'text/html' });
    expect(await store.getPublicUrl('page')).toBe(`data:text/html;base64,${Buffer.from('<p>hi</p>').toString('base64')}`);
    await expectCode(store.getPublicUrl('missing'), 'not-found');
    const linked = pool.create({ prefix: client.prefix, publicBaseUrl: 'http://127.0.0.1:8787/' });
    const same = await KeyValueStore.open({ name: 'urls', storageClient: linked });
    const { urlSigningSecretKey } = await store.getMetadata();
    expect(urlSigningSecretKey).toMatch(/^[\w-]{43}$/);
    expect(await same.getPublicUrl('page')).toBe(
      `http://127.0.0.1:8787/v2/key-value-stores/${store.id}/records/page?signature=${createRecordSignature(urlSigningSecretKey!, 'page')}`,
    );
  });
});

describe.skipIf(!available)('the built package', () => {
  it('ships the Lua scripts in dist and runs from there', { timeout: 180_000 }, async () => {
    // The package's own build (and its dependencies'), as `pnpm build` runs it.
    execFileSync('npx', ['turbo', 'run', 'build', '--filter=@x/redis-client', '--output-logs=errors-only'], {
      cwd: packageDir,
      stdio: 'pipe',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    const shipped = readdirSync(join(packageDir, 'dist', 'commands'), { recursive: true }).map(String).sort();
    const sources = readdirSync(join(packageDir, 'src', 'commands'), { recursive: true }).map(String).sort();
    expect(shipped).toEqual(sources);
    const prefix = `xt-build-${process.pid}`;
    const script = `
      const { RedisStorageClient } = await import('@x/redis-client');
      const client = new RedisStorageClient({ url: ${JSON.stringify(REDIS_URL)}, prefix: ${JSON.stringify(prefix)} });
      const dataset = await client.openDataset({ kind: 'name', name: 'built' });
      await dataset.pushItems(['{"ok":true}']);
      const page = await dataset.listItems({ offset: 0, limit: 10, desc: false });
      await dataset.drop();
      await client.close();
      process.stdout.write(JSON.stringify(page.items));`;
    // Plain node, without the @x/source condition: the package and @x/core run from their dist.
    const output = execFileSync('node', ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([{ ok: true }]);
  });
});
