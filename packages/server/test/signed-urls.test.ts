// Signed record URLs: each key-value store has its own secret (in its metadata, served in the
// store's API object, as the Apify platform does), so a signature opens one record of one store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordSignature } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../src/index.js';

const TOKEN = 'signed-urls-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(storageClient: ServerOptions['storageClient'] = new MemoryStorageClient()): Promise<RunningServer> {
  const server = await startServer({ storageClient, token: TOKEN });
  cleanups.push(() => server.close());
  return server;
}

async function storeObject(server: RunningServer, ref: string): Promise<{ id: string; urlSigningSecretKey?: string }> {
  const response = await fetch(`${server.url}/v2/key-value-stores/${ref}`, { headers: auth });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { id: string; urlSigningSecretKey?: string } }).data;
}

async function putRecord(server: RunningServer, ref: string, key: string, body: string): Promise<void> {
  const response = await fetch(`${server.url}/v2/key-value-stores/${ref}/records/${key}`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body });
  expect(response.status).toBe(201);
}

/** Status and body of an unauthenticated GET (no token: only a signature can open it). */
async function anonymousGet(server: RunningServer, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, text: await response.text() };
}

describe('signed record URLs', () => {
  it('each store has its own secret; the signature of OUTPUT in store A opens it there and nowhere else', async () => {
    const server = await serve();
    const a = (await (await fetch(`${server.url}/v2/key-value-stores?name=store-a`, { method: 'POST', headers: auth })).json()) as { data: { id: string; urlSigningSecretKey: string } };
    const b = (await (await fetch(`${server.url}/v2/key-value-stores?name=store-b`, { method: 'POST', headers: auth })).json()) as { data: { id: string; urlSigningSecretKey: string } };
    const defaultStore = await storeObject(server, 'default');
    const secrets = [a.data.urlSigningSecretKey, b.data.urlSigningSecretKey, defaultStore.urlSigningSecretKey];
    for (const secret of secrets) expect(secret).toMatch(/^[\w-]{43}$/);
    expect(new Set(secrets).size).toBe(3);
    // The same secret on every read of the store object, by id and by name, and in the list.
    expect((await storeObject(server, a.data.id)).urlSigningSecretKey).toBe(a.data.urlSigningSecretKey);
    expect((await storeObject(server, '~store-a')).urlSigningSecretKey).toBe(a.data.urlSigningSecretKey);

    for (const ref of [a.data.id, b.data.id, 'default']) await putRecord(server, ref, 'OUTPUT', `output of ${ref}`);
    await putRecord(server, a.data.id, 'OTHER', 'other of a');
    const signatureA = createRecordSignature(a.data.urlSigningSecretKey, 'OUTPUT');

    const opened = await anonymousGet(server, `/v2/key-value-stores/${a.data.id}/records/OUTPUT?signature=${signatureA}`);
    expect(opened).toEqual({ status: 200, text: `output of ${a.data.id}` });
    expect((await anonymousGet(server, `/v2/key-value-stores/~store-a/records/OUTPUT?signature=${signatureA}`)).status).toBe(200);
    const head = await fetch(`${server.url}/v2/key-value-stores/${a.data.id}/records/OUTPUT?signature=${signatureA}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    // Not in store B, not in the default store, not for another key of A, not for writes.
    for (const path of [
      `/v2/key-value-stores/${b.data.id}/records/OUTPUT?signature=${signatureA}`,
      `/v2/key-value-stores/~store-b/records/OUTPUT?signature=${signatureA}`,
      `/v2/key-value-stores/default/records/OUTPUT?signature=${signatureA}`,
      `/v2/key-value-stores/${a.data.id}/records/OTHER?signature=${signatureA}`,
      `/v2/key-value-stores/${a.data.id}/keys?signature=${signatureA}`,
      `/v2/key-value-stores/${a.data.id}?signature=${signatureA}`,
      `/v2/key-value-stores/${a.data.id}/records/OUTPUT?signature=wrong`,
    ]) {
      const answer = await anonymousGet(server, path);
      expect({ path, status: answer.status }).toEqual({ path, status: 401 });
      expect(answer.text).not.toContain('output of');
    }
    const write = await fetch(`${server.url}/v2/key-value-stores/${a.data.id}/records/OUTPUT?signature=${signatureA}`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(write.status).toBe(401);
    // A signature for a store that does not exist opens nothing and makes no store.
    expect((await anonymousGet(server, `/v2/key-value-stores/noSuchStore00001/records/OUTPUT?signature=${signatureA}`)).status).toBe(401);
    const listed = (await (await fetch(`${server.url}/v2/key-value-stores?unnamed=1`, { headers: auth })).json()) as { data: { items: { id: string }[] } };
    expect(listed.data.items.map((item) => item.id).sort()).toEqual([a.data.id, b.data.id, 'default'].sort());
  });

  it('over the fs client the secret is kept in the folder: a signed URL still opens after a server restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x-server-signed-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const quiet = { warn: () => {} };
    const first = await startServer({ storageClient: new FileSystemStorageClient({ storageDir: dir, logger: quiet }), token: TOKEN });
    let secret: string | undefined;
    try {
      await putRecord(first, 'default', 'report', 'kept');
      secret = (await storeObject(first, 'default')).urlSigningSecretKey;
    } finally {
      await first.close();
    }
    expect(secret).toMatch(/^[\w-]{43}$/);
    const second = await serve(new FileSystemStorageClient({ storageDir: dir, logger: quiet }));
    expect((await storeObject(second, 'default')).urlSigningSecretKey).toBe(secret);
    expect(await anonymousGet(second, `/v2/key-value-stores/default/records/report?signature=${createRecordSignature(secret!, 'report')}`)).toEqual({ status: 200, text: 'kept' });
  });

  it('the server-wide urlSigningSecretKey option is refused at start, with a message saying why', async () => {
    const options = { storageClient: new MemoryStorageClient(), token: TOKEN, urlSigningSecretKey: 'one-for-all' } as ServerOptions;
    await expect(startServer(options)).rejects.toThrow(/own secret/);
  });
});
