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

function folderTime(dir: string): bigint {
  return statSync(dir, { bigint: true }).mtimeNs;
}

/** The requests of a queue, as a snapshot needs them. */
export interface SnapshotSource {
  readonly size: number;
  /** Calls `visit` with each request's id and order key (`null` when handled). */
  forEach(visit: (id: string, orderNo: number | null) => void): void;
}

/** Lines of the snapshot go to the file in chunks of about this many bytes. */
const CHUNK_BYTES = 1 << 20;

/** Writes the snapshot of the queue folder `dir` holding `requests` (what is on disk now). */
export function writeQueueSnapshot(dir: string, requests: SnapshotSource, options: WriteOptions): void {
  const snapshotDir = join(dir, SNAPSHOT_DIR);
  ensureDirSync(snapshotDir);
  // After the subfolder exists: creating it was the last change to the queue folder.
  const chunks: Buffer[] = [];
  let lines = `${HEADER} ${folderTime(dir)} ${requests.size}\n`;
  requests.forEach((id, orderNo) => {
    lines += `${id}\t${orderNo === null ? '-' : orderNo}\n`;
    if (lines.length >= CHUNK_BYTES) {
      chunks.push(Buffer.from(lines));
      lines = '';
    }
  });
  chunks.push(Buffer.from(lines));
  writeFileAtomicSync(join(snapshotDir, SNAPSHOT_FILE), chunks, options);
}

/**
 * Reads the snapshot of the queue folder `dir`, calling `restore` with each request's id and order
 * key (`null` when handled). False when there is none that still holds; it may then have called
 * `restore` for some requests before it found the snapshot damaged.
 */
export function readQueueSnapshot(dir: string, restore: (id: string, orderNo: number | null) => void): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, SNAPSHOT_DIR, SNAPSHOT_FILE));
  } catch {
    return false;
  }
  const firstLineEnd = bytes.indexOf(NEWLINE);
  if (firstLineEnd === -1) return false;
  const header = bytes.toString('latin1', 0, firstLineEnd).split(' ');
  if (`${header[0]} ${header[1]}` !== HEADER || header.length !== 4) return false;
  if (header[2] !== String(folderTime(dir))) return false;
  const count = Number(header[3]);
  let restored = 0;
  for (let start = firstLineEnd + 1; start < bytes.length; ) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) return false; // Cut short.
    const tab = bytes.indexOf(TAB, start);
    if (tab === -1 || tab > end) return false;
    const value = bytes.toString('latin1', tab + 1, end);
    const orderNo = value === '-' ? null : Number(value);
    if (orderNo !== null && (value === '' || !Number.isFinite(orderNo))) return false;
    if (++restored > count) return false;
    restore(bytes.toString('utf8', start, tab), orderNo);
    start = end + 1;
  }
  return restored === count;
}
