/**
 * The `export` group of `pnpm bench`: a dataset of 100,000 items (× scale) exported into a
 * key-value store record by our `Dataset.exportTo` (the core export engine, on the memory client)
 * and by Crawlee 3's `Dataset.exportToCSV` / `exportToJSON` on its `MemoryStorage`, side by side,
 * the same items, the fastest of the rounds kept. CSV is compared with Crawlee's CSV, JSONL and
 * JSON with Crawlee's JSON (Crawlee has no JSONL); the other formats are timed on our side only.
 */
import { Configuration, Dataset as CrawleeDataset, KeyValueStore as CrawleeKeyValueStore, LogLevel, log } from '@crawlee/core';
import { MemoryStorage } from '@crawlee/memory-storage';
import { Dataset, KeyValueStore, type DatasetExportFormat } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { benchItem } from './bench-items.js';
import { crawleeVersion } from './crawlee-target.js';
import { formatOpsPerSec, formatRatio, renderTable } from './table.js';

/** Items exported at scale 1. */
export const EXPORT_ITEMS = 100_000;
/** Ratio ours ÷ Crawlee (items/s) the issue asks for, per format. */
const GOALS: Readonly<Partial<Record<DatasetExportFormat, number>>> = { csv: 3, jsonl: 3 };
/** Which of Crawlee's exports each of ours is compared with. */
const CRAWLEE_PEER: Readonly<Partial<Record<DatasetExportFormat, 'csv' | 'json'>>> = { csv: 'csv', jsonl: 'json', json: 'json' };

const gc = (globalThis as { gc?: () => void }).gc;

async function timed(run: () => Promise<unknown>): Promise<number> {
  gc?.();
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Runs the group: prints its table and gives its JSON results. */
export async function runExportBench(options: {
  readonly scale: number;
  readonly rounds: number;
  readonly onProgress: (message: string) => void;
}): Promise<Record<string, unknown>> {
  log.setLevel(LogLevel.OFF);
  const count = Math.max(1000, Math.round(EXPORT_ITEMS * options.scale));
  const items = Array.from({ length: count }, (_, n) => benchItem(n));

  const ourClient = new MemoryStorageClient();
  const ours = await Dataset.open({ name: 'export-bench', storageClient: ourClient });
  for (let i = 0; i < count; i += 1000) await ours.pushData(items.slice(i, i + 1000));
  const ourStore = await KeyValueStore.open({ storageClient: ourClient });

  const crawleeStorage = new MemoryStorage({ persistStorage: false, writeMetadata: false });
  const config = new Configuration({ storageClient: crawleeStorage, persistStorage: false });
  const theirs = await CrawleeDataset.open('export-bench', { config, storageClient: crawleeStorage });
  for (let i = 0; i < count; i += 1000) await theirs.pushData(items.slice(i, i + 1000));
  const theirStore = await CrawleeKeyValueStore.open(null, { config, storageClient: crawleeStorage });

  const formats: DatasetExportFormat[] = ['csv', 'jsonl', 'json', 'xlsx', 'xml', 'html', 'rss'];
  const best: Record<string, number> = {};
  const keep = (key: string, ms: number): void => {
    best[key] = Math.min(best[key] ?? Number.POSITIVE_INFINITY, ms);
  };
  const sizes: Record<string, number> = {};
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const crawleeFormat of ['csv', 'json'] as const) {
        const ms = await timed(() => (crawleeFormat === 'csv' ? theirs.exportToCSV('OUT') : theirs.exportToJSON('OUT')));
        keep(`crawlee-${crawleeFormat}`, ms);
        const stored = (await theirStore.getValue('OUT')) as unknown;
        if (crawleeFormat === 'json' ? (stored as unknown[]).length !== count : String(stored).split('\n').length < count) throw new Error(`Crawlee's ${crawleeFormat} export is incomplete`);
        options.onProgress(`Crawlee ${crawleeVersion} exportTo${crawleeFormat.toUpperCase()}, round ${round}: ${(ms / 1000).toFixed(2)} s`);
      }
      for (const format of formats) {
        // The slow formats are timed once: they have no baseline.
        if (round > 1 && GOALS[format] === undefined && CRAWLEE_PEER[format] === undefined) continue;
        const ms = await timed(() => ours.exportTo(`OUT-${format}`, { format }));
        keep(format, ms);
        const record = await ourStore.getValue(`OUT-${format}`);
        sizes[format] = Buffer.isBuffer(record) ? record.length : typeof record === 'string' ? Buffer.byteLength(record) : JSON.stringify(record).length;
        if (format === 'json' && (record as unknown[]).length !== count) throw new Error('our json export is incomplete');
        options.onProgress(`ours ${format}, round ${round}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
  } finally {
    await ourClient.close();
    await crawleeStorage.teardown();
  }

  const rows: string[][] = [];
  const results = [];
  const missed: string[] = [];
  for (const format of formats) {
    const oursPerSec = (count * 1000) / best[format]!;
    const peer = CRAWLEE_PEER[format];
    const theirsPerSec = peer ? (count * 1000) / best[`crawlee-${peer}`]! : undefined;
    const ratio = theirsPerSec === undefined ? undefined : oursPerSec / theirsPerSec;
    const goal = GOALS[format];
    const met = goal === undefined || ratio === undefined ? undefined : ratio >= goal;
    if (met === false) missed.push(`${format}: ${formatRatio(ratio)} < ${goal}×`);
    rows.push([
      format,
      `${(best[format]! / 1000).toFixed(2)} s`,
      formatOpsPerSec(oursPerSec),
      peer ? `exportTo${peer.toUpperCase()}` : '',
      theirsPerSec === undefined ? '' : formatOpsPerSec(theirsPerSec),
      formatRatio(ratio),
      goal === undefined ? '' : `≥ ${goal}×`,
      met === undefined ? '' : met ? 'met' : 'MISSED',
      `${(sizes[format]! / 1e6).toFixed(1)} MB`,
    ]);
    results.push({ format, ms: best[format], itemsPerSec: oursPerSec, crawlee: peer, crawleeItemsPerSec: theirsPerSec, ratio, goal, met, bytes: sizes[format] });
  }
  const table = renderTable(
    ['format', 'ours', 'ours items/s', `Crawlee ${crawleeVersion}`, 'Crawlee items/s', 'ratio', 'target', 'met', 'size'],
    rows,
    ['left', 'right', 'right', 'left', 'right', 'right', 'left', 'left', 'right'],
  );
  process.stdout.write(
    `\nDataset export of ${count} items into a key-value store record, in memory: Dataset.exportTo (@x/core on @x/memory-client) vs ` +
      `Crawlee's Dataset.exportToCSV/exportToJSON on MemoryStorage (the fastest of ${options.rounds} runs; formats without a peer once)\n${table}\n` +
      (missed.length === 0 ? '' : `TARGETS MISSED: ${missed.join('; ')}\n`) +
      '\n',
  );
  return { group: 'export', items: count, rounds: options.rounds, results, missed };
}
