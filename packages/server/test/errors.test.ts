import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { MAX_JSON_DEPTH, type StorageClient } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'errors-token-5678';
const LIMIT = 64 * 1024;
let server: RunningServer;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN, maxBodyBytes: LIMIT });
});

afterAll(async () => {
  await server.close();
});

async function call(method: string, path: string, init: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { ...auth, ...init.headers }, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

/** A request with the path sent exactly as given (fetch would resolve dot segments). */
function rawRequest(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: auth }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('@x/server errors', () => {
  it('answers 401 token-not-valid without the right token; the token works as header or query', async () => {
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }]) {
      const answer = await call('GET', '/v2/datasets', { headers });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: { type: 'token-not-valid', message: expect.any(String) } });
    }
    const viaQuery = await fetch(`${server.url}/v2/datasets?token=${TOKEN}`);
    expect(viaQuery.status).toBe(200);
    expect((await call('GET', '/v2/datasets')).status).toBe(200);
  });

  it('answers 413 request-too-large for a body over the limit, declared or decoded', async () => {
    const big = await call('POST', '/v2/datasets/default/items', {
      body: JSON.stringify([{ blob: 'x'.repeat(LIMIT) }]),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(big.json.error.type).toBe('request-too-large');
    // A small gzip body that inflates past the limit (a "zip bomb") is refused too.
    const bomb = gzipSync(Buffer.from(JSON.stringify([{ blob: ' '.repeat(LIMIT * 4) }])));
    expect(bomb.length).toBeLessThan(LIMIT);
    const inflated = await call('POST', '/v2/datasets/default/items', { body: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(inflated.status).toBe(413);
    expect(inflated.json.error.type).toBe('request-too-large');
    expect((await call('GET', '/v2/datasets/default')).json.data.itemCount).toBe(0);
  });

  it('answers 400 invalid-input for bad keys, names, items, JSON and parameters', async () => {
    const cases: [string, string, { body?: string; headers?: Record<string, string> }?][] = [
      ['PUT', '/v2/key-value-stores/default/records/a%20b', { body: 'x', headers: { 'content-type': 'text/plain' } }],
      ['GET', `/v2/key-value-stores/default/records/${'k'.repeat(257)}`],
      ['POST', '/v2/datasets?name=bad_name'],
      ['POST', '/v2/request-queues?name=-x'],
      ['GET', '/v2/datasets/~bad_name'],
      ['POST', '/v2/datasets/default/items', { body: '[1, 2]', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v2/datasets/default/items', { body: '{"a":', headers: { 'content-type': 'application/json' } }],
      ['PUT', '/v2/key-value-stores/default/records/k', { body: '{not json', headers: { 'content-type': 'application/json' } }],
      ['GET', '/v2/datasets/default/items?limit=-1'],
      ['GET', '/v2/datasets/default/items?desc=maybe'],
      ['POST', '/v2/request-queues/default/requests', { body: '{"url":"ftp://x"}', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v2/request-queues/default/requests/batch', { body: JSON.stringify(Array.from({ length: 26 }, (_, i) => ({ url: `https://e.com/${i}` }))) }],
      ['POST', '/v2/request-queues/default/head/lock?lockSecs=0'],
    ];
    for (const [method, path, init] of cases) {
      const answer = await call(method, path, init);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.json.error.type).toBe('invalid-input');
      expect(answer.json.error.message.length).toBeGreaterThan(0);
    }
    expect((await call('GET', '/v2/datasets/default')).json.data.itemCount).toBe(0);
    expect((await call('GET', '/v2/key-value-stores/default/keys')).json.data.items).toEqual([]);
  });

  it('answers 404 record-not-found for missing storages, records and requests', async () => {
    for (const path of ['/v2/datasets/noSuchDataset0001', '/v2/datasets/~missing-name/items', '/v2/key-value-stores/default/records/missing', '/v2/request-queues/default/requests/noSuchRequest01', '/v2/key-value-stores/noSuchStore0001/keys']) {
      const answer = await call('GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.json.error.type).toBe('record-not-found');
    }
    expect((await call('HEAD', '/v2/key-value-stores/default/records/missing')).status).toBe(404);
    expect((await call('GET', '/v2/no-such-collection')).status).toBe(404);
  });

  it('decodes gzip, deflate and br request bodies', async () => {
    const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
    for (const [encoding, encode] of Object.entries(encoders)) {
      const body = encode(Buffer.from(JSON.stringify([{ encoding }, { encoding, n: 2 }])));
      const answer = await call('POST', '/v2/datasets/~compressed/items'.replace('~compressed', 'default'), { body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
      expect(answer.status).toBe(201);
      const record = await call('PUT', `/v2/key-value-stores/default/records/${encoding}`, { body: encode(Buffer.from(`text ${encoding}`)), headers: { 'content-type': 'text/plain', 'content-encoding': encoding } });
      expect(record.status).toBe(201);
      const read = await fetch(`${server.url}/v2/key-value-stores/default/records/${encoding}`, { headers: auth });
      expect(await read.text()).toBe(`text ${encoding}`);
      expect(read.headers.get('content-type')).toBe('text/plain');
    }
    const items = await call('GET', '/v2/datasets/default/items');
    expect(items.json.map((item: { encoding: string }) => item.encoding)).toEqual(['gzip', 'gzip', 'deflate', 'deflate', 'br', 'br']);
    expect(items.headers.get('x-apify-pagination-total')).toBe('6');
    const broken = await call('POST', '/v2/datasets/default/items', { body: 'not gzip at all', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(broken.status).toBe(400);
    const unknown = await call('POST', '/v2/datasets/default/items', { body: '[]', headers: { 'content-encoding': 'zstd-ish' } });
    expect(unknown.status).toBe(415);
  });

  it('never serves a path outside its storage: dot segments and encoded separators are refused', async () => {
    await call('PUT', '/v2/key-value-stores/default/records/secret', { body: 'inside', headers: { 'content-type': 'text/plain' } });
    const paths = [
      '/v2/key-value-stores/default/records/..',
      '/v2/key-value-stores/default/records/.',
      '/v2/key-value-stores/default/records/..%2F..%2Fpackage.json',
      '/v2/key-value-stores/default/records/%2e%2e',
      '/v2/key-value-stores/..%2Fdefault/records/secret',
      '/v2/key-value-stores/../records/secret',
      '/v2/key-value-stores/default/records/../../../../etc/passwd',
      '/v2/datasets/..%5C..%5Cetc/items',
      '/v2/datasets/%00/items',
    ];
    for (const path of paths) {
      const answer = await rawRequest('GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: expect.toSatisfy((s: number) => s === 400 || s === 404) });
      expect(answer.body).not.toContain('inside');
      expect(answer.body).not.toContain('root:');
    }
  });
});

/** JSON text of an object nested `levels` deep (`{}` is 1). */
function deepJson(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

/** A request body whose whole JSON nests `levels` deep (the request object is level 1). */
function deepRequest(path: string, levels: number): string {
  return `{"url":"https://example.com/${path}","userData":${deepJson(levels - 1)}}`;
}

const backends: [string, () => Promise<{ client: StorageClient; cleanup: () => Promise<void> }>][] = [
  ['memory', async () => ({ client: new MemoryStorageClient(), cleanup: async () => undefined })],
  [
    'fs',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'x-server-deep-'));
      const client = new FileSystemStorageClient({ storageDir: dir });
      // Closed before the folder goes: a metadata write due shortly after the last change must not race the removal.
      return { client, cleanup: async () => (await client.close(), await rm(dir, { recursive: true, force: true })) };
    },
  ],
];

describe.each(backends)('@x/server over %s: bodies nested too deep and bad content types are 400, and nothing is stored', (_name, makeBackend) => {
  let deepServer: RunningServer;
  let cleanup: () => Promise<void>;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    const backend = await makeBackend();
    cleanup = backend.cleanup;
    // The default body limit (10 MiB): a 100,000-deep body fits in it.
    deepServer = await startServer({ storageClient: backend.client, token: TOKEN });
  });

  afterAll(async () => {
    await deepServer.close();
    await cleanup();
  });

  async function send(method: string, path: string, body?: string, headers: Record<string, string> = json): Promise<{ status: number; json: any }> {
    const response = await fetch(`${deepServer.url}${path}`, { method, headers: { ...auth, ...headers }, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  async function expectInvalidInput(method: string, path: string, body: string, headers?: Record<string, string>): Promise<void> {
    const answer = await send(method, path, body, headers);
    expect({ path, status: answer.status, type: answer.json?.error?.type }).toEqual({ path, status: 400, type: 'invalid-input' });
  }

  it('request bodies: POST one, POST a batch and PUT one; the queue works on for every consumer', async () => {
    const created = await send('POST', '/v2/request-queues?name=deep-queue');
    expect(created.status).toBe(201);
    const queue = `/v2/request-queues/${created.json.data.id as string}`;
    expect((await send('POST', `${queue}/requests`, '{"url":"https://example.com/first"}')).status).toBe(201);
    for (const levels of [100_000, MAX_JSON_DEPTH + 1]) {
      await expectInvalidInput('POST', `${queue}/requests`, deepRequest('deep', levels));
      await expectInvalidInput('POST', `${queue}/requests/batch`, `[{"url":"https://example.com/ok"},${deepRequest('deep', levels)}]`);
      await expectInvalidInput('POST', `${queue}/requests/batch`, `[${deepRequest('deep', levels)}]`);
    }
    // The deepest request that may be stored.
    expect((await send('POST', `${queue}/requests`, deepRequest('deepest', MAX_JSON_DEPTH))).status).toBe(201);
    const metadata = (await send('GET', queue)).json.data;
    expect(metadata).toMatchObject({ totalRequestCount: 2, pendingRequestCount: 2 });
    // Two consumers share the queue: each locks one request, updates it (a deep update is refused) and handles it.
    const taken: { id: string; url: string }[] = [];
    for (const clientKey of ['consumer-a', 'consumer-b']) {
      const head = await send('POST', `${queue}/head/lock?lockSecs=60&limit=1&clientKey=${clientKey}`);
      expect(head.status).toBe(201);
      expect(head.json.data.items).toHaveLength(1);
      const request = head.json.data.items[0];
      taken.push(request);
      await expectInvalidInput('PUT', `${queue}/requests/${request.id}?clientKey=${clientKey}`, deepRequest(request.url.slice('https://example.com/'.length), 100_000));
      const handled = { ...request, handledAt: new Date().toISOString() };
      delete handled.lockExpiresAt;
      expect((await send('PUT', `${queue}/requests/${request.id}?clientKey=${clientKey}`, JSON.stringify(handled))).status).toBe(200);
    }
    expect(taken.map((r) => r.url)).toEqual(['https://example.com/first', 'https://example.com/deepest']);
    expect((await send('GET', `${queue}/requests/${taken[1]!.id}`)).json.data.userData).toEqual(JSON.parse(deepJson(MAX_JSON_DEPTH - 1)));
    expect((await send('GET', queue)).json.data).toMatchObject({ totalRequestCount: 2, handledRequestCount: 2, pendingRequestCount: 0 });
    expect((await send('POST', `${queue}/head/lock?lockSecs=60&limit=10&clientKey=consumer-a`)).json.data.items).toEqual([]);
  });

  it('dataset items: one deep item, or one among good ones, is refused and none is written', async () => {
    const items = '/v2/datasets/default/items';
    for (const levels of [100_000, MAX_JSON_DEPTH + 1]) {
      await expectInvalidInput('POST', items, deepJson(levels));
      await expectInvalidInput('POST', items, `[{"ok":1},${deepJson(levels)}]`);
    }
    expect((await send('GET', '/v2/datasets/default')).json.data.itemCount).toBe(0);
    expect((await send('POST', items, `[{"ok":1},${deepJson(MAX_JSON_DEPTH)}]`)).status).toBe(201);
    expect((await send('GET', '/v2/datasets/default')).json.data.itemCount).toBe(2);
  });

  it('JSON records: a body nested too deep is refused and the record is not written', async () => {
    const record = '/v2/key-value-stores/default/records';
    for (const levels of [100_000, MAX_JSON_DEPTH + 1]) {
      await expectInvalidInput('PUT', `${record}/deep`, deepJson(levels));
      await expectInvalidInput('PUT', `${record}/deep`, `[${deepJson(levels - 1)}]`, { 'content-type': 'application/vnd.api+json; charset=utf-8' });
    }
    expect((await send('GET', `${record}/deep`)).status).toBe(404);
    expect((await send('PUT', `${record}/deepest`, deepJson(MAX_JSON_DEPTH))).status).toBe(201);
    // Text that only looks deep (brackets inside a string) is fine.
    expect((await send('PUT', `${record}/brackets`, JSON.stringify({ s: '['.repeat(100_000) }))).status).toBe(201);
  });

  it('records: a content type that is no media type is refused with 400, the same check as setValue', async () => {
    const record = '/v2/key-value-stores/default/records';
    for (const contentType of ['nonsense', 'text/plain; charset', 'text/plain; =x', 'text/ plain', 'text/plain/x', 'text/plain, text/html', `text/${'x'.repeat(2000)}`]) {
      await expectInvalidInput('PUT', `${record}/typed`, 'value', { 'content-type': contentType });
    }
    expect((await send('GET', `${record}/typed`)).status).toBe(404);
    for (const contentType of ['text/plain;charset=UTF-8', 'application/ld+json; profile="https://example.com/p"', 'text/plain;']) {
      expect((await send('PUT', `${record}/typed`, '1', { 'content-type': contentType })).status).toBe(201);
      const read = await fetch(`${deepServer.url}${record}/typed`, { headers: auth });
      expect(read.headers.get('content-type')).toBe(contentType);
      expect(await read.text()).toBe('1');
    }
  });
});
