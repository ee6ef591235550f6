import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { StorageError } from '@x/core';

/** Temporary files are `.<name>.<pid>.<counter>.x-tmp`: hidden, and skipped by every reader. */
const TEMP_SUFFIX = '.x-tmp';
let tempCounter = 0;

/** A new temporary file's path beside `path`, for a write that will rename it to `path`. */
export function tempPathFor(path: string): string {
  tempCounter = (tempCounter + 1) % Number.MAX_SAFE_INTEGER;
  // A prefix of the name is enough to tell temporary files apart, and keeps long names in bounds.
  return join(dirname(path), `.${basename(path).slice(0, 128)}.${process.pid}.${tempCounter}${TEMP_SUFFIX}`);
}

/** True for the name of a temporary file left by an interrupted write. */
export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/** Temporary files of this process's asynchronous writes that are still being written. */
const tempsInFlight = new Set<string>();

/** The process id in a temporary file's name, or `undefined` when it has none. */
function writerPidOf(name: string): number | undefined {
  const match = /\.(\d+)\.\d+\.x-tmp$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** True when a process with id `pid` runs on this machine (signal 0 checks without sending). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the temporary file at `path` (named `name`) is a leftover: written by a process that
 * is gone, or by this process but not by a write still running. Another live process's temporary
 * files are its writes in progress, and are left alone.
 */
function isLeftoverTemp(path: string, name: string): boolean {
  const pid = writerPidOf(name);
  if (pid === undefined || !Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return !tempsInFlight.has(path);
  return !isProcessAlive(pid);
}

/** Options of the atomic writes. */
export interface WriteOptions {
  /** Flush the file to the disk before renaming it (survives power loss, not only a crash). */
  readonly fsync: boolean;
}

/** What the atomic writes take: text (written as UTF-8), bytes, or bytes in chunks written one after the other. */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/** Writes `data` to a new temporary file `temp` and gives its path. */
function writeTempFileSync(temp: string, data: FileData, options: WriteOptions): string {
  const fd = openSync(temp, 'w');
  try {
    const chunks = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const bytes of chunks) {
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    }
    if (options.fsync) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  return temp;
}

/**
 * Writes `data` to `path` through a temporary file renamed into place, so the file is always
 * either the old or the new content, whatever happens to the process. Synchronous: one small
 * file costs a few tens of microseconds, less than a round trip through the thread pool.
 */
export function writeFileAtomicSync(path: string, data: FileData, options: WriteOptions, temp = tempPathFor(path)): void {
  writeTempFileSync(temp, data, options);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Thrown by {@link writeNewFileAtomicSync} when the file exists already. */
export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} exists already`);
  }
}

/**
 * Like {@link writeFileAtomicSync}, but never replaces an existing file: the temporary file is
 * hard-linked into place, which fails when another process created the file first (then
 * {@link FileExistsError} is thrown). On file systems without hard links it falls back to rename.
 */
export function writeNewFileAtomicSync(path: string, data: string | Uint8Array, options: WriteOptions): void {
  const temp = writeTempFileSync(tempPathFor(path), data, options);
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      rmSync(temp, { force: true });
      throw new FileExistsError(path);
    }
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      renameSync(temp, path);
      return;
    }
    rmSync(temp, { force: true });
    throw error;
  }
  unlinkSync(temp);
}

/**
 * A file written in full under a temporary name beside `path`, not yet in place: {@link commit}
 * renames it to `path`, {@link discard} removes it. Lets a caller write the bulk of a change
 * before it touches anything a reader sees.
 */
export class PreparedFile {
  #done = false;

  constructor(
    readonly path: string,
    readonly temp: string,
  ) {}

  /** Renames the temporary file to `path`, replacing what is there. When that fails, the temporary file is removed. */
  commit(): void {
    if (this.#done) throw new Error(`${this.path} was committed or discarded already`);
    try {
      renameSync(this.temp, this.path);
    } catch (error) {
      this.discard();
      throw error;
    }
    this.#done = true;
    tempsInFlight.delete(this.temp);
  }

  /** Removes the temporary file, unless it was committed (then nothing happens). Never throws. */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    tempsInFlight.delete(this.temp);
    try {
      rmSync(this.temp, { force: true });
    } catch {
      // A leftover temporary file is removed when the folder is opened next.
    }
  }
}

/** Writes `data` to a temporary file beside `path`, to be put in place with {@link PreparedFile.commit}. */
export function prepareFileSync(path: string, data: FileData, options: WriteOptions): PreparedFile {
  const temp = writeTempFileSync(tempPathFor(path), data, options);
  return new PreparedFile(path, temp);
}

/** The asynchronous form of {@link prepareFileSync}, for large bodies. */
export async function prepareFile(path: string, data: string | Uint8Array, options: WriteOptions): Promise<PreparedFile> {
  const temp = tempPathFor(path);
  // Until it is committed or discarded, another open of the folder in this process leaves it alone.
  tempsInFlight.add(temp);
  try {
    await writeFile(temp, data, { flush: options.fsync });
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    tempsInFlight.delete(temp);
    throw error;
  }
  return new PreparedFile(path, temp);
}

/** Removes a file; nothing happens when it does not exist. */
export function removeFileSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Creates a folder and its parents. (Not with `mkdirSync(path, { recursive: true })`: on a
 * read-only file system that reports ENOENT instead of EROFS.)
 */
export function ensureDirSync(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
    ensureDirSync(dirname(path));
    try {
      mkdirSync(path);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw again;
    }
  }
}

/** Creates a folder and its parents. */
export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/**
 * Deletes the temporary files interrupted writes left in `dir`. Those of another process that is
 * still running are its writes in progress (two processes may share a folder) and stay.
 */
export function removeTempFilesSync(dir: string, names: readonly string[]): void {
  for (const name of names) {
    if (!isTempFileName(name)) continue;
    const path = join(dir, name);
    if (isLeftoverTemp(path, name)) removeFileSync(path);
  }
}

/** Names of the entries of `dir`, or `[]` when it does not exist. */
export function listDirSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Longest file name most file systems take, in bytes. */
export const MAX_FILE_NAME_BYTES = 255;

/**
 * Resolves `name` as one entry directly inside `dir`, refusing anything that could lead
 * elsewhere: separators, `.` and `..`, NUL bytes, and names too long for the file system.
 */
export function resolveInside(dir: string, name: string, what: string): string {
  if (
    name.length === 0 ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    Buffer.byteLength(name) > MAX_FILE_NAME_BYTES
  ) {
    throw new StorageError('invalid-argument', `${what} ${JSON.stringify(name.slice(0, 80))} cannot be used as a file name`);
  }
  const base = resolve(dir);
  const path = resolve(base, name);
  const rel = relative(base, path);
  if (rel !== name || rel.startsWith(`..${sep}`) || rel === '..') {
    throw new StorageError('invalid-argument', `${what} ${JSON.stringify(name.slice(0, 80))} would leave the storage folder`);
  }
  return path;
}
