import { KeyValueStore, type StorageClient } from '@x/core';

/** One row of `x-actor storages`. */
export interface StorageRow {
  readonly kind: 'dataset' | 'key-value store' | 'request queue';
  readonly id: string;
  readonly name: string | undefined;
  /** Items, records or requests. */
  readonly count: number;
  /** The count with its unit, and for queues how many are handled and pending. */
  readonly description: string;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function byName(a: { id: string; name?: string | undefined }, b: { id: string; name?: string | undefined }): number {
  return (a.name ?? a.id).localeCompare(b.name ?? b.id);
}

/** Every storage of `client` with its counts: datasets, then key-value stores, then request queues. */
export async function listStorages(client: StorageClient): Promise<StorageRow[]> {
  const rows: StorageRow[] = [];
  for (const d of (await client.listDatasets()).sort(byName)) {
    rows.push({ kind: 'dataset', id: d.id, name: d.name, count: d.itemCount, description: plural(d.itemCount, 'item') });
  }
  for (const s of (await client.listKeyValueStores()).sort(byName)) {
    const store = await KeyValueStore.open({ id: s.id, storageClient: client });
    let count = 0;
    for await (const _ of store.iterateKeys()) count++;
    rows.push({ kind: 'key-value store', id: s.id, name: s.name, count, description: plural(count, 'record') });
  }
  for (const q of (await client.listRequestQueues()).sort(byName)) {
    rows.push({
      kind: 'request queue',
      id: q.id,
      name: q.name,
      count: q.totalRequestCount,
      description: `${plural(q.totalRequestCount, 'request')} (${q.handledRequestCount} handled, ${q.pendingRequestCount} pending)`,
    });
  }
  return rows;
}

/** Lays rows out as a plain text table with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The table `x-actor storages` prints. */
export function formatStorages(rows: readonly StorageRow[]): string {
  return formatTable(
    ['TYPE', 'NAME', 'ID', 'COUNT'],
    rows.map((row) => [row.kind, row.name ?? '-', row.id, row.description]),
  );
}
