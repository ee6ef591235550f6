/**
 * The scale run of the fs client's request queue (issue 3): a queue of N requests (default
 * 1,000,000) added, reopened, half of it fetched and handled by a process that is then killed
 * (SIGKILL), reopened after the kill, fetched and handled to the end, reopened again, and reopened
 * once more with its snapshot and journal removed (every request file read). Each step runs in a
 * fresh process so its time and peak RSS are its own. Not a test: a program that prints figures.
 *
 *   pnpm --filter @x/bench run bench:scale [--requests N] [--dir DIR] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RequestQueue } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';

const BATCH = 1000;
/** The steps, in order; each runs in a process of its own. */
const STEPS = ['add', 'open', 'drain-half-and-die', 'open-after-kill', 'drain', 'reopen', 'open-from-files'] as const;
/** Steps that only open the queue: their time is the open's. */
const OPEN_STEPS = new Set<string>(['open', 'open-after-kill', 'reopen', 'open-from-files']);
const QUEUE_NAME = 'scale';

interface StepReport {
  readonly step: string;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly detail: string;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function openQueue(dir: string): Promise<{ queue: RequestQueue; seconds: number }> {
  const start = performance.now();
  const storageClient = new FileSystemStorageClient({ storageDir: dir });
  const queue = await RequestQueue.open({ name: QUEUE_NAME, storageClient });
  return { queue, seconds: (performance.now() - start) / 1000 };
}

/** One step, run in this (child) process. */
async function runStep(step: string, dir: string, requests: number): Promise<StepReport> {
  // As after a crash that also lost the snapshot: every request file is read.
  if (step === 'open-from-files') rmSync(join(dir, 'request_queues', QUEUE_NAME, '.x-index'), { recursive: true, force: true });
  const start = performance.now();
  const { queue, seconds: openSeconds } = await openQueue(dir);
  const meta = await queue.getMetadata();
  let detail = `opened in ${openSeconds.toFixed(1)} s: ${meta.totalRequestCount} requests, ${meta.handledRequestCount} handled`;
  if (step === 'add') {
    for (let i = 0; i < requests; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, requests - i) }, (_, j) => ({
        url: `https://shop.example.com/products/${i + j}?ref=scale`,
        userData: { label: 'PRODUCT', index: i + j },
      }));
      await queue.addRequests(batch);
    }
    detail = `added ${(await queue.getMetadata()).totalRequestCount} requests in batches of ${BATCH}`;
  } else if (step === 'drain' || step === 'drain-half-and-die') {
    const limit = step === 'drain' ? Infinity : Math.floor(requests / 2);
    let handled = 0;
    for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
      await queue.markRequestAsHandled(request);
      if (++handled >= limit) break;
    }
    detail = `${detail}; fetched and handled ${handled} requests`;
    if (step === 'drain-half-and-die') {
      const report: StepReport = { step, seconds: (performance.now() - start) / 1000, peakRssMb: peakRssMb(), detail: `${detail}, then killed` };
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (!(await queue.isFinished())) throw new Error('the queue is not finished after draining it');
  }
  return { step, seconds: OPEN_STEPS.has(step) ? openSeconds : (performance.now() - start) / 1000, peakRssMb: peakRssMb(), detail };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      step: { type: 'string' },
    },
  });
  const requests = Number(values.requests ?? 1_000_000);
  if (!Number.isInteger(requests) || requests < 1) throw new Error(`--requests must be a positive integer, got ${values.requests}`);
  if (values.step) {
    const report = await runStep(values.step, values.dir!, requests);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'x-bench-scale-'));
  const script = fileURLToPath(import.meta.url);
  const reports: StepReport[] = [];
  try {
    for (const step of STEPS) {
      process.stderr.write(`${step}…\n`);
      const child = spawnSync(process.execPath, [...process.execArgv, script, '--step', step, '--dir', dir, '--requests', String(requests)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      const expectedEnd = step === 'drain-half-and-die' ? child.signal === 'SIGKILL' : child.status === 0;
      if (!expectedEnd) throw new Error(`step ${step} failed (exit ${child.status}, signal ${child.signal})`);
      const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as StepReport;
      reports.push(report);
      process.stderr.write(`  ${report.detail}\n`);
    }
  } finally {
    if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
  }
  const count = requests.toLocaleString('en-US');
  const label: Record<string, string> = {
    add: `add ${count} requests`,
    open: `open the folder (${count} pending)`,
    'drain-half-and-die': 'fetch + mark handled half, then SIGKILL',
    'open-after-kill': 'open the folder after the kill',
    drain: 'fetch + mark handled to the end',
    reopen: `open the folder (${count} handled)`,
    'open-from-files': 'open with snapshot and journal deleted',
  };
  process.stdout.write(`\nfs-client request queue at scale (${requests.toLocaleString('en-US')} requests, one process per step)\n`);
  process.stdout.write(`${'step'.padEnd(44)} ${'seconds'.padStart(8)} ${'ops/s'.padStart(9)} ${'peak RSS'.padStart(9)}\n`);
  for (const r of reports) {
    const done = r.step === 'add' ? requests : r.step === 'drain-half-and-die' ? Math.floor(requests / 2) : r.step === 'drain' ? requests - Math.floor(requests / 2) : 0;
    const ops = done > 0 ? Math.round(done / r.seconds).toLocaleString('en-US') : '';
    process.stdout.write(`${label[r.step]!.padEnd(44)} ${r.seconds.toFixed(1).padStart(8)} ${ops.padStart(9)} ${`${r.peakRssMb} MB`.padStart(9)}\n`);
  }
  const peak = Math.max(...reports.map((r) => r.peakRssMb));
  const opens = reports.filter((r) => r.step === 'open' || r.step === 'open-after-kill' || r.step === 'reopen');
  process.stdout.write(
    `Targets: peak RSS under 512 MB in every step (${peak} MB): ${peak < 512 ? 'met' : 'MISSED'}; ` +
      `reopen under 15 s, after a clean exit and after SIGKILL: ${opens.every((r) => r.seconds < 15) ? 'met' : 'MISSED'}\n`,
  );
}

await main();
