// The request queue keeps the JSON of recently written requests in memory, so that fetching what
// was just added reads no file. That cache is bounded by bytes, not by count: large requests must
// not pile up on the heap. Measured for real, on the heap after a full garbage collection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RequestQueue } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The heap in use after collecting everything that can be collected. */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openQueue(name: string): Promise<RequestQueue> {
  const storageDir = mkdtempSync(join(tmpdir(), 'x-fs-request-cache-'));
  dirs.push(storageDir);
  return RequestQueue.open({ name, storageClient: new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } }) });
}

/** Adds `count` requests with `userData` of `size` characters each; gives the heap they keep (the queue stays open). */
async function heapKeptByAdding(queue: RequestQueue, count: number, size: number): Promise<number> {
  const before = heapUsed();
  for (let i = 0; i < count; i++) {
    await queue.addRequest({ url: `https://example.com/${size}/${i}`, userData: { blob: String(i % 10).repeat(size) } });
  }
  return heapUsed() - before;
}

describe('the request cache of the fs request queue', () => {
  // The requests add up to well over the bound of 24 MiB (48 and 40 MiB): enough to tell a cache
  // bounded by count alone, which keeps them all. More only wrote and read more of the disk.
  it('keeps no request over the per-request cap: 48 requests of 1 MiB leave next to nothing on the heap', async () => {
    const queue = await openQueue('large');
    const kept = await heapKeptByAdding(queue, 48, MiB);
    // A cache bounded by count alone keeps all of them: 48 MiB.
    expect(kept, `heap kept: ${(kept / MiB).toFixed(1)} MiB`).toBeLessThan(24 * MiB);
    // Each is still served whole, from its file.
    const request = await queue.fetchNextRequest();
    expect((request?.userData as { blob: string }).blob).toBe('0'.repeat(MiB));
    expect((await queue.getMetadata()).totalRequestCount).toBe(48);
  }, 60_000);

  it('keeps about 16 MiB at most: 320 requests of 128 KiB keep far less than their 40 MiB', async () => {
    const queue = await openQueue('many');
    const kept = await heapKeptByAdding(queue, 320, 128 * 1024);
    // A cache bounded by count alone keeps all of them: 40 MiB.
    expect(kept, `heap kept: ${(kept / MiB).toFixed(1)} MiB`).toBeLessThan(24 * MiB);
    let served = 0;
    for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
      expect((request.userData as { blob: string }).blob).toHaveLength(128 * 1024);
      served++;
    }
    expect(served).toBe(320);
  }, 60_000);
});
