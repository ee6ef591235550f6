// What every answer carries (nosniff; stored pages sandboxed), and how storage errors are answered.
import { StorageError, type KeyValueStoreClient, type StorageClient } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'answers-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(storageClient: StorageClient = new MemoryStorageClient()): Promise<RunningServer> {
  const server = await startServer({ storageClient, token: TOKEN });
  cleanups.push(() => server.close());
  return server;
}

/** `target` with some methods replaced; the others called on `target` itself. */
function withOverrides<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && property in overrides) return overrides[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** A memory client whose key-value stores fail `setRecord` with `error`. */
function failingWrites(error: () => Error): StorageClient {
  const backend = new MemoryStorageClient();
  return withOverrides<StorageClient>(backend, {
    openKeyValueStore: async (target: Parameters<StorageClient['openKeyValueStore']>[0]) =>
      withOverrides<KeyValueStoreClient>(await backend.openKeyValueStore(target), {
        setRecord: async () => {
          throw error();
        },
      }),
  });
}

describe('headers of every answer', () => {
  it('X-Content-Type-Options: nosniff on data, errors, empty answers, records and dataset items', async () => {
    const server = await serve();
    await fetch(`${server.url}/v2/datasets/default/items`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ i }))) });
    const answers = [
      await fetch(`${server.url}/v2/datasets`, { headers: auth }),
      await fetch(`${server.url}/v2/datasets`),
      await fetch(`${server.url}/v2/datasets/noSuchDataset001`, { headers: auth }),
      await fetch(`${server.url}/nothing-here`, { headers: auth }),
      await fetch(`${server.url}/v2/key-value-stores/default/records/page`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/html' }, body: '<script>alert(1)</script>' }),
      await fetch(`${server.url}/v2/key-value-stores/default/records/page`, { headers: auth }),
      await fetch(`${server.url}/v2/key-value-stores/default/records/page`, { method: 'DELETE', headers: auth }),
      await fetch(`${server.url}/v2/datasets/default/items?limit=10`, { headers: auth }),
      await fetch(`${server.url}/v2/datasets/default/items`, { headers: auth }),
    ];
    for (const answer of answers) {
      expect({ url: answer.url, status: answer.status, nosniff: answer.headers.get('x-content-type-options') }).toEqual({ url: answer.url, status: answer.status, nosniff: 'nosniff' });
      await answer.arrayBuffer();
    }
  });

  it('a stored text/html (or SVG) page is served sandboxed: no script runs with the server origin', async () => {
    const server = await serve();
    for (const [key, contentType, body] of [
      ['page', 'text/html; charset=utf-8', '<html><script>fetch("/v2/datasets")</script></html>'],
      ['image', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ['data', 'application/json; charset=utf-8', '{"a":1}'],
    ] as const) {
      await fetch(`${server.url}/v2/key-value-stores/default/records/${key}`, { method: 'PUT', headers: { ...auth, 'content-type': contentType }, body });
      for (const method of ['GET', 'HEAD']) {
        const answer = await fetch(`${server.url}/v2/key-value-stores/default/records/${key}`, { method, headers: auth });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe(contentType);
        expect(answer.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'; frame-ancestors 'none'");
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        if (method === 'GET') expect(await answer.text()).toBe(body);
      }
    }
  });

  it('a record stored (by another writer) with a content type that cannot be a header is served, as octet-stream', async () => {
    const storageClient = new MemoryStorageClient();
    const server = await serve(storageClient);
    const store = await storageClient.openKeyValueStore({ kind: 'default', id: 'default' });
    for (const [key, contentType] of [['snowman', 'text/plain; name=☃'], ['split', 'text/plain\r\nx-injected: 1']]) {
      await store.setRecord({ key: key!, body: 'stored', contentType: contentType! });
      const answer = await fetch(`${server.url}/v2/key-value-stores/default/records/${key}`, { headers: auth });
      expect({ key, status: answer.status }).toEqual({ key, status: 200 });
      expect(answer.headers.get('content-type')).toBe('application/octet-stream');
      expect(answer.headers.get('x-injected')).toBeNull();
      expect(await answer.text()).toBe('stored');
    }
  });
});

describe('storage errors as API errors', () => {
  async function put(server: RunningServer): Promise<{ status: number; error: { type: string; message: string } }> {
    const answer = await fetch(`${server.url}/v2/key-value-stores/default/records/k`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: 'v' });
    return { status: answer.status, error: ((await answer.json()) as { error: { type: string; message: string } }).error };
  }
  const path = '/srv/secret-place/storage/key_value_stores/default/k.txt';
  const osError = (code: string) => Object.assign(new Error(`${code}: failed, open '${path}'`), { code, path });
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);

  it('locked is 409 request-locked; io is 507 for a full disk and 500 otherwise, never naming a path', async () => {
    process.on('warning', onWarning);
    cleanups.push(() => void process.off('warning', onWarning));
    const locked = await put(await serve(failingWrites(() => new StorageError('locked', 'Request "abc" is locked by another client'))));
    expect(locked).toEqual({ status: 409, error: { type: 'request-locked', message: 'Request "abc" is locked by another client' } });

    for (const code of ['ENOSPC', 'EDQUOT']) {
      const full = await put(await serve(failingWrites(() => new StorageError('io', `Cannot write ${path}: no space left`, { cause: osError(code) }))));
      expect(full.status).toBe(507);
      expect(full.error.type).toBe('insufficient-storage');
      expect(full.error.message).toContain(code);
      expect(full.error.message).not.toContain('/srv');
    }
    const denied = await put(await serve(failingWrites(() => new StorageError('io', `Cannot write ${path}: permission denied`, { cause: osError('EACCES') }))));
    expect(denied.status).toBe(500);
    expect(denied.error.type).toBe('internal-server-error');
    expect(denied.error.message).toContain('EACCES');
    expect(denied.error.message).not.toContain('/srv');
    // The server's operator sees the whole error (with the path) in the process warnings.
    expect(warnings.some((message) => message.includes(path))).toBe(true);

    const untyped = await put(await serve(failingWrites(() => osError('EIO'))));
    expect(untyped).toEqual({ status: 500, error: { type: 'internal-server-error', message: 'Internal server error' } });
    const conflict = await put(await serve(failingWrites(() => new StorageError('conflict', 'Busy'))));
    expect(conflict.status).toBe(409);
    expect(conflict.error.type).toBe('conflict');
  });
});
