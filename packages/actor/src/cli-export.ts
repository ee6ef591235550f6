import { once } from 'node:events';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { Dataset, StorageError, type StorageClient } from '@x/core';
import type { CliExportOptions, ExportFormat } from './cli-args.js';
import { ProgressBar, wantsProgressBar, type ProgressStream } from './progress-bar.js';

/** Items read per page while exporting. */
export const EXPORT_PAGE_SIZE = 1000;

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (chunk.length === 0 || out.write(chunk)) return;
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
 * Writes the items of `dataset` to `out` in `format` (any format of the export engine of
 * `@x/core`, with `options`), reading page by page and waiting while `out` is slow. Draws a
 * progress bar on `progress` when it is a terminal and the dataset is large (CSV, XLSX and HTML
 * read the items twice: once to find the columns). Resolves to the number of dataset positions
 * exported.
 */
export async function exportDataset(dataset: Dataset, format: ExportFormat, out: Writable, progress: ProgressStream, options: CliExportOptions = {}): Promise<number> {
  const total = (await dataset.getMetadata()).itemCount;
  let bar: ProgressBar | undefined;
  const exported = await dataset.exportStream({
    ...options,
    format,
    pageSize: EXPORT_PAGE_SIZE,
    onProgress: ({ read, toRead }) => {
      if (!bar && wantsProgressBar(progress, total)) bar = new ProgressBar(progress, toRead, `Exporting ${total} items`);
      bar?.tick(read - bar.done);
    },
  });
  for await (const chunk of exported) await write(out, chunk);
  bar?.finish();
  return exported.count;
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
