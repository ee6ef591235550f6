import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestQueue } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStorageClient } from '../src/index.js';
import { prepareFixture } from './fixtures/child-process.js';
import { FAST, TEST_TOKEN } from './helpers.js';

// Enough for every consumer to lock, reclaim and hand over batches of 25 (80 of them) many times
// over: 5000 proved nothing more, and each request costs milliseconds of CPU on a 2-core machine.
const COUNT = 2000;
const PROCESSES = 4;

let bundleDir: string;
/** How `node` starts the consumer (see prepareFixture). */
let consumer: string[];

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'x-cloud-consumers-'));
  consumer = await prepareFixture('consumer', bundleDir);
});

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

function runConsumer(baseUrl: string, queueName: string): Promise<{ handled: string[]; reclaimed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...consumer, baseUrl, TEST_TOKEN, queueName], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`consumer exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { handled: string[]; reclaimed: number });
    });
  });
}

describe('four processes consuming one queue through the server', () => {
  it(`handle each of ${COUNT} requests exactly once`, { timeout: 120_000 }, async () => {
    const backend = new MemoryStorageClient();
    const server = await startServer({ storageClient: backend, token: TEST_TOKEN });
    const producer = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    try {
      const queue = await RequestQueue.open({ name: 'shared-work', storageClient: producer });
      const urls = Array.from({ length: COUNT }, (_, i) => `https://example.com/item/${i}`);
      const before = server.requestCount;
      const { processedRequests } = await queue.addRequests(urls);
      expect(processedRequests.filter((r) => !r.wasAlreadyPresent)).toHaveLength(COUNT);
      // Added in batches of 25: 80 calls, not 2000.
      expect(server.requestCount - before).toBe(COUNT / 25);

      const results = await Promise.all(Array.from({ length: PROCESSES }, () => runConsumer(server.url, 'shared-work')));
      const all = results.flatMap((r) => r.handled);
      expect(all).toHaveLength(COUNT);
      expect(new Set(all).size).toBe(COUNT);
      expect(results.filter((r) => r.handled.length > 0).length).toBeGreaterThanOrEqual(2);
      const rq = await backend.openRequestQueue({ kind: 'name', name: 'shared-work' });
      expect(await rq.getMetadata()).toMatchObject({ totalRequestCount: COUNT, handledRequestCount: COUNT, pendingRequestCount: 0 });
      expect(await rq.isFinished()).toBe(true);
    } finally {
      producer.close();
      await server.close();
    }
  });
});
