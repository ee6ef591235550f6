import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Dataset, RequestQueue } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStorageClient } from '../src/index.js';
import { prepareFixture } from './bundle-fixture.js';
import { RedisServer, redisBinariesAvailable, uniquePrefix } from './redis-servers.js';

const COUNT = 5000;
const VICTIM_AFTER = 300;

interface Consumer {
  readonly child: ChildProcess;
  /** Each JSON line the consumer printed, as it comes. */
  readonly lines: AsyncIterator<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startConsumer(command: readonly string[], url: string, prefix: string, queueName: string, victimAfter: number): Consumer {
  const child = spawn(process.execPath, [...command, url, prefix, queueName, String(victimAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines, exited };
}

async function nextJson(consumer: Consumer): Promise<Record<string, unknown>> {
  const { value, done } = await consumer.lines.next();
  if (done) throw new Error(`the consumer ended without a line: ${(await consumer.exited).stderr.slice(-2000)}`);
  return JSON.parse(value) as Record<string, unknown>;
}

const available = redisBinariesAvailable('redis-client consumers');

describe.skipIf(!available)('four consumer processes on one Redis queue', () => {
  let server: RedisServer;
  let consumerCommand: string[];
  let bundleDir: string | undefined;
  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'x-redis-consumer-'));
    // A server of the test's own: it drops every connection, which must not hit anyone else's.
    // The consumer's bundle is built meanwhile.
    [server, consumerCommand] = await Promise.all([RedisServer.start(), prepareFixture('consumer', bundleDir)]);
  });
  afterAll(async () => {
    await server?.stop();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it(`handle each of ${COUNT} requests exactly once while one is killed with SIGKILL and every connection is dropped`, { timeout: 180_000 }, async () => {
    const prefix = uniquePrefix('consumers');
    const producer = new RedisStorageClient({ url: server.url, prefix });
    const consumers: Consumer[] = [];
    try {
      const queue = await RequestQueue.open({ name: 'work', storageClient: producer });
      const { processedRequests } = await queue.addRequests(Array.from({ length: COUNT }, (_, i) => `https://example.com/item/${i}`));
      expect(processedRequests.filter((r) => !r.wasAlreadyPresent)).toHaveLength(COUNT);

      const victim = startConsumer(consumerCommand, server.url, prefix, 'work', VICTIM_AFTER);
      consumers.push(victim);
      for (let i = 0; i < 3; i++) consumers.push(startConsumer(consumerCommand, server.url, prefix, 'work', 0));

      // The victim stops with requests locked; it is killed there, mid-run.
      const holding = (await nextJson(victim))['holding'] as string[];
      expect(holding.length).toBeGreaterThan(0);
      const raw = await producer.openRequestQueue({ kind: 'name', name: 'work' });
      const locks = (await raw.listRequests({ limit: COUNT })).lockExpiresAt;
      const victimLocks = holding.map((id) => locks.get(id));
      expect(victimLocks.every((expiry) => expiry !== undefined)).toBe(true);
      victim.child.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');

      // Then every connection is dropped once while the others work.
      const log = await Dataset.open({ name: 'handled-log', storageClient: producer });
      while ((await log.getMetadata()).itemCount < COUNT / 2) await new Promise((resolve) => setTimeout(resolve, 50));
      const killed = Number(String(execFileSync('redis-cli', ['-p', String(server.port), 'CLIENT', 'KILL', 'TYPE', 'normal'])).trim());
      expect(killed).toBeGreaterThanOrEqual(3);

      // Every other consumer ends on its own when the queue is finished.
      const survivors = consumers.slice(1);
      const reports = await Promise.all(survivors.map((consumer) => nextJson(consumer)));
      for (const consumer of survivors) {
        const { code, stderr } = await consumer.exited;
        expect(code, stderr.slice(-2000)).toBe(0);
      }

      // Each request was marked handled exactly once, by one consumer.
      const entries = (await log.getData({ limit: COUNT * 2 })).items as { id: string; pid: number; handledAt: string }[];
      expect(entries).toHaveLength(COUNT);
      expect(new Set(entries.map((entry) => entry.id)).size).toBe(COUNT);
      expect(VICTIM_AFTER + reports.reduce((sum, report) => sum + (report['handled'] as number), 0)).toBe(COUNT);
      expect(entries.filter((entry) => entry.pid === victim.child.pid)).toHaveLength(VICTIM_AFTER);
      // The killed consumer's locked requests came back when their locks expired, and others handled them.
      for (const [i, id] of holding.entries()) {
        const entry = entries.find((e) => e.id === id)!;
        expect(entry.pid).not.toBe(victim.child.pid);
        expect(new Date(entry.handledAt).getTime()).toBeGreaterThanOrEqual(victimLocks[i]!.getTime() - 100);
      }
      // Exact counts, nothing locked.
      expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: COUNT, handledRequestCount: COUNT, pendingRequestCount: 0 });
      expect(await raw.isFinished()).toBe(true);
      expect(await raw.hasLockedRequests()).toBe(false);
    } finally {
      for (const consumer of consumers) consumer.child.kill('SIGKILL');
      await producer.close();
    }
  });
});
