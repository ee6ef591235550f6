import { close, open, opendirSync, read, readFile, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetClient, DatasetItemsPage, DatasetMetadata, ListItemsOptions } from '@x/core';
import { FsStorageBase, type FolderIdentity, type FsContext } from './fs-storage-base.js';
import { ioError } from './io-errors.js';
import { FileExistsError, removeFileSync, removeTempFilesSync, writeNewFileAtomicSync } from './safe-files.js';

const ITEM_FILE = /^(\d{9})\.json$/;
/** Item files read at once by one `listItems` (enough to keep the disk busy, few enough to leave the thread pool to others). */
const READ_CONCURRENCY = 16;
/** The first read of an item file (one buffer per reader); larger files are read whole after it. Most items fit. */
const FIRST_READ_BYTES = 16 * 1024;

/**
 * Reads a file as UTF-8 text without blocking: open, one read into `buffer` (the caller's, reused
 * from file to file), close: three thread-pool calls (`fs/promises` `readFile` takes more and is
 * several times slower for many small files). A file larger than `buffer` is read whole through
 * its open descriptor.
 */
function readTextFile(path: string, buffer: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (openError, fd) => {
      if (openError) {
        reject(openError);
        return;
      }
      const done = (error: Error | null, text?: string): void => close(fd, () => (error ? reject(error) : resolve(text!)));
      read(fd, buffer, 0, buffer.length, 0, (readError, bytesRead) => {
        if (readError) done(readError);
        else if (bytesRead < buffer.length) done(null, buffer.toString('utf8', 0, bytesRead));
        // The positioned read left the descriptor at the start: readFile reads the whole file.
        else readFile(fd, 'utf8', (wholeError, text) => done(wholeError, text));
      });
    });
  });
}

/** File name of the item at 1-based `index`: nine digits, as Crawlee numbers them. */
function itemFileName(index: number): string {
  return `${String(index).padStart(9, '0')}.json`;
}

/**
 * A dataset on disk: one file per item (`000000001.json`, …). Items are written in order, each
 * through a temporary file, so a crash leaves a prefix of a batch and never a broken file.
 */
export class FsDataset extends FsStorageBase implements DatasetClient {
  #itemCount = 0;

  constructor(dir: string, identity: FolderIdentity, ctx: FsContext) {
    super(dir, identity, ctx, 'dataset');
    this.#scan(identity);
  }

  /** Counts the item files, closing any gap a crash or a foreign writer left in the numbering. */
  #scan(identity: FolderIdentity): void {
    const { indexes, temps } = this.#readFolder();
    removeTempFilesSync(this.dir, temps);
    indexes.sort();
    let expected = 1;
    for (const index of indexes) {
      if (index !== expected) {
        this.ctx.logger.warn(`Dataset ${this.dir}: item file ${itemFileName(index)} renumbered ${itemFileName(expected)} to close a gap`);
        renameSync(join(this.dir, itemFileName(index)), join(this.dir, itemFileName(expected)));
      }
      expected++;
    }
    this.#itemCount = indexes.length;
    if (identity.stored['itemCount'] !== this.#itemCount) this.metadataFile.changed();
  }

  /**
   * The numbers of the item files in the folder (unsorted) and the names of the temporary files.
   * The folder is read entry by entry, keeping only the numbers, so a dataset of a million items
   * opens without holding a million file names.
   */
  #readFolder(): { indexes: Uint32Array; temps: string[] } {
    let indexes = new Uint32Array(1024);
    let count = 0;
    const temps: string[] = [];
    let folder;
    try {
      folder = opendirSync(this.dir, { bufferSize: 256 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { indexes: indexes.subarray(0, 0), temps };
      throw error;
    }
    try {
      for (let entry = folder.readSync(); entry !== null; entry = folder.readSync()) {
        const { name } = entry;
        if (name.charCodeAt(0) === 0x2e) {
          temps.push(name);
          continue;
        }
        const match = ITEM_FILE.exec(name);
        if (!match) continue;
        if (count === indexes.length) {
          const larger = new Uint32Array(indexes.length * 2);
          larger.set(indexes);
          indexes = larger;
        }
        indexes[count++] = Number(match[1]);
      }
    } finally {
      folder.closeSync();
    }
    return { indexes: indexes.subarray(0, count), temps };
  }

  protected metadataRecord(): Record<string, unknown> {
    return { ...this.baseRecord(), itemCount: this.#itemCount };
  }

  async getMetadata(): Promise<DatasetMetadata> {
    this.assertLive();
    return { ...this.baseMetadata(), itemCount: this.#itemCount };
  }

  async pushItems(jsonItems: readonly string[]): Promise<void> {
    this.assertLive();
    const written: string[] = [];
    try {
      for (const json of jsonItems) written.push(this.#appendItem(json));
    } catch (error) {
      const failed = join(this.dir, itemFileName(this.#itemCount + 1));
      // Take back the part of the batch that was written: the call failed as a whole.
      for (const path of written.reverse()) {
        try {
          removeFileSync(path);
        } catch (removeError) {
          this.ctx.logger.warn(`Could not take back dataset item ${path} of a failed push: ${(removeError as Error).message}`);
        }
      }
      this.#itemCount -= written.length;
      throw ioError(error, `Pushing ${jsonItems.length === 1 ? 'an item' : `${jsonItems.length} items`} to dataset "${this.name ?? this.id}"`, failed);
    }
    this.touch(true);
  }

  /**
   * Writes one item as the next file. Item files are never replaced: when another process took
   * the number first, the count is read from the folder again and the item goes after its items.
   */
  #appendItem(json: string): string {
    for (let attempt = 0; ; attempt++) {
      const path = join(this.dir, itemFileName(this.#itemCount + 1));
      try {
        writeNewFileAtomicSync(path, json, this.ctx.writeOptions);
        this.#itemCount++;
        return path;
      } catch (error) {
        if (!(error instanceof FileExistsError) || attempt >= 100) throw error;
        this.#itemCount = this.#countItemFiles();
      }
    }
  }

  #countItemFiles(): number {
    let max = 0;
    for (const index of this.#readFolder().indexes) max = Math.max(max, index);
    return max;
  }

  /**
   * Reads a page of items. The files are read asynchronously, {@link READ_CONCURRENCY} at a time,
   * and given back in dataset order, so a large read never blocks the process (a server over
   * this client answers other calls meanwhile).
   */
  async listItems({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemsPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    const total = this.#itemCount;
    const count = Math.max(0, Math.min(limit, total - offset));
    const read = new Array<Record<string, unknown> | undefined>(count);
    let next = 0;
    const reader = async (): Promise<void> => {
      const buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);
      while (next < count) {
        const i = next++;
        read[i] = await this.#readItem(desc ? total - offset - i : offset + i + 1, buffer);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, count) }, reader));
    const items: Record<string, unknown>[] = [];
    for (const item of read) if (item) items.push(item);
    return { items, total };
  }

  async #readItem(index: number, buffer: Buffer): Promise<Record<string, unknown> | undefined> {
    const path = join(this.dir, itemFileName(index));
    try {
      const value: unknown = JSON.parse(await readTextFile(path, buffer));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      this.ctx.logger.warn(`Skipping dataset item ${path}: it is not a JSON object`);
    } catch (error) {
      // A dataset dropped while it was read: its files are gone, and that is no damage to report.
      if (!this.dropped) this.ctx.logger.warn(`Skipping dataset item ${path}: ${(error as Error).message}`);
    }
    return undefined;
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.removeFolder();
  }
}
