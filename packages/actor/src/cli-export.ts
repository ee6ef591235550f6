import { once } from 'node:events';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { Dataset, csvLine, flattenItem, StorageError, type StorageClient } from '@x/core';
import type { ExportFormat } from './cli-args.js';
import { ProgressBar, wantsProgressBar, type ProgressStream } from './progress-bar.js';

/** Items read per page while exporting. */
export const EXPORT_PAGE_SIZE = 1000;

async function write(out: Writable, chunk: string): Promise<void> {
  if (chunk === '' || out.write(chunk)) return;
  await once(out, 'drain');
}

/** Finds a dataset of `client` by name or id without creating one. */
export async function findDataset(client: StorageClient, nameOrId: string): Promise<Dataset> {
  const all = await client.listDatasets();
  const found = all.find((d) => d.name === nameOrId) ?? all.find((d) => d.id === nameOrId);
  if (!found) throw new StorageError('not-found', `No dataset named or with id "${nameOrId}"`);
  return Dataset.open({ id: found.id, storageClient: client });
}

/**
 * Writes every item of `dataset` to `out` as a JSON array, JSON lines or CSV (the header is the
 * union of the flattened keys, found in a first pass), reading page by page. Draws a progress bar
 * on `progress` when it is a terminal and the dataset is large. Resolves to the item count.
 */
export async function exportDataset(dataset: Dataset, format: ExportFormat, out: Writable, progress: ProgressStream): Promise<number> {
  const total = (await dataset.getMetadata()).itemCount;
  const passes = format === 'csv' ? 2 : 1;
  const bar = wantsProgressBar(progress, total) ? new ProgressBar(progress, total * passes, `Exporting ${total} items`) : undefined;
  let count = 0;
  let columns: string[] = [];
  if (format === 'csv') {
    const seen = new Set<string>();
    for await (const item of dataset.iterateItems({ pageSize: EXPORT_PAGE_SIZE })) {
      for (const key of flattenItem(item).keys()) seen.add(key);
      bar?.tick(1);
    }
    columns = [...seen];
    if (columns.length > 0) await write(out, csvLine(columns));
  }
  if (format === 'json') await write(out, '[');
  let chunk = '';
  for await (const item of dataset.iterateItems({ pageSize: EXPORT_PAGE_SIZE })) {
    if (format === 'json') chunk += `${count === 0 ? '\n' : ',\n'}  ${JSON.stringify(item)}`;
    else if (format === 'jsonl') chunk += `${JSON.stringify(item)}\n`;
    else if (columns.length > 0) {
      const row = flattenItem(item);
      chunk += csvLine(columns.map((column) => row.get(column)));
    }
    count++;
    if (count % EXPORT_PAGE_SIZE === 0) {
      await write(out, chunk);
      chunk = '';
      bar?.tick(EXPORT_PAGE_SIZE);
    }
  }
  await write(out, chunk);
  if (format === 'json') await write(out, count === 0 ? ']\n' : '\n]\n');
  bar?.finish();
  return count;
}

/** Opens `path` for writing (making its folder when missing), as a stream that {@link closeOutput} ends. */
export async function openOutput(path: string): Promise<Writable> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'w');
  return handle.createWriteStream();
}

/** Ends a file stream and waits until it is written. */
export async function closeOutput(out: Writable): Promise<void> {
  out.end();
  await once(out, 'finish');
}
