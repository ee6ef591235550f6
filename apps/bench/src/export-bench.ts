/**
 * The `export` group of `pnpm bench`: a dataset of 100,000 items (× scale) exported into a
 * key-value store record by our `Dataset.exportTo` (the core export engine, on the memory client)
 * and by Crawlee 3's `Dataset.exportToCSV` / `exportToJSON` on its `MemoryStorage`, side by side,
 * the same items, the fastest of the rounds kept. CSV is compared with Crawlee's CSV, JSONL and
 * JSON with Crawlee's JSON (Crawlee has no JSONL); the other formats are timed on our side only.
 *
 * Each side runs in a child process of its own (with `--expose-gc`), so neither pays for
 * collecting the other's heap, and they take turns: the parent asks one export at a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DatasetExportFormat } from '@x/core';
import { benchItem } from './bench-items.js';
import { crawleeVersion } from './crawlee-target.js';
import { formatOpsPerSec, formatRatio, renderTable } from './table.js';

/** Items exported at scale 1. */
export const EXPORT_ITEMS = 100_000;
/** Ratio ours ÷ Crawlee (items/s) the issue asks for, per format. */
const GOALS: Readonly<Partial<Record<DatasetExportFormat, number>>> = { csv: 3, jsonl: 3 };
/** Which of Crawlee's exports each of ours is compared with. */
const CRAWLEE_PEER: Readonly<Partial<Record<DatasetExportFormat, 'csv' | 'json'>>> = { csv: 'csv', jsonl: 'json', json: 'json' };
const FORMATS: readonly DatasetExportFormat[] = ['csv', 'jsonl', 'json', 'xlsx', 'xml', 'html', 'rss'];

/** What the parent asks a side: one export, timed. */
interface ExportRequest {
  readonly format: string;
}

/** What a side answers: the time of the export and the size of the record it wrote. */
interface ExportAnswer {
  readonly ms: number;
  readonly bytes: number;
}

/** One side, in its child process: fills its dataset, then times each export asked for. */
async function serveSide(side: 'ours' | 'crawlee', count: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const items = Array.from({ length: count }, (_, n) => benchItem(n));
  /** Runs one export (the part that is timed) and gives the check of its record (not timed). */
  let run: (format: string) => Promise<() => Promise<number>>;
  if (side === 'ours') {
    const { Dataset, KeyValueStore } = await import('@x/core');
    const { MemoryStorageClient } = await import('@x/memory-client');
    const storageClient = new MemoryStorageClient();
    const dataset = await Dataset.open({ name: 'export-bench', storageClient });
    for (let i = 0; i < count; i += 1000) await dataset.pushData(items.slice(i, i + 1000));
    const store = await KeyValueStore.open({ storageClient });
    run = async (format) => {
      await dataset.exportTo('OUT', { format: format as DatasetExportFormat });
      return async () => {
        const record = await store.getValue('OUT');
        if (format === 'json' && (record as unknown[]).length !== count) throw new Error('our json export is incomplete');
        return Buffer.isBuffer(record) ? record.length : typeof record === 'string' ? Buffer.byteLength(record) : JSON.stringify(record).length;
      };
    };
  } else {
    const { Configuration, Dataset, KeyValueStore, LogLevel, log } = await import('@crawlee/core');
    const { MemoryStorage } = await import('@crawlee/memory-storage');
    log.setLevel(LogLevel.OFF);
    const storageClient = new MemoryStorage({ persistStorage: false, writeMetadata: false });
    const config = new Configuration({ storageClient, persistStorage: false });
    const dataset = await Dataset.open('export-bench', { config, storageClient });
    for (let i = 0; i < count; i += 1000) await dataset.pushData(items.slice(i, i + 1000));
    const store = await KeyValueStore.open(null, { config, storageClient });
    run = async (format) => {
      if (format === 'csv') await dataset.exportToCSV('OUT');
      else await dataset.exportToJSON('OUT');
      return async () => {
        const record = (await store.getValue('OUT')) as unknown;
        if (format === 'json' ? (record as unknown[]).length !== count : String(record).split('\n').length < count) throw new Error(`Crawlee's ${format} export is incomplete`);
        return format === 'json' ? JSON.stringify(record, null, 2).length : Buffer.byteLength(String(record));
      };
    };
  }
  items.length = 0;
  process.on('message', (request: ExportRequest) => {
    void (async () => {
      gc?.();
      const started = performance.now();
      const check = await run(request.format);
      const ms = performance.now() - started;
      const answer: ExportAnswer = { ms, bytes: await check() };
      process.send!(answer);
    })().catch((error: unknown) => {
      process.stderr.write(`${side}: ${String(error)}\n`);
      process.exit(1);
    });
  });
  process.send!({ ready: true });
}

async function ask(child: ChildProcess, format: string): Promise<ExportAnswer> {
  child.send({ format } satisfies ExportRequest);
  const [answer] = (await once(child, 'message')) as [ExportAnswer];
  return answer;
}

async function startSide(side: 'ours' | 'crawlee', count: number): Promise<ChildProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--side', side, String(count)], {
    execArgv: [...process.execArgv.filter((flag) => !flag.startsWith('--expose-gc')), '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  return child;
}

/** Runs the group: prints its table and gives its JSON results. */
export async function runExportBench(options: {
  readonly scale: number;
  readonly rounds: number;
  readonly onProgress: (message: string) => void;
}): Promise<Record<string, unknown>> {
  const count = Math.max(1000, Math.round(EXPORT_ITEMS * options.scale));
  options.onProgress(`filling a dataset of ${count} items on each side (one process each)`);
  const [ours, crawlee] = await Promise.all([startSide('ours', count), startSide('crawlee', count)]);
  const best: Record<string, number> = {};
  const sizes: Record<string, number> = {};
  const keep = (key: string, answer: ExportAnswer): void => {
    best[key] = Math.min(best[key] ?? Number.POSITIVE_INFINITY, answer.ms);
    sizes[key] = answer.bytes;
  };
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const format of FORMATS) {
        const peer = CRAWLEE_PEER[format];
        // The formats without a peer are timed once.
        if (round > 1 && peer === undefined) continue;
        const mine = await ask(ours, format);
        keep(format, mine);
        let line = `round ${round}: ours ${format} ${(mine.ms / 1000).toFixed(2)} s`;
        if (peer) {
          const theirs = await ask(crawlee, peer);
          keep(`crawlee-${peer}`, theirs);
          line += `, Crawlee ${crawleeVersion} exportTo${peer.toUpperCase()} ${(theirs.ms / 1000).toFixed(2)} s`;
        }
        options.onProgress(line);
      }
    }
  } finally {
    ours.kill();
    crawlee.kill();
  }

  const rows: string[][] = [];
  const results = [];
  const missed: string[] = [];
  for (const format of FORMATS) {
    const oursPerSec = (count * 1000) / best[format]!;
    const peer = CRAWLEE_PEER[format];
    const theirsPerSec = peer ? (count * 1000) / best[`crawlee-${peer}`]! : undefined;
    const ratio = theirsPerSec === undefined ? undefined : oursPerSec / theirsPerSec;
    const goal = GOALS[format];
    const met = goal === undefined || ratio === undefined ? undefined : ratio >= goal;
    if (met === false) missed.push(`${format}: ${formatRatio(ratio)} < ${goal}×`);
    rows.push([
      format,
      `${(best[format]! / 1000).toFixed(3)} s`,
      formatOpsPerSec(oursPerSec),
      peer ? `exportTo${peer.toUpperCase()}` : '',
      peer ? `${(best[`crawlee-${peer}`]! / 1000).toFixed(3)} s` : '',
      formatRatio(ratio),
      goal === undefined ? '' : `≥ ${goal}×`,
      met === undefined ? '' : met ? 'met' : 'MISSED',
      `${(sizes[format]! / 1e6).toFixed(1)} MB`,
    ]);
    results.push({ format, ms: best[format], itemsPerSec: oursPerSec, crawlee: peer, crawleeMs: peer ? best[`crawlee-${peer}`] : undefined, ratio, goal, met, bytes: sizes[format] });
  }
  const table = renderTable(
    ['format', 'ours', 'ours items/s', `Crawlee ${crawleeVersion}`, 'Crawlee', 'ratio', 'target', 'met', 'size'],
    rows,
    ['left', 'right', 'right', 'left', 'right', 'right', 'left', 'left', 'right'],
  );
  process.stdout.write(
    `\nDataset export of ${count} items into a key-value store record, in memory: Dataset.exportTo (@x/core on @x/memory-client) vs ` +
      `Crawlee's Dataset.exportToCSV/exportToJSON on MemoryStorage, each side in a process of its own, taking turns (the fastest of ${options.rounds} runs; formats without a peer once)\n${table}\n` +
      (missed.length === 0 ? '' : `TARGETS MISSED: ${missed.join('; ')}\n`) +
      '\n',
  );
  return { group: 'export', items: count, rounds: options.rounds, results, missed };
}

// A side's child process.
if (process.argv[2] === '--side') await serveSide(process.argv[3] as 'ours' | 'crawlee', Number(process.argv[4]));
