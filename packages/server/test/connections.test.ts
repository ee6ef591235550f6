// Connections: a body over the limit never leaves a keep-alive connection hanging; slow requests
// are cut off; the number of connections is capped. Raw sockets on loopback, so that what goes over
// the wire is exactly what a misbehaving client sends.
import { connect, type Socket } from 'node:net';
import { MemoryStorageClient } from '@x/memory-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../src/index.js';

const TOKEN = 'connections-token';
const LIMIT = 1024;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN, maxBodyBytes: LIMIT, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** A raw connection that records what it receives, when it closes, and when each answer starts. */
interface Wire {
  readonly socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Status codes of the answers received so far, in order. */
  statuses(): number[];
  /** Resolves with the ms since open when the connection closes. */
  readonly closed: Promise<number>;
  /** Resolves when `n` answers have started (their status line arrived), or rejects after `ms`. */
  answers(n: number, ms: number): Promise<number[]>;
}

async function open(server: RunningServer): Promise<Wire> {
  const socket = connect(server.port, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {}); // a reset is an outcome the tests look at, through `closed`
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const statuses = (): number[] => [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
  return {
    socket,
    text: () => received,
    statuses,
    closed,
    async answers(n, ms) {
      const deadline = Date.now() + ms;
      while (statuses().length < n) {
        if (Date.now() > deadline) throw new Error(`${statuses().length} of ${n} answers after ${ms} ms; received: ${JSON.stringify(received.slice(0, 400))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return statuses();
    },
  };
}

const auth = `Authorization: Bearer ${TOKEN}\r\n`;

function chunkedPost(path: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
}

/** Writes `bytes` of body as chunks of 64 KiB, then the last chunk. */
function writeChunkedBody(socket: Socket, bytes: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    socket.write(`${part.length.toString(16)}\r\n`);
    socket.write(part);
    socket.write('\r\n');
  }
  socket.write('0\r\n\r\n');
}

const secondRequest = `GET /v2/datasets/default HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`;

describe('a body over the limit', () => {
  it('chunked, a little over: 413, the rest is dropped and the next request on the connection is answered', async () => {
    const server = await serve();
    for (const path of ['/v2/datasets/default/items', '/v2/key-value-stores/default/records/k', '/v2/request-queues/default/requests']) {
      const wire = await open(server);
      wire.socket.write(chunkedPost(path).replace('POST /v2/key-value-stores', 'PUT /v2/key-value-stores'));
      writeChunkedBody(wire.socket, 20 * LIMIT);
      wire.socket.write(secondRequest);
      expect(await wire.answers(2, 10_000)).toEqual([413, 200]);
      expect(wire.text()).toContain('"itemCount":0');
    }
  });

  it('chunked, far over (5 MB): 413, then the connection closes at once instead of hanging', async () => {
    const server = await serve();
    const wire = await open(server);
    wire.socket.write(chunkedPost('/v2/datasets/default/items'));
    writeChunkedBody(wire.socket, 5_000_000);
    wire.socket.write(secondRequest);
    // Before the fix: 413, then nothing for 30 s (the keep-alive timeout), then a reset.
    const closedAfter = await Promise.race([wire.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000))]);
    expect(wire.statuses()[0]).toBe(413);
    expect(closedAfter).toBeGreaterThanOrEqual(0);
    // The server serves on: a new connection is answered.
    const next = await open(server);
    next.socket.write(secondRequest);
    expect(await next.answers(1, 10_000)).toEqual([200]);
  });

  it('declared far over the limit: 413 with Connection: close, and the connection closes', async () => {
    const server = await serve();
    const wire = await open(server);
    wire.socket.write(`POST /v2/datasets/default/items HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n`);
    wire.socket.write(Buffer.alloc(64 * 1024, 'x'));
    expect(await wire.answers(1, 10_000)).toEqual([413]);
    expect(wire.text().toLowerCase()).toContain('connection: close');
    expect(await Promise.race([wire.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000))])).toBeGreaterThanOrEqual(0);
  });

  it('an unauthorized body is dropped too, and the connection answers the next request', async () => {
    const server = await serve();
    const wire = await open(server);
    wire.socket.write(chunkedPost('/v2/datasets/default/items').replace(auth, ''));
    writeChunkedBody(wire.socket, 4 * LIMIT);
    wire.socket.write(secondRequest);
    expect(await wire.answers(2, 10_000)).toEqual([401, 200]);
  });
});

describe('timeouts and the connection cap', () => {
  it('a body sent too slowly is cut off after requestTimeoutMs (408 and closed), and serving goes on', async () => {
    const server = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const wire = await open(server);
    wire.socket.write(`POST /v2/datasets/default/items HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n[`);
    const drip = setInterval(() => wire.socket.write(' '), 100);
    try {
      const closedAfter = await Promise.race([wire.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 20_000))]);
      expect(closedAfter).toBeGreaterThanOrEqual(0);
      expect(wire.statuses()).toEqual([408]);
    } finally {
      clearInterval(drip);
    }
    // Headers never finished are cut off after headersTimeoutMs.
    const slowHeaders = await open(server);
    slowHeaders.socket.write('GET /v2/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await Promise.race([slowHeaders.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 20_000))])).toBeGreaterThanOrEqual(0);
    const next = await open(server);
    next.socket.write(secondRequest);
    expect(await next.answers(1, 10_000)).toEqual([200]);
  });

  it('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const server = await serve({ keepAliveTimeoutMs: 300 });
    const wire = await open(server);
    wire.socket.write(secondRequest);
    expect(await wire.answers(1, 10_000)).toEqual([200]);
    expect(await Promise.race([wire.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 20_000))])).toBeGreaterThanOrEqual(0);
  });

  it('connections over maxConnections are closed as they come; a freed place is taken again', async () => {
    const server = await serve({ maxConnections: 3 });
    const held = [await open(server), await open(server), await open(server)];
    // The three are served (and kept open).
    for (const wire of held) wire.socket.write(secondRequest);
    for (const wire of held) expect(await wire.answers(1, 10_000)).toEqual([200]);
    const refused = await open(server);
    refused.socket.write(secondRequest);
    expect(await Promise.race([refused.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000))])).toBeGreaterThanOrEqual(0);
    expect(refused.statuses()).toEqual([]);
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // The server notices the closed connection a moment later: try until a new one is served.
    for (let attempt = 0; ; attempt++) {
      const again = await open(server);
      again.socket.write(secondRequest);
      const outcome = await Promise.race([again.answers(1, 5_000).then(() => 'served'), again.closed.then(() => 'closed')]).catch(() => 'none');
      if (outcome === 'served') break;
      expect(attempt).toBeLessThan(20);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
