import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageClient } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'locks-token-1234';

const backends: [string, () => { client: StorageClient; cleanup: () => void }][] = [
  ['memory', () => ({ client: new MemoryStorageClient(), cleanup: () => {} })],
  [
    'fs',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'x-server-locks-'));
      return { client: new FileSystemStorageClient({ storageDir: dir }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(make: () => { client: StorageClient; cleanup: () => void }): Promise<RunningServer> {
  const { client, cleanup } = make();
  const server = await startServer({ storageClient: client, token: TOKEN });
  cleanups.push(cleanup, () => client.close(), () => server.close());
  return server;
}

async function api(server: RunningServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}/v2/request-queues/${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

describe.each(backends)('request locks through the server (%s)', (_name, make) => {
  it('GET requests?filter= pages the pending, locked or handled requests (with lockExpiresAt for locked ones), takes the API\'s comma list and refuses an unknown state', async () => {
    const server = await serve(make);
    const queue = (await api(server, 'POST', '?name=filtered')).json.data.id as string;
    await api(server, 'POST', `${queue}/requests/batch`, Array.from({ length: 7 }, (_, i) => ({ url: `https://example.com/f/${i}` })));
    const locked = (await api(server, 'POST', `${queue}/head/lock?limit=3&lockSecs=60&clientKey=holder`)).json.data.items as { id: string; lockExpiresAt: string }[];
    const [done, ...held] = locked;
    const { lockExpiresAt: _expiry, ...stored } = done!;
    expect((await api(server, 'PUT', `${queue}/requests/${done!.id}?clientKey=holder`, { ...stored, handledAt: new Date().toISOString() })).status).toBe(200);
    const all = (await api(server, 'GET', `${queue}/requests?limit=100`)).json.data.items as { id: string }[];
    const sorted = (ids: string[]): string[] => all.map((r) => r.id).filter((id) => ids.includes(id));
    const heldIds = held.map((r) => r.id);
    const expected: Record<string, string[]> = {
      locked: sorted(heldIds),
      handled: [done!.id],
      pending: sorted(all.map((r) => r.id).filter((id) => id !== done!.id && !heldIds.includes(id))),
    };
    for (const filter of ['pending', 'locked', 'handled']) {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await api(server, 'GET', `${queue}/requests?limit=2&filter=${filter}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        for (const item of page.json.data.items) {
          ids.push(item.id);
          expect(typeof item.lockExpiresAt === 'string', `${filter}: lockExpiresAt of ${item.id}`).toBe(filter === 'locked');
          if (filter === 'locked') expect(item.lockExpiresAt).toBe(locked.find((r) => r.id === item.id)!.lockExpiresAt);
        }
        cursor = page.json.data.nextCursor;
        if (cursor === undefined) break;
      }
      expect(ids, filter).toEqual(expected[filter]);
    }
    const union = await api(server, 'GET', `${queue}/requests?limit=100&filter=locked,pending`);
    expect(union.json.data.items.map((r: { id: string }) => r.id)).toEqual(sorted([...expected['locked']!, ...expected['pending']!]));
    const bad = await api(server, 'GET', `${queue}/requests?filter=pending,running`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.type).toBe('invalid-input');
  });

  it('a request locked by one client cannot be handled, updated or deleted by another or by a caller without a clientKey', async () => {
    const server = await serve(make);
    const queue = (await api(server, 'POST', '?name=locked')).json.data.id as string;
    await api(server, 'POST', `${queue}/requests/batch`, [{ url: 'https://example.com/1' }, { url: 'https://example.com/2' }]);
    const locked = await api(server, 'POST', `${queue}/head/lock?limit=1&lockSecs=60&clientKey=holder`);
    expect(locked.status).toBe(201);
    const request = locked.json.data.items[0];
    const { lockExpiresAt: _expiry, ...stored } = request;
    for (const clientKey of ['', '&clientKey=intruder']) {
      const handled = await api(server, 'PUT', `${queue}/requests/${request.id}?forefront=0${clientKey}`, { ...stored, handledAt: new Date().toISOString() });
      expect(handled.status).toBe(409);
      expect(handled.json.error.type).toBe('request-locked');
      const deleted = await api(server, 'DELETE', `${queue}/requests/${request.id}?x=1${clientKey}`);
      expect(deleted.status).toBe(409);
      const unlocked = await api(server, 'DELETE', `${queue}/requests/${request.id}/lock?x=1${clientKey}`);
      expect(unlocked.status).toBe(409);
      // A batch delete leaves it alone and says so; the request nobody holds is deleted.
      const batch = await api(server, 'DELETE', `${queue}/requests/batch?x=1${clientKey}`, [{ id: request.id }]);
      expect(batch.status).toBe(200);
      expect(batch.json.data.processedRequests).toEqual([]);
      expect(batch.json.data.unprocessedRequests).toEqual([{ id: request.id }]);
    }
    expect((await api(server, 'GET', `${queue}/requests/${request.id}`)).json.data).toEqual(stored);
    expect((await api(server, 'GET', queue)).json.data).toMatchObject({ totalRequestCount: 2, handledRequestCount: 0 });
    // The holder may.
    const byHolder = await api(server, 'PUT', `${queue}/requests/${request.id}?clientKey=holder`, { ...stored, handledAt: new Date().toISOString() });
    expect(byHolder.status).toBe(200);
    expect((await api(server, 'GET', queue)).json.data).toMatchObject({ handledRequestCount: 1 });
    const otherId = (await api(server, 'GET', `${queue}/head`)).json.data.items[0].id as string;
    const batch = await api(server, 'DELETE', `${queue}/requests/batch`, [{ id: otherId }]);
    expect(batch.json.data.processedRequests).toEqual([{ id: otherId, uniqueKey: 'https://example.com/2' }]);
  });

  it('keeps no lock state itself: locks live in the storage client, and a second server over it sees them', async () => {
    const { client, cleanup } = make();
    const first = await startServer({ storageClient: client, token: TOKEN });
    const second = await startServer({ storageClient: client, token: TOKEN });
    cleanups.push(cleanup, () => client.close(), () => first.close(), () => second.close());
    const queue = (await api(first, 'POST', '?name=shared')).json.data.id as string;
    await api(first, 'POST', `${queue}/requests/batch`, [{ url: 'https://example.com/1' }, { url: 'https://example.com/2' }]);
    const a = await api(first, 'POST', `${queue}/head/lock?limit=5&lockSecs=60&clientKey=a`);
    const b = await api(second, 'POST', `${queue}/head/lock?limit=5&lockSecs=60&clientKey=b`);
    expect(a.json.data.items).toHaveLength(2);
    expect(b.json.data.items).toHaveLength(0);
    expect(b.json.data.queueHasLockedRequests).toBe(true);
    const head = await api(second, 'GET', `${queue}/head`);
    expect(head.json.data.queueHasLockedRequests).toBe(true);
    const prolonged = await api(second, 'PUT', `${queue}/requests/${a.json.data.items[0].id}/lock?lockSecs=120&clientKey=a`);
    expect(prolonged.status).toBe(200);
    expect(Date.parse(prolonged.json.data.lockExpiresAt)).toBeGreaterThan(Date.now() + 100_000);
    expect((await api(second, 'POST', `${queue}/requests/unlock?clientKey=a`)).json.data).toEqual({ unlockedCount: 2 });
    expect((await api(first, 'GET', `${queue}/head`)).json.data.items).toHaveLength(2);
  });
});
