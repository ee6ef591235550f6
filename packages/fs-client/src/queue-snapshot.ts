import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirSync, writeFileAtomicSync, type WriteOptions } from './safe-files.js';

/**
 * A queue folder's snapshot: the order key of every request file, written when a process is done
 * with a large queue, so the next open reads one file instead of a million. It lives in a hidden
 * subfolder, which Crawlee and our scans skip, and writing it does not touch the queue folder.
 *
 * It holds only while the queue folder is unchanged: it records the folder's modification time
 * (in nanoseconds), which every file written there by rename, created or deleted, moves on
 * (Crawlee's writes too: they create lock folders beside the file). Any difference and the
 * folder is scanned file by file as usual.
 */
const SNAPSHOT_DIR = '.x-index';
const SNAPSHOT_FILE = 'queue-snapshot.txt';
const HEADER = 'x-queue-snapshot 1';

/** One request in a snapshot: its id and its order key (`null` when handled). */
export interface SnapshotEntry {
  readonly id: string;
  readonly orderNo: number | null;
}

function folderTime(dir: string): bigint {
  return statSync(dir, { bigint: true }).mtimeNs;
}

/** Writes the snapshot of the queue folder `dir` holding `entries` (what is on disk now). */
export function writeQueueSnapshot(dir: string, entries: Iterable<SnapshotEntry>, count: number, options: WriteOptions): void {
  const snapshotDir = join(dir, SNAPSHOT_DIR);
  ensureDirSync(snapshotDir);
  // After the subfolder exists: creating it was the last change to the queue folder.
  const lines = [`${HEADER} ${folderTime(dir)} ${count}`];
  for (const { id, orderNo } of entries) lines.push(`${id}\t${orderNo === null ? '-' : orderNo}`);
  writeFileAtomicSync(join(snapshotDir, SNAPSHOT_FILE), `${lines.join('\n')}\n`, options);
}

/** The snapshot of the queue folder `dir`, or `undefined` when there is none that still holds. */
export function readQueueSnapshot(dir: string): SnapshotEntry[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, SNAPSHOT_DIR, SNAPSHOT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const firstLineEnd = text.indexOf('\n');
  const header = text.slice(0, firstLineEnd).split(' ');
  if (firstLineEnd === -1 || `${header[0]} ${header[1]}` !== HEADER || header.length !== 4) return undefined;
  if (header[2] !== String(folderTime(dir))) return undefined;
  const count = Number(header[3]);
  const entries: SnapshotEntry[] = [];
  let start = firstLineEnd + 1;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end === -1) return undefined; // Cut short.
    const tab = text.indexOf('\t', start);
    if (tab === -1 || tab > end) return undefined;
    const value = text.slice(tab + 1, end);
    const orderNo = value === '-' ? null : Number(value);
    if (orderNo !== null && !Number.isFinite(orderNo)) return undefined;
    entries.push({ id: text.slice(start, tab), orderNo });
    start = end + 1;
  }
  return entries.length === count ? entries : undefined;
}
