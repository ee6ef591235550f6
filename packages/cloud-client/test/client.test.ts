import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  Dataset,
  KeyValueStore,
  Request,
  RequestQueue,
  StorageError,
  releaseStorages,
  type AddRequestsResult,
  type PlacementOptions,
  type RequestData,
  type RequestQueueClient,
  type StorageClient,
  type StorageTarget,
} from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordSignature } from '@x/core';
import { CloudStorageClient, MAX_PUSH_BYTES, chunkItems } from '../src/index.js';
import { startFaultProxy } from './fault-proxy.js';
import { FAST, TEST_TOKEN, startPair } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A property of `target`, methods bound to it (so a Proxy of a class with private fields works). */
function bound(target: object, property: string | symbol): unknown {
  const value: unknown = Reflect.get(target, property);
  return typeof value === 'function' ? value.bind(target) : value;
}

async function pair(options: ConstructorParameters<typeof CloudStorageClient>[0] = {}) {
  const made = await startPair(options);
  cleanups.push(() => made.server.close(), () => made.client.close());
  return made;
}

describe('CloudStorageClient', () => {
  it('takes the token from APIFY_TOKEN and the base URL from APIFY_API_BASE_URL', async () => {
    const { server } = await pair();
    const saved = { token: process.env['APIFY_TOKEN'], base: process.env['APIFY_API_BASE_URL'] };
    process.env['APIFY_TOKEN'] = TEST_TOKEN;
    process.env['APIFY_API_BASE_URL'] = `${server.url}/v2/`;
    try {
      const client = new CloudStorageClient({ retryBaseDelayMs: 5 });
      cleanups.push(() => client.close());
      expect(client.baseUrl).toBe(server.url);
      const dataset = await Dataset.open({ name: 'from-env', storageClient: client });
      await dataset.pushData({ a: 1 });
      expect((await dataset.getData()).items).toEqual([{ a: 1 }]);
      expect(new CloudStorageClient({ token: 'x' }).capabilities).toEqual({ strongQueueConsistency: false, persistent: true });
    } finally {
      if (saved.token === undefined) delete process.env['APIFY_TOKEN'];
      else process.env['APIFY_TOKEN'] = saved.token;
      if (saved.base === undefined) delete process.env['APIFY_API_BASE_URL'];
      else process.env['APIFY_API_BASE_URL'] = saved.base;
    }
    expect(new CloudStorageClient({ token: 'x' }).baseUrl).toBe('https://api.apify.com');
    expect(() => new CloudStorageClient({ baseUrl: 'not a url' })).toThrow(StorageError);
  });

  it('never shows the token in error messages, inspected errors or the inspected client', async () => {
    const { server } = await pair();
    const secret = 'super-secret-token-1f2e3d';
    const wrong = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: secret });
    cleanups.push(() => wrong.close());
    const refused = await Dataset.open({ name: 'x', storageClient: wrong }).catch((e: unknown) => e);
    expect(StorageError.is(refused)).toBe(true);
    expect((refused as Error).message).toContain('401');
    // A server that is gone: network errors, retried, then given up.
    const gone = new CloudStorageClient({ baseUrl: 'http://127.0.0.1:9', token: secret, retryBaseDelayMs: 1, maxAttempts: 2 });
    cleanups.push(() => gone.close());
    const network = await KeyValueStore.open({ name: 'x', storageClient: gone }).catch((e: unknown) => e);
    expect(StorageError.is(network, 'io')).toBe(true);
    for (const shown of [refused, network, wrong, gone]) {
      const text = `${String(shown)} ${(shown as Error).stack ?? ''} ${inspect(shown, { depth: Infinity, showHidden: true })} ${JSON.stringify(shown)}`;
      expect(text).not.toContain(secret);
    }
  });

  it('asks for compressed answers and reads those compressed with gzip, deflate or br', async () => {
    const { server } = await pair();
    const target = new URL(server.url);
    const encodings = ['gzip', 'deflate', 'br'] as const;
    const compress = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
    const asked: (string | undefined)[] = [];
    let served = 0;
    // A proxy that compresses every answer, taking the encodings in turn.
    const proxy = createHttpServer((req, res) => {
      asked.push(req.headers['accept-encoding']);
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const encoding = encodings[served++ % encodings.length]!;
          const body = compress[encoding](Buffer.concat(chunks));
          const headers = { ...answer.headers, 'content-encoding': encoding, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        });
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const client = new CloudStorageClient({ ...FAST, baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: TEST_TOKEN });
    cleanups.push(() => client.close());
    const dataset = await Dataset.open({ name: 'compressed', storageClient: client });
    await dataset.pushData([{ n: 1 }, { n: 2 }]);
    expect((await dataset.getData()).items).toEqual([{ n: 1 }, { n: 2 }]);
    const store = await KeyValueStore.open({ name: 'compressed', storageClient: client });
    await store.setValue('text', 'é'.repeat(3000));
    expect(await store.getValue('text')).toBe('é'.repeat(3000));
    expect(await store.getValue('missing')).toBeNull();
    expect(served).toBeGreaterThanOrEqual(encodings.length);
    expect(new Set(asked)).toEqual(new Set(['gzip, deflate, br']));
  });

  it('close() ends the connections; a call made afterwards opens new ones (as after an Actor run)', async () => {
    const { client } = await pair();
    const store = await KeyValueStore.open({ name: 'after-close', storageClient: client });
    await store.setValue('before', 1);
    await client.close();
    await client.close();
    const again = await KeyValueStore.open({ name: 'after-close', storageClient: client });
    expect(await again.getValue('before')).toBe(1);
    await again.setValue('after', 2);
    expect(await again.getValue('after')).toBe(2);
  });

  it("reads whole the requests of head listings that give only some fields (as the Apify platform's do), keeping their data", async () => {
    const { server } = await pair();
    const target = new URL(server.url);
    const partial: string[] = [];
    // A proxy that cuts head items down to the fields the platform gives.
    const proxy = createHttpServer((req, res) => {
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (/\/head(\/lock)?\?/.test(req.url ?? '') && answer.statusCode! < 300) {
            const parsed = JSON.parse(body.toString('utf8')) as { data: { items: Record<string, unknown>[] } };
            parsed.data.items = parsed.data.items.map(({ id, uniqueKey, url, method, retryCount, lockExpiresAt }) => ({ id, uniqueKey, url, method, retryCount, lockExpiresAt }));
            partial.push(req.url!);
            body = Buffer.from(JSON.stringify(parsed));
          }
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const client = new CloudStorageClient({ ...FAST, baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: TEST_TOKEN });
    cleanups.push(() => client.close());
    const queue = await RequestQueue.open({ name: 'partial-heads', storageClient: client });
    await queue.addRequests([
      { url: 'https://example.com/1', userData: { n: 1 }, errorMessages: ['earlier'] },
      { url: 'https://example.com/2', userData: { n: 2 } },
    ]);
    const raw = await client.openRequestQueue({ kind: 'name', name: 'partial-heads' });
    expect((await raw.listHead({ limit: 10 })).map((r) => r.userData)).toEqual([{ n: 1 }, { n: 2 }]);
    const first = (await queue.fetchNextRequest())!;
    expect([first.userData, first.errorMessages]).toEqual([{ n: 1 }, ['earlier']]);
    await queue.markRequestAsHandled(first);
    expect((await raw.getRequest(first.id))?.userData).toEqual({ n: 1 });
    expect(partial.length).toBeGreaterThanOrEqual(2);
  });

  it('reads 404 record-not-found as absent, and an unknown id as a not-found error', async () => {
    const { client } = await pair();
    const store = await KeyValueStore.open({ storageClient: client });
    expect(await store.getValue('missing')).toBeNull();
    expect(await store.recordExists('missing')).toBe(false);
    await store.setValue('missing', null);
    const queue = await RequestQueue.open({ storageClient: client });
    expect(await queue.getRequest('noSuchRequest01')).toBeNull();
    const error = await Dataset.open({ id: 'noSuchDataset001', storageClient: client }).catch((e: unknown) => e);
    expect(StorageError.is(error, 'not-found')).toBe(true);
  });

  it('adds in batches of 25, gzips bodies of 1 KiB or more, and splits dataset pushes under 9 MiB', async () => {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
    const proxy = await startFaultProxy(server.url, () => 'pass');
    const client = new CloudStorageClient({ ...FAST, baseUrl: proxy.url, token: TEST_TOKEN });
    cleanups.push(() => server.close(), () => proxy.close(), () => client.close());
    const queue = await RequestQueue.open({ name: 'batches', storageClient: client });
    proxy.seen.length = 0;
    const result = await queue.addRequests(Array.from({ length: 60 }, (_, i) => `https://example.com/${i}`));
    expect(result.processedRequests).toHaveLength(60);
    const batches = proxy.seen.filter((s) => s.path.includes('/requests/batch'));
    expect(batches).toHaveLength(3);
    expect(batches.every((s) => s.headers['content-encoding'] === 'gzip')).toBe(true);

    const store = await KeyValueStore.open({ name: 'gzip', storageClient: client });
    proxy.seen.length = 0;
    await store.setValue('small', 'x'.repeat(100));
    await store.setValue('large', 'y'.repeat(5000));
    expect(proxy.seen.map((s) => s.headers['content-encoding'])).toEqual([undefined, 'gzip']);
    expect(proxy.seen[1]!.bodyBytes).toBeLessThan(1000);
    expect(await store.getValue('large')).toBe('y'.repeat(5000));

    const dataset = await Dataset.open({ name: 'big', storageClient: client });
    proxy.seen.length = 0;
    const blob = (c: string) => ({ blob: c.repeat(4 * 1024 * 1024) });
    await dataset.pushData([blob('a'), blob('b'), blob('c'), { small: true }]);
    const pushes = proxy.seen.filter((s) => s.method === 'POST');
    expect(pushes).toHaveLength(2);
    expect((await dataset.getMetadata()).itemCount).toBe(4);
    const first = (await dataset.getData({ limit: 1 })).items[0] as { blob: string };
    expect(first.blob.length).toBe(4 * 1024 * 1024);
    // The splitting itself: every call's JSON array stays under the limit.
    const items = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(150_000) }));
    for (const chunk of chunkItems(items, 1_000_000)) expect(Buffer.byteLength(`[${chunk.join(',')}]`)).toBeLessThanOrEqual(1_000_000);
    expect(chunkItems(items, MAX_PUSH_BYTES)).toHaveLength(2);
  });

  it('retries requests a batch left unprocessed', async () => {
    // A memory client whose queues leave the last request of each batch unprocessed the first time.
    const memory = new MemoryStorageClient();
    let refused = 0;
    const flakyQueue = (queue: RequestQueueClient): RequestQueueClient => {
      const seen = new Set<string>();
      const addRequests = async (requests: readonly RequestData[], options: PlacementOptions): Promise<AddRequestsResult> => {
        const last = requests.at(-1);
        if (!last || seen.has(last.id) || requests.length < 2) return queue.addRequests(requests, options);
        seen.add(last.id);
        refused++;
        const done = await queue.addRequests(requests.slice(0, -1), options);
        return { processedRequests: done.processedRequests, unprocessedRequests: [{ uniqueKey: last.uniqueKey, url: last.url, method: last.method }] };
      };
      return new Proxy(queue, { get: (target, property) => (property === 'addRequests' ? addRequests : bound(target, property)) });
    };
    const flaky: StorageClient = new Proxy(memory, {
      get: (target, property) =>
        property === 'openRequestQueue'
          ? async (storage: StorageTarget) => flakyQueue(await target.openRequestQueue(storage))
          : bound(target, property),
    });
    const server = await startServer({ storageClient: flaky, token: TEST_TOKEN });
    const client = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    cleanups.push(() => server.close(), () => client.close());
    const queue = await RequestQueue.open({ name: 'unprocessed', storageClient: client });
    const result = await queue.addRequests(Array.from({ length: 50 }, (_, i) => `https://example.com/${i}`));
    expect(refused).toBe(2);
    expect(result.unprocessedRequests).toEqual([]);
    expect(result.processedRequests).toHaveLength(50);
    expect(await queue.getTotalCount()).toBe(50);
  });

  it("signs public record URLs with the store's own urlSigningSecretKey; they read without the token, in that store only", async () => {
    const { client } = await pair();
    const storeA = await KeyValueStore.open({ name: 'public-a', storageClient: client });
    const storeB = await KeyValueStore.open({ name: 'public-b', storageClient: client });
    await storeA.setValue('report.json', { store: 'a' });
    await storeB.setValue('report.json', { store: 'b' });
    const secretA = (await storeA.getMetadata()).urlSigningSecretKey;
    const secretB = (await storeB.getMetadata()).urlSigningSecretKey;
    expect(secretA).toMatch(/^[\w-]{43}$/);
    expect(secretB).not.toBe(secretA);
    const urlA = new URL(await storeA.getPublicUrl('report.json'));
    const urlB = new URL(await storeB.getPublicUrl('report.json'));
    expect(urlA.searchParams.get('signature')).toBe(createRecordSignature(secretA!, 'report.json'));
    expect(urlA.searchParams.get('signature')).toMatch(/^[0-9a-zA-Z]{15,21}$/);
    expect(urlB.searchParams.get('signature')).toBe(createRecordSignature(secretB!, 'report.json'));
    const response = await fetch(urlA);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ store: 'a' });
    expect(await (await fetch(urlB)).json()).toEqual({ store: 'b' });
    // The signature of A's record does not open the record of the same key in B.
    const crossed = new URL(urlB);
    crossed.searchParams.set('signature', urlA.searchParams.get('signature')!);
    expect((await fetch(crossed)).status).toBe(401);
  });

  it('gives the plain record URL when the API gives the store no urlSigningSecretKey', async () => {
    // A storage client whose stores have no secret (as one written before stores had them).
    const bound = <T extends object>(target: T, overrides: Record<string, unknown>): T =>
      new Proxy(target, {
        get(object, property) {
          if (typeof property === 'string' && property in overrides) return overrides[property];
          const value: unknown = Reflect.get(object, property, object);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
        },
      });
    const backend = new MemoryStorageClient();
    const withoutSecrets = bound<StorageClient>(backend, {
      openKeyValueStore: async (target: Parameters<StorageClient['openKeyValueStore']>[0]) => {
        const store = await backend.openKeyValueStore(target);
        return bound(store, {
          getMetadata: async () => {
            const { urlSigningSecretKey: _dropped, ...rest } = await store.getMetadata();
            return rest;
          },
        });
      },
    });
    const server = await startServer({ storageClient: withoutSecrets, token: TEST_TOKEN });
    const client = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    cleanups.push(() => server.close(), () => client.close());
    const plainStore = await KeyValueStore.open({ storageClient: client });
    expect(await plainStore.getPublicUrl('k')).toMatch(/\/v2\/key-value-stores\/default\/records\/k$/);
  });

  it('the HMAC signature is the first 30 hex digits of HMAC-SHA256 in base 62', () => {
    // hex 3a4b…: checked against a direct BigInt conversion.
    const { createHmac } = require('node:crypto') as typeof import('node:crypto');
    const hex = createHmac('sha256', 'secret').update('key').digest('hex').slice(0, 30);
    let n = 0n;
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    for (const ch of createRecordSignature('secret', 'key')) n = n * 62n + BigInt(alphabet.indexOf(ch));
    expect(n).toBe(BigInt(`0x${hex}`));
  });

  it('prolongs the lock of a request in progress; a lock left behind expires and the request comes back', async () => {
    const { server } = await pair();
    const a = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN, requestLockSecs: 0.3 });
    const b = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN, requestLockSecs: 0.3 });
    cleanups.push(() => a.close(), () => b.close());
    const queueA = await RequestQueue.open({ name: 'locks', storageClient: a });
    const queueB = await RequestQueue.open({ name: 'locks', storageClient: b });
    await queueA.addRequests(['https://example.com/1', 'https://example.com/2']);
    const taken = (await queueA.fetchNextRequest())!;
    await new Promise((resolve) => setTimeout(resolve, 900));
    // A kept prolonging: B gets the other request, not A's.
    const other = (await queueB.fetchNextRequest())!;
    expect(other.id).not.toBe(taken.id);
    expect(await queueB.fetchNextRequest()).toBeNull();
    await queueA.markRequestAsHandled(taken);
    // B's consumer goes away without finishing: its lock expires and the request is pending again.
    await releaseStorages(b);
    await b.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const back = await queueA.fetchNextRequest();
    expect(back?.id).toBe(other.id);
    await queueA.markRequestAsHandled(back!);
    expect(await queueA.isFinished()).toBe(true);
    // New work after the end makes the queue pending again.
    await queueA.addRequest(Request.fromUrl('https://example.com/3'));
    expect((await queueA.getMetadata()).pendingRequestCount).toBe(1);
  });

  it('50 concurrent fetches on one client object and 2 clients on one queue never share a request', async () => {
    const { server, client } = await pair();
    const other = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    cleanups.push(() => other.close());
    const queue = await RequestQueue.open({ name: 'many', storageClient: client });
    const otherQueue = await RequestQueue.open({ name: 'many', storageClient: other });
    await queue.addRequests(Array.from({ length: 120 }, (_, i) => `https://example.com/${i}`));
    const fetched = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? queue : otherQueue).fetchNextRequest()));
    const ids = fetched.map((r) => r?.id);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(100);
    expect(client.clientKey).not.toBe(other.clientKey);
  });

  it('a request locked by another client is a StorageError with code locked (the API answers 409 request-locked)', async () => {
    const { server, client } = await pair();
    const other = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    cleanups.push(() => other.close());
    const queue = await RequestQueue.open({ name: 'locked', storageClient: client });
    await queue.addRequest('https://example.com/locked');
    const fetched = await queue.fetchNextRequest();
    expect(fetched).not.toBeNull();
    const otherQueue = await other.openRequestQueue({ kind: 'name', name: 'locked' });
    let thrown: unknown;
    try {
      await otherQueue.markRequestAsHandled({ ...fetched!.toData(), handledAt: new Date().toISOString() });
    } catch (error) {
      thrown = error;
    }
    expect(StorageError.is(thrown, 'locked')).toBe(true);
    await queue.markRequestAsHandled(fetched!);
    expect(await queue.isFinished()).toBe(true);
  });
});
