/**
 * The scale run of the dataset export (issue 13): a dataset of N items (default 1,000,000) in the
 * local layout on disk, exported to each format by `Dataset.exportStream` on the fs client into a
 * file, each format in a fresh process so that its time and peak RSS are its own (target: under
 * 256 MB). Not a test: a program that prints figures.
 *
 *   pnpm --filter @x/bench run bench:scale-export [--items N] [--formats csv,xlsx] [--dir DIR] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DATASET_EXPORT_FORMATS, Dataset, isDatasetExportFormat, type DatasetExportFormat } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { benchItem } from './export-bench.js';

/** Peak RSS wanted for an export of any size. */
const RSS_TARGET_MB = 256;

interface StepReport {
  readonly step: string;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly bytes: number;
  readonly detail: string;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Writes the items as Crawlee and the fs client lay them out: one file per item, nine-digit names from 1. */
function writeDataset(dir: string, items: number): StepReport {
  const started = performance.now();
  const datasetDir = join(dir, 'datasets', 'default');
  mkdirSync(datasetDir, { recursive: true });
  for (let n = 1; n <= items; n++) writeFileSync(join(datasetDir, `${String(n).padStart(9, '0')}.json`), JSON.stringify(benchItem(n)));
  return { step: 'write', seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb(), bytes: 0, detail: `${items} item files` };
}

/** One export, run in this (child) process. */
async function exportStep(dir: string, format: DatasetExportFormat): Promise<StepReport> {
  const started = performance.now();
  const storageClient = new FileSystemStorageClient({ storageDir: dir });
  const dataset = await Dataset.open({ storageClient });
  const out = join(dir, `export.${format}`);
  const exported = await dataset.exportStream({ format });
  const columnsFound = (performance.now() - started) / 1000;
  await pipeline(exported.toReadable(), createWriteStream(out));
  const seconds = (performance.now() - started) / 1000;
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  await storageClient.close();
  const detail = `${exported.count} items${exported.columns ? `, ${exported.columns.length} columns found in ${columnsFound.toFixed(1)} s` : ''}`;
  return { step: format, seconds, peakRssMb: peakRssMb(), bytes, detail };
}

function runChild(args: readonly string[]): StepReport {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`step ${args.join(' ')} failed with ${child.status}: ${child.stdout}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as StepReport;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      items: { type: 'string' },
      formats: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      step: { type: 'string' },
    },
  });
  const items = Number(values.items ?? 1_000_000);
  if (values.step !== undefined) {
    const report = values.step === 'write' ? writeDataset(values.dir!, items) : await exportStep(values.dir!, values.step as DatasetExportFormat);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const formats = (values.formats?.split(',') ?? [...DATASET_EXPORT_FORMATS]).map((format) => format.trim());
  for (const format of formats) if (!isDatasetExportFormat(format)) throw new Error(`unknown format ${format}`);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'x-bench-scale-export-'));
  process.stderr.write(`Dataset export at scale: ${items} items in ${dir}; formats ${formats.join(', ')}; Node ${process.version}\n`);
  const reports: StepReport[] = [];
  try {
    reports.push(runChild(['--step', 'write', '--dir', dir, '--items', String(items)]));
    process.stderr.write(`  wrote ${items} items in ${reports[0]!.seconds.toFixed(0)} s\n`);
    for (const format of formats) {
      const report = runChild(['--step', format, '--dir', dir, '--items', String(items)]);
      reports.push(report);
      process.stderr.write(`  ${format}: ${report.seconds.toFixed(1)} s, peak RSS ${report.peakRssMb} MB\n`);
    }
  } finally {
    if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const lines = reports
    .filter((report) => report.step !== 'write')
    .map((report) => {
      const rate = Math.round(items / report.seconds).toLocaleString('en-US');
      const met = report.peakRssMb < RSS_TARGET_MB ? 'met' : 'MISSED';
      return `${report.step.padEnd(6)} ${report.seconds.toFixed(1).padStart(7)} s ${rate.padStart(9)} items/s  peak RSS ${String(report.peakRssMb).padStart(4)} MB (< ${RSS_TARGET_MB} MB: ${met})  ${(report.bytes / 1e6).toFixed(0).padStart(5)} MB  ${report.detail}`;
    });
  process.stdout.write(`\nExport of ${items} items (fs client, Dataset.exportStream into a file, one process per format)\n${lines.join('\n')}\n`);
}

await main();
