import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirSync, listDirSync, removeTempFilesSync, writeFileAtomicSync, type WriteOptions } from './safe-files.js';

/*
 * A queue folder's snapshot: the order key of every request file, written for a large queue
 * (when it grows large, every so often while it changes, and when the process is done with it),
 * so the next open reads one file instead of a million. It lives in a hidden subfolder, which
 * Crawlee and our scans skip, and writing it does not touch the queue folder.
 *
 * It records the folder's modification time (in nanoseconds), which every file written there by
 * rename, created or deleted, moves on (Crawlee's writes too: they create lock folders beside the
 * file). The snapshot holds while the folder's time is unchanged, or, after that, as far as the
 * journal (queue-journal.ts) accounts for the changes. Otherwise the folder is scanned file by
 * file as usual.
 */

/** The hidden subfolder of a queue folder that holds its snapshot and journal. */
export const SNAPSHOT_DIR = '.x-index';
const SNAPSHOT_FILE = 'queue-snapshot.txt';
const HEADER = 'x-queue-snapshot 1';
const NEWLINE = 0x0a;
const TAB = 0x09;

/** The modification time of the folder `dir`, in nanoseconds. */
export function folderTime(dir: string): bigint {
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

/**
 * Writes the snapshot of the queue folder `dir` holding `requests` (what is on disk now), and
 * gives its stamp: the folder's time, which the snapshot holds for.
 */
export function writeQueueSnapshot(dir: string, requests: SnapshotSource, options: WriteOptions): string {
  const snapshotDir = join(dir, SNAPSHOT_DIR);
  ensureDirSync(snapshotDir);
  // After the subfolder exists: creating it was the last change to the queue folder.
  const stamp = String(folderTime(dir));
  const chunks: Buffer[] = [];
  let lines = `${HEADER} ${stamp} ${requests.size}\n`;
  requests.forEach((id, orderNo) => {
    lines += `${id}\t${orderNo === null ? '-' : orderNo}\n`;
    if (lines.length >= CHUNK_BYTES) {
      chunks.push(Buffer.from(lines));
      lines = '';
    }
  });
  chunks.push(Buffer.from(lines));
  writeFileAtomicSync(join(snapshotDir, SNAPSHOT_FILE), chunks, options);
  return stamp;
}

/**
 * Deletes the queue folder `dir`'s snapshot and journal (the whole index subfolder), so the next
 * open reads the request files: for when changes can no longer be journaled after them.
 */
export function removeQueueIndexFiles(dir: string): void {
  rmSync(join(dir, SNAPSHOT_DIR), { recursive: true, force: true });
}

/** Deletes the temporary files an interrupted snapshot or journal write left in the queue folder `dir`'s index. */
export function removeIndexTempFiles(dir: string): void {
  const indexDir = join(dir, SNAPSHOT_DIR);
  removeTempFilesSync(indexDir, listDirSync(indexDir));
}

/** A snapshot found in a queue folder, not read further than its header yet. */
export interface QueueSnapshot {
  /** The folder's time when the snapshot was written. */
  readonly stamp: string;
  /**
   * Calls `restore` with each request's id and order key (`null` when handled). False when the
   * snapshot turns out damaged; it may have called `restore` for some requests before.
   */
  restore(restore: (id: string, orderNo: number | null) => void): boolean;
}

/** The snapshot of the queue folder `dir`, or `undefined` when it has none (or one with a damaged header). */
export function openQueueSnapshot(dir: string): QueueSnapshot | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, SNAPSHOT_DIR, SNAPSHOT_FILE));
  } catch {
    return undefined;
  }
  const firstLineEnd = bytes.indexOf(NEWLINE);
  if (firstLineEnd === -1) return undefined;
  const header = bytes.toString('latin1', 0, firstLineEnd).split(' ');
  if (`${header[0]} ${header[1]}` !== HEADER || header.length !== 4 || !/^\d+$/.test(header[2]!)) return undefined;
  const count = Number(header[3]);
  return {
    stamp: header[2]!,
    restore(restore) {
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
    },
  };
}
