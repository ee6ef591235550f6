// Request ids are computed from the uniqueKey (as Crawlee does): a client cannot choose one. On fs
// the id names the request's file, so a chosen id (`__metadata__`, `../../x`, 300 characters)
// was acknowledged and then lost on restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestIdFromUniqueKey } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { ApifyClient } from 'apify-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'request-ids-token';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const quiet = { warn: () => {} };
let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'x-server-request-ids-'));
  server = await startServer({ storageClient: new FileSystemStorageClient({ storageDir: dir, logger: quiet }), token: TOKEN });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

const CHOSEN_IDS = ['__metadata__', '../../x', 'x'.repeat(300), 'aaaaaaaaaaaaaaa'];

describe('request ids are the ones of their uniqueKey', () => {
  it('a chosen id is refused (400) in a single add and in a batch add, and nothing is added', async () => {
    await call('POST', '/v2/request-queues?name=chosen');
    for (const id of CHOSEN_IDS) {
      const single = await call('POST', '/v2/request-queues/~chosen/requests', { id, url: 'https://example.com/single' });
      expect({ id, status: single.status }).toEqual({ id, status: 400 });
      expect(single.json.error.type).toBe('invalid-input');
      const batch = await call('POST', '/v2/request-queues/~chosen/requests/batch', [
        { url: 'https://example.com/fine' },
        { id, url: 'https://example.com/batch' },
      ]);
      expect({ id, status: batch.status }).toEqual({ id, status: 400 });
      expect(batch.json.error.message).toContain('index 1');
    }
    expect((await call('GET', '/v2/request-queues/~chosen')).json.data.totalRequestCount).toBe(0);
  });

  it('no id, or the id of the uniqueKey, is accepted; the stored id is the computed one', async () => {
    const uniqueKey = 'https://example.com/given';
    const id = requestIdFromUniqueKey(uniqueKey);
    const withId = await call('POST', '/v2/request-queues/~chosen/requests', { id, url: uniqueKey, uniqueKey });
    expect(withId.status).toBe(201);
    expect(withId.json.data.requestId).toBe(id);
    const without = await call('POST', '/v2/request-queues/~chosen/requests', { url: 'https://example.com/Other/' });
    expect(without.json.data.requestId).toBe(requestIdFromUniqueKey('https://example.com/Other'));
    const batch = await call('POST', '/v2/request-queues/~chosen/requests/batch', [{ url: 'https://example.com/b1' }, { url: 'https://example.com/b2', uniqueKey: 'key-b2', id: requestIdFromUniqueKey('key-b2') }]);
    expect(batch.status).toBe(201);
    expect(batch.json.data.processedRequests.map((r: { requestId: string }) => r.requestId)).toEqual([requestIdFromUniqueKey('https://example.com/b1'), requestIdFromUniqueKey('key-b2')]);
  });

  it('an update (PUT) must use the id of its uniqueKey in the path, and no other id in the body', async () => {
    const uniqueKey = 'https://example.com/update';
    const id = requestIdFromUniqueKey(uniqueKey);
    const otherId = requestIdFromUniqueKey('https://example.com/given');
    await call('POST', '/v2/request-queues/~chosen/requests', { url: uniqueKey });
    // The path names another stored request than the body's uniqueKey: refused, nothing changes.
    const crossed = await call('PUT', `/v2/request-queues/~chosen/requests/${otherId}`, { url: uniqueKey, uniqueKey, userData: { crossed: true } });
    expect(crossed.status).toBe(400);
    const wrongBodyId = await call('PUT', `/v2/request-queues/~chosen/requests/${id}`, { id: otherId, url: uniqueKey, uniqueKey });
    expect(wrongBodyId.status).toBe(400);
    for (const chosen of CHOSEN_IDS.slice(0, 2)) {
      const answer = await call('PUT', `/v2/request-queues/~chosen/requests/${encodeURIComponent(chosen)}`, { url: uniqueKey, uniqueKey });
      expect({ chosen, status: answer.status }).toEqual({ chosen, status: 400 });
    }
    // Without a uniqueKey, the one of the URL must be the request's: a request with its own
    // uniqueKey is not rewritten under the uniqueKey of its URL.
    const customId = requestIdFromUniqueKey('key-b2');
    const noKey = await call('PUT', `/v2/request-queues/~chosen/requests/${customId}`, { url: 'https://example.com/b2', userData: { lost: true } });
    expect(noKey.status).toBe(400);
    expect(noKey.json.error.message).toContain('uniqueKey');
    expect((await call('GET', `/v2/request-queues/~chosen/requests/${customId}`)).json.data).toMatchObject({ uniqueKey: 'key-b2', userData: {} });
    const urlKey = await call('PUT', `/v2/request-queues/~chosen/requests/${id}`, { url: uniqueKey, userData: { viaUrl: true } });
    expect(urlKey.status).toBe(200);
    expect((await call('GET', `/v2/request-queues/~chosen/requests/${otherId}`)).json.data.uniqueKey).toBe('https://example.com/given');
    // The id of the uniqueKey, in the path and the body: accepted.
    const ok = await call('PUT', `/v2/request-queues/~chosen/requests/${id}`, { id, url: uniqueKey, uniqueKey, userData: { updated: true } });
    expect(ok.status).toBe(200);
    expect((await call('GET', `/v2/request-queues/~chosen/requests/${id}`)).json.data.userData).toEqual({ updated: true });
  });

  it('apify-client adds, batch-adds and updates as before; every request is there after a restart', async () => {
    const client = new ApifyClient({ baseUrl: server.url, token: TOKEN, maxRetries: 0 });
    const { id: queueId } = await client.requestQueues().getOrCreate('apify-client-ids');
    const queue = client.requestQueue(queueId);
    const added = await queue.addRequest({ url: 'https://example.com/a', uniqueKey: 'custom-key-a' });
    expect(added.requestId).toBe(requestIdFromUniqueKey('custom-key-a'));
    const batch = await queue.batchAddRequests([{ url: 'https://example.com/b', uniqueKey: 'https://example.com/b' }]);
    expect(batch.processedRequests[0]?.requestId).toBe(requestIdFromUniqueKey('https://example.com/b'));
    const stored = await queue.getRequest(added.requestId);
    await queue.updateRequest({ ...stored!, handledAt: new Date().toISOString() });

    const before = (await call('GET', '/v2/request-queues/~chosen/requests?limit=100')).json.data.items.map((r: { id: string }) => r.id).sort();
    await server.close();
    server = await startServer({ storageClient: new FileSystemStorageClient({ storageDir: dir, logger: quiet }), token: TOKEN });
    const after = (await call('GET', '/v2/request-queues/~chosen/requests?limit=100')).json.data.items.map((r: { id: string }) => r.id).sort();
    expect(after).toEqual(before);
    expect(after).toHaveLength(5);
    const reopened = new ApifyClient({ baseUrl: server.url, token: TOKEN, maxRetries: 0 }).requestQueue(queueId);
    expect(await reopened.get()).toMatchObject({ totalRequestCount: 2, handledRequestCount: 1 });
  });
});
