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
const NEWLINE = 0x0a;
const TAB = 0x09;

/** What a snapshot records of a request: its order key (`null` when handled). */
export interface SnapshotEntry {
  readonly orderNo: number | null;
}

function folderTime(dir: string): bigint {
  return statSync(dir, { bigint: true }).mtimeNs;
}

/** Writes the snapshot of the queue folder `dir` holding `entries` by id (what is on disk now). */
export function writeQueueSnapshot(dir: string, entries: ReadonlyMap<string, SnapshotEntry>, options: WriteOptions): void {
  const snapshotDir = join(dir, SNAPSHOT_DIR);
  ensureDirSync(snapshotDir);
  // After the subfolder exists: creating it was the last change to the queue folder.
  const lines = [`${HEADER} ${folderTime(dir)} ${entries.size}`];
  for (const [id, { orderNo }] of entries) lines.push(`${id}\t${orderNo === null ? '-' : orderNo}`);
  writeFileAtomicSync(join(snapshotDir, SNAPSHOT_FILE), `${lines.join('\n')}\n`, options);
}

/** The requests of a snapshot: ids and order keys side by side (`null` when handled). */
export interface SnapshotEntries {
  readonly ids: string[];
  readonly orderNos: (number | null)[];
}

/** The snapshot of the queue folder `dir`, or `undefined` when there is none that still holds. */
export function readQueueSnapshot(dir: string): SnapshotEntries | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, SNAPSHOT_DIR, SNAPSHOT_FILE));
  } catch {
    return undefined;
  }
  const firstLineEnd = bytes.indexOf(NEWLINE);
  if (firstLineEnd === -1) return undefined;
  const header = bytes.toString('latin1', 0, firstLineEnd).split(' ');
  if (`${header[0]} ${header[1]}` !== HEADER || header.length !== 4) return undefined;
  if (header[2] !== String(folderTime(dir))) return undefined;
  const count = Number(header[3]);
  const ids: string[] = [];
  const orderNos: (number | null)[] = [];
  // Each id is decoded on its own from the bytes: a slice of one big string would keep all of it alive.
  for (let start = firstLineEnd + 1; start < bytes.length; ) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) return undefined; // Cut short.
    const tab = bytes.indexOf(TAB, start);
    if (tab === -1 || tab > end) return undefined;
    const value = bytes.toString('latin1', tab + 1, end);
    const orderNo = value === '-' ? null : Number(value);
    if (orderNo !== null && (value === '' || !Number.isFinite(orderNo))) return undefined;
    ids.push(bytes.toString('utf8', start, tab));
    orderNos.push(orderNo);
    start = end + 1;
  }
  return ids.length === count ? { ids, orderNos } : undefined;
}
