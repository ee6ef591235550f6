import { createHash } from 'node:crypto';
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  assertRecordKey,
  createUrlSigningSecretKey,
  isJsonContentType,
  isTextContentType,
  isValidRecordKey,
  notFound,
  pageOfSortedKeys,
  recordBodySize,
  type KeysPage,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type ListKeysOptions,
  type StoredRecord,
} from '@x/core';
import mime from 'mime-types';
import { FsStorageBase, type FolderIdentity, type FsContext } from './fs-storage-base.js';
import { ioError } from './io-errors.js';
import { METADATA_FILE_NAME, readJsonFile } from './metadata-file.js';
import {
  MAX_FILE_NAME_BYTES,
  isTempFileName,
  prepareFile,
  prepareFileSync,
  removeFileSync,
  removeTempFilesSync,
  writeFileAtomicSync,
  type PreparedFile,
} from './safe-files.js';

const SIDECAR_SUFFIX = '.__metadata__.json';
/** Bodies up to this size are written synchronously: cheaper than a thread-pool round trip. */
const SYNC_WRITE_LIMIT = 256 * 1024;

interface RecordEntry {
  readonly contentType: string;
  readonly extension: string;
  /** The value file's name: `<stem>.<extension>`, or `<stem>` alone in folders Crawlee wrote. */
  readonly fileName: string;
  /** The file-name stem, which is the key unless the key is too long for a file name. */
  readonly stem: string;
  size: number | undefined;
  hasSidecar: boolean;
  /**
   * Other value files of the key that a write interrupted by a crash left (the new value written
   * but not its sidecar, or the old value not yet removed): removed by the next set or delete, so
   * that deleting the record cannot bring one of them back as the record.
   */
  strays?: string[];
}

/** The entries of `dir` with their types, or `[]` when it does not exist. */
function listDirEntriesSync(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The file extension for a content type (`json`, `txt`, `csv`, `png`, …; `bin` when unknown). */
export function extensionOf(contentType: string): string {
  return mime.extension(contentType) || 'bin';
}

/**
 * The most a stem's file names add to it: the sidecar suffix, or a dot and the longest extension
 * a content type has (`.disposition-notification`, 25 bytes, is longer than the sidecar suffix).
 */
const STEM_SUFFIX_BYTES = Math.max(
  SIDECAR_SUFFIX.length,
  1 + Math.max(3, ...Object.values(mime.extensions).flatMap((extensions) => extensions.map((extension) => Buffer.byteLength(extension)))),
);

/**
 * The file-name stem of `key`: the key itself, or for keys too long to carry the sidecar suffix
 * or any extension in a file name, a prefix of it and a hash (the sidecar keeps the whole key).
 * A `~` is in no key, so a hashed stem is never another key's.
 */
function stemOf(key: string): string {
  if (Buffer.byteLength(key) + STEM_SUFFIX_BYTES <= MAX_FILE_NAME_BYTES) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${key.slice(0, MAX_FILE_NAME_BYTES - STEM_SUFFIX_BYTES - hash.length - 1)}~${hash}`;
}

/**
 * A key-value store on disk: each record is a value file named after its key and the extension of
 * its content type, with a `<key>.__metadata__.json` sidecar holding the key and content type.
 * Every file is written through a temporary file renamed into place.
 */
export class FsKeyValueStore extends FsStorageBase implements KeyValueStoreClient {
  readonly #records = new Map<string, RecordEntry>();
  #sortedKeys: string[] | undefined;
  /**
   * The store's own secret for signed record URLs, kept in its `__metadata__.json`. A new store
   * gets one at once; a store whose metadata has none (Crawlee writes none) gets one when it is
   * first asked for, written to the metadata file right away.
   */
  #urlSigningSecretKey: string | undefined;

  constructor(dir: string, identity: FolderIdentity, ctx: FsContext) {
    super(dir, identity, ctx, 'keyValueStore');
    const stored = identity.stored['urlSigningSecretKey'];
    // A folder whose metadata file is about to be written (new, or without one) gets its secret now.
    this.#urlSigningSecretKey = typeof stored === 'string' && stored !== '' ? stored : identity.needsWrite ? createUrlSigningSecretKey() : undefined;
    this.#scan();
  }

  /** Builds the index from the folder: sidecars first, then value files that have none. */
  #scan(): void {
    const entries = listDirEntriesSync(this.dir);
    removeTempFilesSync(this.dir, entries.map((entry) => entry.name));
    const files = new Set<string>();
    for (const entry of entries) {
      if (isTempFileName(entry.name) || entry.name === METADATA_FILE_NAME) continue;
      // A folder is no record: it is Crawlee's lock (`<file>.lock/`, proper-lockfile) left by a killed write.
      if (entry.isDirectory()) this.ctx.logger.warn(`Skipping ${join(this.dir, entry.name)}: it is a folder, not a record file`);
      else files.add(entry.name);
    }
    const claimed = new Set<string>();
    // Sidecars claim their value files in two rounds: first each the file `<stem>.<extension>` it
    // names, then, for a sidecar whose file is missing, the bare `<stem>` where Crawlee writes a key
    // that already ends with its type's extension, if no other record claimed that file. A sidecar
    // left by an interrupted write must not take the value file of another key (`a.json` is the
    // file of key `a` as JSON, and also the bare name of key `a.json`).
    const unmatched: { key: string; contentType: string; extension: string; stem: string }[] = [];
    for (const name of files) {
      if (!name.endsWith(SIDECAR_SUFFIX)) continue;
      claimed.add(name);
      const stem = name.slice(0, -SIDECAR_SUFFIX.length);
      const meta = readJsonFile(join(this.dir, name), this.ctx.logger) as Record<string, unknown> | undefined;
      const key = meta?.['key'];
      const contentType = meta?.['contentType'];
      if (!meta || !isValidRecordKey(key) || typeof contentType !== 'string') {
        if (meta !== undefined) this.ctx.logger.warn(`Skipping ${join(this.dir, name)}: it does not name a valid key and content type`);
        continue;
      }
      const extension = typeof meta['extension'] === 'string' && meta['extension'] !== '' ? meta['extension'] : extensionOf(contentType);
      const fileName = `${stem}.${extension}`;
      if (files.has(fileName) && !claimed.has(fileName)) {
        claimed.add(fileName);
        const owner = this.#records.get(key);
        if (owner) {
          // Two sidecars of one key (its file-name stem changed, and the write was interrupted):
          // one record, the other's value file a stray that the next write of the key removes.
          this.ctx.logger.warn(`Skipping ${join(this.dir, fileName)}: record "${key}" is in ${owner.fileName} (a write was interrupted)`);
          (owner.strays ??= []).push(fileName);
          continue;
        }
        this.#records.set(key, { contentType, extension, fileName, stem, size: undefined, hasSidecar: true });
      } else {
        unmatched.push({ key, contentType, extension, stem });
      }
    }
    for (const { key, contentType, extension, stem } of unmatched) {
      // Crawlee writes a key bare when the type its name implies is the record's (`report.csv`,
      // `text/csv`); a bare name without a dot (`INPUT`) cannot be the file of another key either.
      const crawleeBare = !stem.includes('.') || (mime.contentType(stem) || '').startsWith(contentType);
      const bare = files.has(stem) && !claimed.has(stem) && !this.#records.has(key) && crawleeBare;
      if (!bare) continue; // A sidecar whose value was deleted, or never written: no record.
      claimed.add(stem);
      this.#records.set(key, { contentType, extension, fileName: stem, stem, size: undefined, hasSidecar: true });
    }
    for (const name of files) {
      if (claimed.has(name)) continue;
      const dot = name.lastIndexOf('.');
      const key = dot > 0 ? name.slice(0, dot) : name;
      const owner = this.#records.get(key);
      if (owner) {
        this.ctx.logger.warn(`Skipping ${join(this.dir, name)}: record "${key}" is in ${owner.fileName} (a write was interrupted)`);
        (owner.strays ??= []).push(name);
        continue;
      }
      if (!isValidRecordKey(key)) {
        this.ctx.logger.warn(`Skipping ${join(this.dir, name)}: no valid key can be read from its name`);
        continue;
      }
      const contentType = mime.contentType(name) || 'application/octet-stream';
      const extension = dot > 0 ? name.slice(dot + 1) : extensionOf(contentType);
      this.#records.set(key, { contentType, extension, fileName: name, stem: key, size: undefined, hasSidecar: false });
    }
  }

  protected metadataRecord(): Record<string, unknown> {
    return { ...this.baseRecord(), ...(this.#urlSigningSecretKey === undefined ? {} : { urlSigningSecretKey: this.#urlSigningSecretKey }) };
  }

  async getMetadata(): Promise<KeyValueStoreMetadata> {
    this.assertLive();
    return { ...this.baseMetadata(), urlSigningSecretKey: this.#signingSecret() };
  }

  /** The store's URL-signing secret, made and written to the metadata file on first need. */
  #signingSecret(): string {
    if (this.#urlSigningSecretKey === undefined) {
      this.#urlSigningSecretKey = createUrlSigningSecretKey();
      try {
        // Written now, not later: URLs signed with it must still open after a crash.
        this.writeMetadataNow();
      } catch (error) {
        this.ctx.logger.warn(`Key-value store ${this.dir}: its new URL-signing secret cannot be written yet (${(error as Error).message})`);
        this.metadataFile.changed();
      }
    }
    return this.#urlSigningSecretKey;
  }

  async getRecord(key: string): Promise<StoredRecord | undefined> {
    this.assertLive();
    this.accessedAt = Date.now();
    const entry = this.#records.get(key);
    if (!entry) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, entry.fileName));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && this.#records.get(key) !== entry) return this.getRecord(key);
      this.ctx.logger.warn(`Record "${key}" in ${this.dir} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
    entry.size = bytes.byteLength;
    if (isJsonContentType(entry.contentType) || isTextContentType(entry.contentType)) {
      const text = bytes.toString('utf8');
      if (isJsonContentType(entry.contentType)) {
        try {
          JSON.parse(text);
        } catch {
          this.ctx.logger.warn(`Skipping record "${key}" in ${this.dir}: its file is not valid JSON`);
          return undefined;
        }
      }
      return { key, body: text, contentType: entry.contentType };
    }
    return { key, body: bytes, contentType: entry.contentType };
  }

  async setRecord({ key, body, contentType }: StoredRecord): Promise<void> {
    this.assertLive();
    // The key names files: one that is no valid key (`../x`, `__metadata__`) must not reach a path.
    assertRecordKey(key);
    const extension = extensionOf(contentType);
    const stem = stemOf(key);
    const fileName = `${stem}.${extension}`;
    const size = recordBodySize(body);
    const path = join(this.dir, fileName);
    const action = `Writing record "${key}" of key-value store "${this.name ?? this.id}"`;
    // The value goes to a temporary file first: a full disk fails it before anything changed.
    let value: PreparedFile;
    try {
      value = size <= SYNC_WRITE_LIMIT ? prepareFileSync(path, body, this.ctx.writeOptions) : await prepareFile(path, body, this.ctx.writeOptions);
    } catch (error) {
      throw ioError(error, action, path);
    }
    // From here on all is synchronous: no other call changes the store until the record is in place.
    if (this.dropped) {
      value.discard();
      this.assertLive();
    }
    const previous = this.#records.get(key);
    const sidecarPath = join(this.dir, `${stem}${SIDECAR_SUFFIX}`);
    const sidecarChanges =
      !previous || !previous.hasSidecar || previous.contentType !== contentType || previous.extension !== extension || previous.stem !== stem;
    try {
      if (!sidecarChanges) {
        value.commit();
      } else if (previous?.fileName === fileName) {
        // The value file is replaced: the sidecar goes first, and is put back if the value cannot follow.
        this.#writeSidecar(sidecarPath, key, contentType, extension);
        try {
          value.commit();
        } catch (error) {
          this.#restoreSidecar(sidecarPath, key, previous);
          throw error;
        }
      } else {
        // A new value file: in place first (a crash then leaves the old record whole, the new file
        // a stray of it), then its sidecar; if the sidecar cannot be written, the file goes again.
        value.commit();
        try {
          this.#writeSidecar(sidecarPath, key, contentType, extension);
        } catch (error) {
          this.#removeQuietly(path);
          throw error;
        }
      }
    } catch (error) {
      value.discard();
      throw ioError(error, action, path);
    }
    // The record is in place. What is left of the old one is removed, or kept as strays for later.
    const leftovers: string[] = [];
    for (const old of [previous?.fileName, ...(previous?.strays ?? [])]) {
      if (old === undefined || old === fileName) continue;
      if (!this.#removeQuietly(join(this.dir, old))) leftovers.push(old);
    }
    if (previous && previous.stem !== stem) this.#removeQuietly(join(this.dir, `${previous.stem}${SIDECAR_SUFFIX}`));
    if (!previous) this.#sortedKeys = undefined;
    this.#records.set(key, { contentType, extension, fileName, stem, size, hasSidecar: true, ...(leftovers.length > 0 ? { strays: leftovers } : {}) });
    this.touch(true);
  }

  #writeSidecar(path: string, key: string, contentType: string, extension: string): void {
    writeFileAtomicSync(path, JSON.stringify({ key, contentType, extension }), this.ctx.writeOptions);
  }

  /** Puts back the sidecar of `previous` (or removes the new one when it had none), after a failed write. */
  #restoreSidecar(path: string, key: string, previous: RecordEntry): void {
    try {
      if (previous.hasSidecar) this.#writeSidecar(path, key, previous.contentType, previous.extension);
      else removeFileSync(path);
    } catch (error) {
      this.ctx.logger.warn(`Could not restore ${path} after a failed write: ${(error as Error).message}`);
    }
  }

  /** Removes a file; gives false (and warns) when that fails. */
  #removeQuietly(path: string): boolean {
    try {
      removeFileSync(path);
      return true;
    } catch (error) {
      this.ctx.logger.warn(`Could not remove ${path}: ${(error as Error).message}`);
      return false;
    }
  }

  async deleteRecord(key: string): Promise<void> {
    this.assertLive();
    const entry = this.#records.get(key);
    if (!entry) return;
    // Leftovers of interrupted writes go first, then the value file: a sidecar without its value
    // is no record, but a value file without a sidecar is one.
    const valuePath = join(this.dir, entry.fileName);
    try {
      for (const stray of entry.strays ?? []) removeFileSync(join(this.dir, stray));
      removeFileSync(valuePath);
    } catch (error) {
      throw ioError(error, `Deleting record "${key}" of key-value store "${this.name ?? this.id}"`, valuePath);
    }
    // The record is gone with its value file; a sidecar that could not be removed names no record.
    this.#removeQuietly(join(this.dir, `${entry.stem}${SIDECAR_SUFFIX}`));
    this.#records.delete(key);
    this.#sortedKeys = undefined;
    this.touch(true);
  }

  async recordExists(key: string): Promise<boolean> {
    this.assertLive();
    return this.#records.has(key);
  }

  #sizeOf(entry: RecordEntry): number {
    if (entry.size === undefined) {
      try {
        entry.size = statSync(join(this.dir, entry.fileName)).size;
      } catch {
        entry.size = 0;
      }
    }
    return entry.size;
  }

  async listKeys(options: ListKeysOptions): Promise<KeysPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    this.#sortedKeys ??= [...this.#records.keys()].sort();
    return pageOfSortedKeys(this.#sortedKeys, options, (key) => {
      const entry = this.#records.get(key)!;
      return { key, size: this.#sizeOf(entry), contentType: entry.contentType };
    });
  }

  /** The `file://` URL of the record's value file. */
  async getPublicUrl(key: string): Promise<string> {
    this.assertLive();
    const entry = this.#records.get(key);
    if (!entry) throw notFound(`Record "${key}" in key-value store "${this.name ?? this.id}"`);
    return pathToFileURL(join(this.dir, entry.fileName)).href;
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.removeFolder();
  }
}
