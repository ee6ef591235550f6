/**
 * The scale run of the dataset export (issue 13): a dataset of N items (default 1,000,000), in the
 * local layout on disk (`--client fs`, the default) or in a redis-server of its own (`--client
 * redis`), exported to each format by `Dataset.exportStream` into a file, each format in a fresh
 * process so that its time and peak RSS are its own (target: under 256 MB). The RSS after opening
 * the dataset, before the export, is printed too: the fs client lists the folder's million files
 * when it opens a dataset. Not a test: a program that prints figures.
 *
 * `--max-old-space-size MB` runs the exports with that V8 heap limit: an export whose live memory
 * grew with the dataset would fail there.
 *
 *   pnpm --filter @x/bench run bench:scale-export [--items N] [--client fs|redis] [--formats csv,xlsx] [--max-old-space-size MB] [--dir DIR] [--keep]
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
import { RedisStorageClient } from '@x/redis-client';
import { benchItem } from './bench-items.js';
import { startBenchRedis } from './redis-server.js';

/** Peak RSS wanted for an export of any size. */
const RSS_TARGET_MB = 256;

interface StepReport {
  readonly step: string;
  readonly seconds: number;
  readonly peakRssMb: number;
  /** Peak RSS once the dataset was opened, before the export started. */
  readonly openRssMb?: number;
  readonly bytes: number;
  readonly detail: string;
}

/** Where the dataset lives: a folder (fs client) or a Redis URL and key prefix. */
interface Place {
  readonly client: 'fs' | 'redis';
  readonly dir: string;
  readonly url?: string | undefined;
  readonly prefix?: string | undefined;
}

function storageClientOf(place: Place): FileSystemStorageClient | RedisStorageClient {
  return place.client === 'redis' ? new RedisStorageClient({ url: place.url, prefix: place.prefix }) : new FileSystemStorageClient({ storageDir: place.dir });
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Writes the items: on disk as Crawlee and the fs client lay them out (one file per item, nine-digit
 * names from 1), or into Redis through the client in batches of 1000.
 */
async function writeDataset(place: Place, items: number): Promise<StepReport> {
  const started = performance.now();
  if (place.client === 'redis') {
    const storageClient = storageClientOf(place);
    const dataset = await Dataset.open({ storageClient });
    for (let n = 1; n <= items; n += 1000) await dataset.pushData(Array.from({ length: Math.min(1000, items - n + 1) }, (_, i) => benchItem(n + i)));
    await storageClient.close();
    return { step: 'write', seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb(), bytes: 0, detail: `${items} items pushed` };
  }
  const dir = place.dir;
  const datasetDir = join(dir, 'datasets', 'default');
  mkdirSync(datasetDir, { recursive: true });
  for (let n = 1; n <= items; n++) writeFileSync(join(datasetDir, `${String(n).padStart(9, '0')}.json`), JSON.stringify(benchItem(n)));
  return { step: 'write', seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb(), bytes: 0, detail: `${items} item files` };
}

/** One export, run in this (child) process. */
async function exportStep(place: Place, format: DatasetExportFormat): Promise<StepReport> {
  const storageClient = storageClientOf(place);
  const dataset = await Dataset.open({ storageClient });
  await dataset.getMetadata();
  const openRssMb = peakRssMb();
  const started = performance.now();
  const out = join(place.dir, `export.${format}`);
  const exported = await dataset.exportStream({ format });
  const columnsFound = (performance.now() - started) / 1000;
  await pipeline(exported.toReadable(), createWriteStream(out));
  const seconds = (performance.now() - started) / 1000;
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  await storageClient.close();
  const detail = `${exported.count} items${exported.columns ? `, ${exported.columns.length} columns found in ${columnsFound.toFixed(1)} s` : ''}`;
  return { step: format, seconds, peakRssMb: peakRssMb(), openRssMb, bytes, detail };
}

function runChild(args: readonly string[], nodeFlags: readonly string[] = []): StepReport {
  const child = spawnSync(process.execPath, [...nodeFlags, ...process.execArgv, fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
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
      client: { type: 'string' },
      url: { type: 'string' },
      prefix: { type: 'string' },
      'max-old-space-size': { type: 'string' },
    },
  });
  const items = Number(values.items ?? 1_000_000);
  const client = values.client ?? 'fs';
  if (client !== 'fs' && client !== 'redis') throw new Error(`--client must be fs or redis, got ${client}`);
  if (values.step !== undefined) {
    const place: Place = { client, dir: values.dir!, url: values.url, prefix: values.prefix };
    const report = values.step === 'write' ? await writeDataset(place, items) : await exportStep(place, values.step as DatasetExportFormat);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const formats = (values.formats?.split(',') ?? [...DATASET_EXPORT_FORMATS]).map((format) => format.trim());
  for (const format of formats) if (!isDatasetExportFormat(format)) throw new Error(`unknown format ${format}`);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'x-bench-scale-export-'));
  const redis = client === 'redis' ? await startBenchRedis() : undefined;
  const placeArgs = ['--client', client, '--dir', dir, '--items', String(items), ...(redis ? ['--url', redis.url, '--prefix', `scale-export-${Date.now().toString(36)}`] : [])];
  process.stderr.write(`Dataset export at scale: ${items} items ${redis ? `in Redis (${redis.own ? 'a redis-server of its own' : redis.url})` : `in ${dir}`}; formats ${formats.join(', ')}; Node ${process.version}\n`);
  const reports: StepReport[] = [];
  try {
    reports.push(runChild(['--step', 'write', ...placeArgs]));
    process.stderr.write(`  wrote ${items} items in ${reports[0]!.seconds.toFixed(0)} s\n`);
    for (const format of formats) {
      const heap = values['max-old-space-size'];
      const report = runChild(['--step', format, ...placeArgs], heap === undefined ? [] : [`--max-old-space-size=${heap}`]);
      reports.push(report);
      process.stderr.write(`  ${format}: ${report.seconds.toFixed(1)} s, peak RSS ${report.peakRssMb} MB\n`);
    }
  } finally {
    if (redis && !redis.own) await redis.command(['EVAL', "for _, key in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('UNLINK', key) end", '0', `*${placeArgs.at(-1)}*`]);
    await redis?.stop();
    if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const lines = reports
    .filter((report) => report.step !== 'write')
    .map((report) => {
      const rate = Math.round(items / report.seconds).toLocaleString('en-US');
      const met = report.peakRssMb < RSS_TARGET_MB ? 'met' : 'MISSED';
      return `${report.step.padEnd(6)} ${report.seconds.toFixed(1).padStart(7)} s ${rate.padStart(9)} items/s  peak RSS ${String(report.peakRssMb).padStart(4)} MB (< ${RSS_TARGET_MB} MB: ${met}; ${report.openRssMb} MB once opened)  ${(report.bytes / 1e6).toFixed(0).padStart(5)} MB  ${report.detail}`;
    });
  const heapNote = values['max-old-space-size'] === undefined ? '' : `, V8 heap limited to ${values['max-old-space-size']} MB`;
  process.stdout.write(`\nExport of ${items} items (${client} client${heapNote}, Dataset.exportStream into a file, one process per format)\n${lines.join('\n')}\n`);
}

await main();
