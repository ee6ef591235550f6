import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Request, RequestQueue } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudStorageClient, type CloudStorageClientOptions } from '../src/index.js';
import { prepareFixture } from './fixtures/child-process.js';
import { FAST, TEST_TOKEN } from './helpers.js';

let bundleDir: string;
/** How `node` starts the buffer holder (see prepareFixture). */
let bufferHolder: string[];

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'x-cloud-fetch-buffer-'));
  bufferHolder = await prepareFixture('buffer-holder', bundleDir);
});

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const urls = (count: number, site = 'example.com') => Array.from({ length: count }, (_, i) => `https://${site}/page/${i}`);
const idOf = (url: string) => Request.fromUrl(url).id;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<{ server: RunningServer; backend: MemoryStorageClient }> {
  const backend = new MemoryStorageClient();
  const running = await startServer({ storageClient: backend, token: TEST_TOKEN });
  cleanups.push(() => running.close());
  return { server: running, backend };
}

function client(running: RunningServer, options: CloudStorageClientOptions = {}): CloudStorageClient {
  const made = new CloudStorageClient({ ...FAST, baseUrl: running.url, token: TEST_TOKEN, ...options });
  cleanups.push(() => made.close());
  return made;
}

/** Fetches and marks handled until the queue is finished (the bench's loop: isFinished before every fetch). */
async function drain(queue: RequestQueue, handled: string[] = []): Promise<string[]> {
  while (!(await queue.isFinished())) {
    const request = await queue.fetchNextRequest();
    if (!request) {
      await sleep(5);
      continue;
    }
    handled.push(request.id);
    await queue.markRequestAsHandled(request);
  }
  return handled;
}

describe("RequestQueue's fetch buffer on the cloud client", () => {
  it('locks the head 25 at a time: about one HTTP request per handled request (the server counts them), against three without a buffer', async () => {
    const { server: running } = await server();
    const perHandled: Record<string, number> = {};
    // Without a buffer every request costs the same three calls: a hundred show it as well as more.
    for (const [batch, count] of [
      [25, 500],
      [1, 100],
    ] as const) {
      const storageClient = client(running, { requestFetchBatchSize: batch });
      const queue = await RequestQueue.open({ name: `counted-${batch}`, storageClient });
      expect(queue.fetchBatchSize).toBe(batch);
      await queue.addRequests(urls(count, `b${batch}.example.com`));
      const before = running.requestCount;
      const handled = await drain(queue);
      expect(new Set(handled).size).toBe(count);
      perHandled[batch] = (running.requestCount - before) / count;
    }
    // Per 25 handled: 25 marks, one lock of the head, one isFinished once the buffer is empty.
    expect(perHandled[25]).toBeLessThanOrEqual(1.1);
    expect(perHandled[1]).toBeGreaterThanOrEqual(2.9);
  });

  it('two clients with buffers, each fetching concurrently and reclaiming now and then, handle every request exactly once', async () => {
    const { server: running, backend } = await server();
    const count = 600;
    const producer = client(running);
    await (await RequestQueue.open({ name: 'shared', storageClient: producer })).addRequests(urls(count));
    const handled: string[] = [];
    const consumer = async (storageClient: CloudStorageClient): Promise<void> => {
      const queue = await RequestQueue.open({ name: 'shared', storageClient });
      const worker = async (): Promise<void> => {
        while (!(await queue.isFinished())) {
          const request = await queue.fetchNextRequest();
          if (!request) {
            await sleep(5);
            continue;
          }
          if (request.retryCount === 0 && Math.random() < 0.05) {
            request.retryCount++;
            await queue.reclaimRequest(request, { forefront: Math.random() < 0.5 });
            continue;
          }
          handled.push(request.id);
          await queue.markRequestAsHandled(request);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
    };
    await Promise.all([consumer(client(running)), consumer(client(running))]);
    expect(handled).toHaveLength(count);
    expect(new Set(handled).size).toBe(count);
    const queue = await backend.openRequestQueue({ kind: 'name', name: 'shared' });
    expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: count, handledRequestCount: count, pendingRequestCount: 0 });
  });

  it('isFinished and isEmpty are false while the buffer holds requests, answered without a call; other consumers see them locked', async () => {
    const { server: running } = await server();
    const a = await RequestQueue.open({ name: 'buffered', storageClient: client(running) });
    const b = await RequestQueue.open({ name: 'buffered', storageClient: client(running) });
    await a.addRequests(urls(3));
    const first = (await a.fetchNextRequest())!;
    await a.markRequestAsHandled(first);
    const before = running.requestCount;
    expect(await a.isFinished()).toBe(false);
    expect(await a.isEmpty()).toBe(false);
    expect(running.requestCount).toBe(before);
    // For B, the two A holds are locked: nothing pending, not finished, nothing to fetch.
    expect(await b.isEmpty()).toBe(true);
    expect(await b.isFinished()).toBe(false);
    expect(await b.fetchNextRequest()).toBeNull();
    expect(await drain(a)).toEqual([idOf(urls(3)[1]!), idOf(urls(3)[2]!)]);
    expect([await a.isFinished(), await b.isFinished()]).toEqual([true, true]);
  });

  it('close() gives the buffered requests back first in the queue, in their order: another client gets them at once, not after the lock expires', async () => {
    const { server: running } = await server();
    const a = client(running, { requestLockSecs: 120 });
    const queueA = await RequestQueue.open({ name: 'given-back', storageClient: a });
    await queueA.addRequests(urls(30));
    const inProgress = (await queueA.fetchNextRequest())!;
    expect(inProgress.url).toBe(urls(30)[0]);
    const b = await RequestQueue.open({ name: 'given-back', storageClient: client(running) });
    // A holds 25 (one in progress, 24 buffered): B gets the 5 after them (one handed out, four in its buffer).
    expect((await b.fetchNextRequest())?.url).toBe(urls(30)[25]);
    await a.close();
    // The 24 come back at once, first in the queue and in their order: B gets them after its own
    // buffer. The one in progress stays A's until its (120-second) lock expires.
    const rest: string[] = [];
    for (let request = await b.fetchNextRequest(); request; request = await b.fetchNextRequest()) rest.push(request.url);
    expect(rest).toEqual([...urls(30).slice(26), ...urls(30).slice(1, 25)]);
    expect(await b.isFinished()).toBe(false);
  });

  it('dropping the queue forgets its buffer', async () => {
    const { server: running } = await server();
    const storageClient = client(running);
    const queue = await RequestQueue.open({ name: 'dropped', storageClient });
    await queue.addRequests(urls(10));
    await queue.fetchNextRequest();
    await queue.drop();
    const again = await RequestQueue.open({ name: 'dropped', storageClient });
    expect(again).not.toBe(queue);
    expect([await again.isEmpty(), await again.isFinished()]).toEqual([true, true]);
    expect(await again.fetchNextRequest()).toBeNull();
  });

  it('a killed client leaves its buffered requests locked only until the locks expire; then others get them', { timeout: 60_000 }, async () => {
    const { server: running } = await server();
    const queue = await RequestQueue.open({ name: 'killed', storageClient: client(running) });
    await queue.addRequests(urls(10));
    const child = spawn(process.execPath, [...bufferHolder, running.url, TEST_TOKEN, 'killed', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the consumer exited with ${code}: ${err.slice(-2000)}`)));
    });
    expect(JSON.parse(line)).toEqual({ id: idOf(urls(10)[0]!) });
    // The child holds all ten (one in progress, nine buffered) and prolongs them.
    expect(await queue.fetchNextRequest()).toBeNull();
    expect(await queue.isFinished()).toBe(false);
    child.kill('SIGKILL');
    await exited;
    // Nothing prolongs the 2-second locks now: they expire and the requests are pending again.
    let got: Request | null = null;
    for (let waited = 0; !got && waited < 20_000; waited += 250) {
      await sleep(250);
      got = await queue.fetchNextRequest();
    }
    expect(got).not.toBeNull();
    const handled = [got!.id];
    await queue.markRequestAsHandled(got!);
    await drain(queue, handled);
    expect(new Set(handled)).toEqual(new Set(urls(10).map(idOf)));
  });

  it('a buffer nobody fetches from is given back after a third of the lock, while the request in progress stays locked', { timeout: 30_000 }, async () => {
    const { server: running, backend } = await server();
    const a = await RequestQueue.open({ name: 'idle', storageClient: client(running, { requestLockSecs: 6 }) });
    const b = await RequestQueue.open({ name: 'idle', storageClient: client(running) });
    await a.addRequests(urls(5));
    const inProgress = (await a.fetchNextRequest())!;
    const fetchedAt = Date.now();
    expect(await b.fetchNextRequest()).toBeNull();
    // A's timer runs every 2 s; at the first run with no fetch for 2 s (at 2 or 4 s) it gives the
    // buffer back, before the 6-second locks would expire (and they would have been prolonged).
    // The server's queue is watched until all four are back (listHead locks nothing), then B fetches.
    const served = await backend.openRequestQueue({ kind: 'name', name: 'idle' });
    while ((await served.listHead({ limit: 10 })).length < 4 && Date.now() - fetchedAt < 5_500) await sleep(50);
    const rest: string[] = [];
    for (let request = await b.fetchNextRequest(); request; request = await b.fetchNextRequest()) rest.push(request.url);
    expect(rest).toEqual(urls(5).slice(1));
    await a.markRequestAsHandled(inProgress);
  });

  it('a buffered request whose lock lapsed while the process stalled is not handed out', { timeout: 30_000 }, async () => {
    const { server: running, backend } = await server();
    const a = await RequestQueue.open({ name: 'stalled', storageClient: client(running, { requestLockSecs: 1 }) });
    await a.addRequests(urls(3));
    const first = (await a.fetchNextRequest())!;
    const other = await backend.openRequestQueue({ kind: 'name', name: 'stalled' });
    // A's event loop is blocked past the lock's length: its timer cannot prolong anything.
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      // busy
    }
    // Another consumer takes the requests on the server's own client, before A's timer gets to run.
    const taken = await other.listAndLockHead({ limit: 10, lockSecs: 60, clientKey: 'other' });
    expect(taken.items.map((r) => r.id)).toEqual(urls(3).map(idOf));
    // A's buffer still lists the two others, but their locks are the other consumer's now: A hands out neither.
    expect(await a.fetchNextRequest()).toBeNull();
    await expect(a.markRequestAsHandled(first)).rejects.toMatchObject({ code: 'locked' });
  });
});
