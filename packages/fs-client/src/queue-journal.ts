import { closeSync, constants, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SNAPSHOT_DIR } from './queue-snapshot.js';
import { writeFileAtomicSync, type WriteOptions } from './safe-files.js';

/**
 * A queue folder's journal: what changed in the folder since its snapshot, so that a queue whose
 * process was killed reopens from the snapshot and the journal instead of reading every request
 * file. Each change is appended *before* it is made to the folder (one `write` to a file held
 * open), and the changes are made one at a time, so every change in the journal but the last
 * has happened; the last one is checked against its file when the journal is read.
 *
 * Lines: `r <id> <orderNo or -> <temp file>` a request file written (`-`: handled), `d <id>` a
 * request file deleted, `m <temp file>` the metadata file written; fields are separated by tabs.
 * The first line names the snapshot the journal follows (the folder time in its header).
 */
const JOURNAL_FILE = 'queue-journal.txt';
const HEADER = 'x-queue-journal 1';
const NEWLINE = 0x0a;
/**
 * The journal vouches for the folder only while the folder changed no later than this after the
 * journal's last line: the change a line announces follows it at once, while another program's
 * change after a crash comes much later.
 */
const FOLDER_CHANGE_GRACE_NS = 1_000_000_000n;

/** A change read back from a journal: `orderNo` `null` is handled, `undefined` deleted. */
export type JournalChange = (id: string, orderNo: number | null | undefined) => void;

/** A journal that holds: it follows the snapshot, and the folder changed no later than it allows. */
export interface QueueJournalRead {
  /** Changes in it. */
  readonly changes: number;
  /** Calls `apply` with each change, in order. */
  replay(apply: JournalChange): void;
  /** The request the last line announced a change of, when that change may not have happened: read its file. */
  readonly unsure?: string;
  /** The temporary file of the last change, which may be left over. */
  readonly leftover?: string;
}

function journalPath(dir: string): string {
  return join(dir, SNAPSHOT_DIR, JOURNAL_FILE);
}

/** Fields of one line: a request written, deleted, or the metadata written; `undefined` when it is none of them. */
function parseLine(line: string): { kind: 'r' | 'd' | 'm'; id: string; orderNo: number | null; temp: string } | undefined {
  const fields = line.split('\t');
  const [kind, a = '', b = '', c = ''] = fields;
  if (kind === 'r' && fields.length === 4 && a !== '') {
    const orderNo = b === '-' ? null : Number(b);
    if (orderNo !== null && (b === '' || !Number.isFinite(orderNo))) return undefined;
    return { kind, id: a, orderNo, temp: c };
  }
  if (kind === 'd' && fields.length === 2 && a !== '') return { kind, id: a, orderNo: null, temp: '' };
  if (kind === 'm' && fields.length === 2) return { kind, id: '', orderNo: null, temp: a };
  return undefined;
}

/**
 * Reads the journal of the queue folder `dir`. `undefined` when there is no journal following the
 * snapshot stamped `stamp` (then the snapshot holds only if the folder's time is the stamp);
 * `false` when there is one but it does not hold (damaged, or the folder changed later than its
 * last line allows); else the journal, checked, to replay.
 */
export function readQueueJournal(dir: string, stamp: string, folderTime: bigint): QueueJournalRead | false | undefined {
  let bytes: Buffer;
  let journalTime: bigint;
  try {
    bytes = readFileSync(journalPath(dir));
    journalTime = statSync(journalPath(dir), { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
  const headerEnd = bytes.indexOf(NEWLINE);
  if (headerEnd === -1 || bytes.toString('latin1', 0, headerEnd) !== `${HEADER} ${stamp}`) return undefined;
  // A last line cut short by a crash while it was appended announced a change never made.
  const end = bytes.lastIndexOf(NEWLINE) + 1;
  const lines = end > headerEnd + 1 ? bytes.toString('utf8', headerEnd + 1, end - 1).split('\n') : [];
  let last: ReturnType<typeof parseLine>;
  for (const line of lines) {
    last = parseLine(line);
    if (!last) return false;
  }
  if (!last) return folderTime === BigInt(stamp) ? { changes: 0, replay: () => {} } : false;
  if (folderTime > journalTime + FOLDER_CHANGE_GRACE_NS) return false;
  return {
    changes: lines.length,
    replay(apply) {
      for (const line of lines) {
        const change = parseLine(line)!;
        if (change.kind !== 'm') apply(change.id, change.kind === 'd' ? undefined : change.orderNo);
      }
    },
    ...(last.kind === 'm' ? {} : { unsure: last.id }),
    ...(last.temp === '' ? {} : { leftover: last.temp }),
  };
}

/** The journal being written for a queue folder; see {@link replayQueueJournal}. */
export class QueueJournal {
  #fd: number | undefined;
  #lines = 0;

  constructor(
    private readonly dir: string,
    private readonly writeOptions: WriteOptions,
  ) {}

  /** Changes recorded since the journal was (re)started. */
  get lines(): number {
    return this.#lines;
  }

  /** True while changes are being recorded. */
  get active(): boolean {
    return this.#fd !== undefined;
  }

  /** Starts an empty journal following the snapshot stamped `stamp` (replacing any earlier one). */
  restart(stamp: string): void {
    this.stop();
    const path = journalPath(this.dir);
    writeFileAtomicSync(path, `${HEADER} ${stamp}\n`, this.writeOptions);
    this.#fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
    this.#lines = 0;
  }

  #append(line: string): void {
    if (this.#fd === undefined) return;
    writeSync(this.#fd, Buffer.from(line));
    this.#lines++;
  }

  /** Records that request `id` is about to be written with `orderNo` through the temporary file `temp` (a name in the folder). */
  requestWritten(id: string, orderNo: number | null, temp: string): void {
    this.#append(`r\t${id}\t${orderNo === null ? '-' : orderNo}\t${temp}\n`);
  }

  /** Records that request `id` is about to be deleted. */
  requestDeleted(id: string): void {
    this.#append(`d\t${id}\n`);
  }

  /** Records that the metadata file is about to be written through the temporary file `temp`. */
  metadataWritten(temp: string): void {
    this.#append(`m\t${temp}\n`);
  }

  /** Stops recording (the file stays). */
  stop(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
