// Without a token the server is for this machine only: a web page of another origin cannot write
// (CSRF with a "simple" text/plain POST), a foreign Host is refused (DNS rebinding), it does not
// listen on a non-loopback address unless told so loudly, and an empty token is an error.
import { request as httpRequest } from 'node:http';
import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ storageClient: new MemoryStorageClient() });
});

afterAll(async () => {
  await server.close();
});

/** A request with the headers exactly as given (fetch sets Host and Origin itself). */
function raw(target: RunningServer, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function itemCount(): Promise<number> {
  const answer = await raw(server, 'GET', '/v2/datasets/default', { host: `127.0.0.1:${server.port}` });
  return (JSON.parse(answer.body) as { data: { itemCount: number } }).data.itemCount;
}

describe('a server without a token', () => {
  it('refuses a cross-site text/plain POST (CSRF): 403, nothing written', async () => {
    const host = `127.0.0.1:${server.port}`;
    for (const origin of ['https://evil.example', 'null', `http://localhost:${server.port}`, `http://127.0.0.1:${server.port + 1}`]) {
      const answer = await raw(server, 'POST', '/v2/datasets/default/items', { host, origin, 'content-type': 'text/plain' }, '[{"pwned":true}]');
      expect({ origin, status: answer.status }).toEqual({ origin, status: 403 });
      expect(JSON.parse(answer.body).error.type).toBe('insufficient-permissions');
    }
    const record = await raw(server, 'PUT', '/v2/key-value-stores/default/records/x', { host, origin: 'https://evil.example', 'content-type': 'text/plain' }, 'pwned');
    expect(record.status).toBe(403);
    expect(await itemCount()).toBe(0);
    // Its own origin, and no origin at all (curl, the clients), are served.
    const own = await raw(server, 'POST', '/v2/datasets/default/items', { host, origin: `http://${host}`, 'content-type': 'application/json' }, '[{"ok":1}]');
    expect(own.status).toBe(201);
    const none = await raw(server, 'POST', '/v2/datasets/default/items', { host, 'content-type': 'application/json' }, '[{"ok":2}]');
    expect(none.status).toBe(201);
    expect(await itemCount()).toBe(2);
  });

  it('refuses a foreign Host (DNS rebinding) and serves the loopback names', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1.evil.example:${server.port}`, `localhost.evil.example`, '10.0.0.1', '[::2]']) {
      const answer = await raw(server, 'GET', '/v2/datasets', { host });
      expect({ host, status: answer.status }).toEqual({ host, status: 403 });
      expect(answer.body).not.toContain('"items"');
    }
    const noHost = await raw(server, 'GET', '/v2/datasets', {});
    expect(noHost.status).toBe(400); // Node refuses an HTTP/1.1 request without Host
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, 'localhost', 'LOCALHOST:1']) {
      const answer = await raw(server, 'GET', '/v2/datasets', { host });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
    // The clients (fetch sets Host to the URL's host) work as before.
    expect((await fetch(`${server.url}/v2/datasets`)).status).toBe(200);
  });

  it('does not listen on a non-loopback address unless allowUnauthenticatedRemoteAccess says so', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      await expect(startServer({ storageClient: new MemoryStorageClient(), host, port: 0 })).rejects.toThrow(/without a token/);
    }
    // With a token, or explicitly allowed, it starts (bound to every address: only loopback is used here).
    const withToken = await startServer({ storageClient: new MemoryStorageClient(), host: '0.0.0.0', token: 't0ken' });
    await withToken.close();
    const open = await startServer({ storageClient: new MemoryStorageClient(), host: '0.0.0.0', allowUnauthenticatedRemoteAccess: true });
    try {
      // Remote names are then served, but a foreign web page still cannot write.
      expect((await raw(open, 'GET', '/v2/datasets', { host: `storage.internal:${open.port}` })).status).toBe(200);
      const csrf = await raw(open, 'POST', '/v2/datasets/default/items', { host: `storage.internal:${open.port}`, origin: 'https://evil.example', 'content-type': 'text/plain' }, '[{}]');
      expect(csrf.status).toBe(403);
    } finally {
      await open.close();
    }
  });

  it('an empty token is an error at start, not an open server', async () => {
    for (const token of ['', '   ']) {
      await expect(startServer({ storageClient: new MemoryStorageClient(), token })).rejects.toThrow(/token must not be empty/);
    }
  });
});
