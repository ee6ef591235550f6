import { rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  createStorageId,
  notFound,
  storageMetadataOf,
  storageNameTakenError,
  type StorageKind,
  type StorageMetadata,
  type StorageTarget,
} from '@x/core';
import { ioError } from './io-errors.js';
import { METADATA_FILE_NAME, MetadataFile, readJsonFile, type WarningLogger } from './metadata-file.js';
import { ensureDirSync, listDirSync, resolveInside, type WriteOptions } from './safe-files.js';

/** What every storage of the client shares. */
export interface FsContext {
  readonly logger: WarningLogger;
  readonly writeOptions: WriteOptions;
  /** Request queues of at least this many requests leave a snapshot for the next open. */
  readonly queueSnapshotMinRequests: number;
}

/** Who a storage folder is: from its `__metadata__.json`, or made up for a folder without one. */
export interface FolderIdentity {
  readonly id: string;
  readonly name: string | undefined;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly accessedAt: number;
  /** The rest of the metadata file (counts), for the storage to compare with what it finds. */
  readonly stored: Record<string, unknown>;
  /** The metadata file is missing or incomplete and should be written. */
  readonly needsWrite: boolean;
}

const KIND_LABEL: Record<StorageKind, string> = {
  dataset: 'Dataset',
  keyValueStore: 'Key-value store',
  requestQueue: 'Request queue',
};

function time(value: unknown, fallback: number): number {
  const ms = typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : fallback;
}

/** Reads the identity of the storage folder `dir` (named `folderName`), or `undefined` if it does not exist. */
export function readFolderIdentity(dir: string, folderName: string, logger: WarningLogger): FolderIdentity | undefined {
  let created: number;
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) return undefined;
    created = stat.birthtimeMs || stat.mtimeMs;
  } catch {
    return undefined;
  }
  const raw = readJsonFile(join(dir, METADATA_FILE_NAME), logger);
  const stored = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const id = typeof stored['id'] === 'string' && stored['id'] !== '' ? stored['id'] : undefined;
  const name = typeof stored['name'] === 'string' && stored['name'] !== '' ? stored['name'] : undefined;
  return {
    // A folder without an id in its metadata gets one (written back on open), and is named after
    // its folder when the metadata names nothing: that is how Crawlee reads such folders.
    id: id ?? createStorageId(),
    name: name ?? (id === undefined ? folderName : undefined),
    createdAt: time(stored['createdAt'], created),
    modifiedAt: time(stored['modifiedAt'], created),
    accessedAt: time(stored['accessedAt'], created),
    stored,
    needsWrite: id === undefined,
  };
}

/** The fields every storage on disk has, and its metadata file. */
export abstract class FsStorageBase {
  readonly id: string;
  readonly name: string | undefined;
  readonly createdAt: number;
  modifiedAt: number;
  accessedAt: number;
  dropped = false;
  protected readonly metadataFile: MetadataFile;

  constructor(
    readonly dir: string,
    identity: FolderIdentity,
    protected readonly ctx: FsContext,
    private readonly kind: StorageKind,
  ) {
    this.id = identity.id;
    this.name = identity.name;
    this.createdAt = identity.createdAt;
    this.modifiedAt = identity.modifiedAt;
    this.accessedAt = identity.accessedAt;
    this.metadataFile = new MetadataFile(dir, () => this.metadataRecord(), ctx.writeOptions);
  }

  /** The metadata as written to `__metadata__.json`. */
  protected abstract metadataRecord(): Record<string, unknown>;

  /** The shared metadata fields as `Date`s. */
  protected baseMetadata(): StorageMetadata {
    return storageMetadataOf(this);
  }

  /** The shared metadata fields in the on-disk form. */
  protected baseRecord(): Record<string, unknown> {
    return {
      id: this.id,
      ...(this.name === undefined ? {} : { name: this.name }),
      createdAt: new Date(this.createdAt).toISOString(),
      modifiedAt: new Date(this.modifiedAt).toISOString(),
      accessedAt: new Date(this.accessedAt).toISOString(),
    };
  }

  /** Notes an access (and a change when `modified`); changes get written to the metadata file. */
  protected touch(modified: boolean): void {
    const now = Date.now();
    this.accessedAt = now;
    if (modified) {
      this.modifiedAt = now;
      this.metadataFile.changed();
    }
  }

  /** Throws `not-found` once the storage was dropped. */
  protected assertLive(): void {
    if (this.dropped) throw notFound(`${KIND_LABEL[this.kind]} "${this.name ?? this.id}"`);
  }

  /** What the storage is called in messages: `dataset "name"`. */
  protected get label(): string {
    return `${KIND_LABEL[this.kind].toLowerCase()} "${this.name ?? this.id}"`;
  }

  /** Writes the metadata file now if it changed; an OS error is an `io` error (and the change is written later). */
  flushMetadata(): void {
    if (this.dropped) return;
    try {
      this.metadataFile.flush();
    } catch (error) {
      throw ioError(error, `Writing the metadata of ${this.label}`, join(this.dir, METADATA_FILE_NAME));
    }
  }

  /** Writes now whatever is otherwise written later (the metadata file; a queue's snapshot). */
  flush(): void {
    this.flushMetadata();
  }

  /** Writes what is still to be written and stops the timers and exit hooks (the client is closing). */
  close(): void {
    if (!this.dropped) this.flush();
    this.metadataFile.discard();
  }

  /** Writes the metadata file now. */
  writeMetadataNow(): void {
    this.metadataFile.changed();
    this.flushMetadata();
  }

  /** Stops every write of a storage object that is not used after all (its folder could not be opened). */
  abandon(): void {
    this.dropped = true;
    this.metadataFile.discard();
  }

  /**
   * Deletes the folder; the object answers `not-found` from then on. When the folder cannot be
   * deleted (a read-only file system), that is an `io` error and the storage stays as it was.
   */
  protected removeFolder(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch (error) {
      throw ioError(error, `Dropping ${this.label}`, this.dir);
    }
    this.dropped = true;
    this.metadataFile.discard();
  }
}

/**
 * The storage folders of one kind (`datasets/`, `key_value_stores/`, `request_queues/`): a folder
 * is named after the storage's name, or its id when it has none, as Crawlee lays them out.
 */
export class FsCollection<S extends FsStorageBase> {
  readonly #open = new Map<string, S>();

  constructor(
    readonly root: string,
    private readonly kind: StorageKind,
    private readonly ctx: FsContext,
    private readonly load: (dir: string, identity: FolderIdentity) => S,
  ) {}

  #live(dir: string): S | undefined {
    const storage = this.#open.get(dir);
    if (storage && !storage.dropped) return storage;
    if (storage) this.#open.delete(dir);
    return undefined;
  }

  /** Opens the storage in `dir` (made when `fresh`); when that fails, nothing of it stays open, nor a fresh folder. */
  #loadFolder(dir: string, identity: FolderIdentity, fresh = false): S {
    ensureDirSync(dir);
    let storage: S | undefined;
    try {
      storage = this.load(dir, identity);
      if (identity.needsWrite) storage.writeMetadataNow();
    } catch (error) {
      storage?.abandon();
      if (fresh) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty, or not removable: the next open reads what is there.
        }
      }
      throw error;
    }
    this.#open.set(dir, storage);
    return storage;
  }

  /**
   * Opens the target: a default or named storage is made when missing; an unknown id is
   * `not-found`. A name whose folder holds another storage (one without a name, whose folder is
   * its id, or one named otherwise) is `invalid-name`. An OS error is an `io` error.
   */
  open(target: StorageTarget): S {
    const folderName = target.kind === 'name' ? target.name : target.id;
    const dir = resolveInside(this.root, folderName, `${KIND_LABEL[this.kind]} ${target.kind === 'name' ? 'name' : 'id'}`);
    try {
      return this.#openTarget(target, folderName, dir);
    } catch (error) {
      throw ioError(error, `Opening ${KIND_LABEL[this.kind].toLowerCase()} "${folderName}"`, dir);
    }
  }

  #openTarget(target: StorageTarget, folderName: string, dir: string): S {
    const live = this.#live(dir);
    if (live && target.kind === 'name' && live.name !== target.name) throw storageNameTakenError(this.kind, target.name, live);
    if (live && (target.kind !== 'id' || live.id === target.id)) return live;
    let identity = live ? undefined : readFolderIdentity(dir, folderName, this.ctx.logger);
    // A default storage whose metadata was lost (or never written) keeps its default id.
    if (identity?.needsWrite && target.kind === 'default') identity = { ...identity, id: target.id, name: undefined };
    if (identity && target.kind === 'name' && identity.name !== target.name) throw storageNameTakenError(this.kind, target.name, identity);
    if (identity && (target.kind !== 'id' || identity.id === target.id)) {
      return this.#loadFolder(dir, identity);
    }
    if (target.kind === 'id') {
      const found = this.#findById(target.id);
      if (found) return found;
      throw notFound(`${KIND_LABEL[this.kind]} with id "${target.id}"`);
    }
    const now = Date.now();
    const fresh: FolderIdentity = {
      id: target.kind === 'name' ? createStorageId() : target.id,
      name: target.kind === 'name' ? target.name : undefined,
      createdAt: now,
      modifiedAt: now,
      accessedAt: now,
      stored: {},
      needsWrite: true,
    };
    return this.#loadFolder(dir, fresh, true);
  }

  /** Finds a storage by the id in its metadata, whatever its folder is called. */
  #findById(id: string): S | undefined {
    for (const storage of this.#open.values()) if (!storage.dropped && storage.id === id) return storage;
    for (const folderName of listDirSync(this.root)) {
      const dir = join(this.root, folderName);
      if (this.#live(dir)) continue;
      const identity = readFolderIdentity(dir, folderName, this.ctx.logger);
      if (identity?.id === id) return this.#loadFolder(dir, identity);
    }
    return undefined;
  }

  /** The storages opened so far and not dropped. */
  opened(): S[] {
    return [...this.#open.values()].filter((storage) => !storage.dropped);
  }

  /** Every storage folder of the kind, opened. An OS error is an `io` error. */
  all(): S[] {
    try {
      return this.#all();
    } catch (error) {
      throw ioError(error, `Listing the ${KIND_LABEL[this.kind].toLowerCase()}s`, this.root);
    }
  }

  #all(): S[] {
    const out: S[] = [];
    for (const folderName of listDirSync(this.root)) {
      if (folderName.startsWith('.')) continue;
      const dir = join(this.root, folderName);
      const live = this.#live(dir);
      if (live) {
        out.push(live);
        continue;
      }
      const identity = readFolderIdentity(dir, folderName, this.ctx.logger);
      if (identity) out.push(this.#loadFolder(dir, identity));
    }
    return out;
  }
}
