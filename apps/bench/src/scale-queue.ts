/**
 * The scale run of the fs client's request queue (issue 3): a queue of N requests (default
 * 1,000,000) added, reopened, fetched and handled to the end, and reopened again, each step in a
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
  } else if (step === 'drain') {
    let handled = 0;
    for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
      await queue.markRequestAsHandled(request);
      handled++;
    }
    if (!(await queue.isFinished())) throw new Error('the queue is not finished after draining it');
    detail = `${detail}; fetched and handled ${handled} requests`;
  }
  return { step, seconds: step === 'open' || step === 'reopen' ? openSeconds : (performance.now() - start) / 1000, peakRssMb: peakRssMb(), detail };
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
    for (const step of ['add', 'open', 'drain', 'reopen']) {
      process.stderr.write(`${step}…\n`);
      const child = spawnSync(process.execPath, [...process.execArgv, script, '--step', step, '--dir', dir, '--requests', String(requests)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`step ${step} failed (exit ${child.status})`);
      const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as StepReport;
      reports.push(report);
      process.stderr.write(`  ${report.detail}\n`);
    }
  } finally {
    if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
  }
  const label: Record<string, string> = {
    add: `add ${requests.toLocaleString('en-US')} requests`,
    open: `open the folder (${requests.toLocaleString('en-US')} pending)`,
    drain: 'fetch + mark handled to the end',
    reopen: `open the folder (${requests.toLocaleString('en-US')} handled)`,
  };
  process.stdout.write(`\nfs-client request queue at scale (${requests.toLocaleString('en-US')} requests, one process per step)\n`);
  process.stdout.write(`${'step'.padEnd(44)} ${'seconds'.padStart(8)} ${'ops/s'.padStart(9)} ${'peak RSS'.padStart(9)}\n`);
  for (const r of reports) {
    const ops = r.step === 'add' || r.step === 'drain' ? Math.round(requests / r.seconds).toLocaleString('en-US') : '';
    process.stdout.write(`${label[r.step]!.padEnd(44)} ${r.seconds.toFixed(1).padStart(8)} ${ops.padStart(9)} ${`${r.peakRssMb} MB`.padStart(9)}\n`);
  }
  const drain = reports.find((r) => r.step === 'drain');
  const open = reports.filter((r) => r.step === 'open' || r.step === 'reopen');
  process.stdout.write(
    `Targets: peak RSS under 512 MB while draining: ${drain && drain.peakRssMb < 512 ? 'met' : 'MISSED'}; ` +
      `reopen under 15 s: ${open.every((r) => r.seconds < 15) ? 'met' : 'MISSED'}\n`,
  );
}

await main();
