import { createHash } from 'node:crypto';
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  RECORD_KEY_PATTERN,
  assertRecordKey,
  createUrlSigningSecretKey,
  isJsonContentType,
  isTextContentType,
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
import { METADATA_FILE_NAME, readJsonFile } from './metadata-file.js';
import {
  MAX_FILE_NAME_BYTES,
  isTempFileName,
  removeFileSync,
  removeTempFilesSync,
  writeFileAtomic,
  writeFileAtomicSync,
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
 * The file-name stem of `key`: the key itself, or for keys too long to carry the sidecar suffix
 * in a file name, a prefix of it and a hash (the sidecar keeps the whole key).
 */
function stemOf(key: string): string {
  if (Buffer.byteLength(key) + SIDECAR_SUFFIX.length <= MAX_FILE_NAME_BYTES) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${key.slice(0, MAX_FILE_NAME_BYTES - SIDECAR_SUFFIX.length - hash.length - 1)}~${hash}`;
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
    for (const name of files) {
      if (!name.endsWith(SIDECAR_SUFFIX)) continue;
      claimed.add(name);
      const stem = name.slice(0, -SIDECAR_SUFFIX.length);
      const meta = readJsonFile(join(this.dir, name), this.ctx.logger) as Record<string, unknown> | undefined;
      const key = meta?.['key'];
      const contentType = meta?.['contentType'];
      if (!meta || typeof key !== 'string' || !RECORD_KEY_PATTERN.test(key) || typeof contentType !== 'string') {
        if (meta !== undefined) this.ctx.logger.warn(`Skipping ${join(this.dir, name)}: it does not name a valid key and content type`);
        continue;
      }
      const extension = typeof meta['extension'] === 'string' && meta['extension'] !== '' ? meta['extension'] : extensionOf(contentType);
      const fileName = [`${stem}.${extension}`, stem].find((candidate) => files.has(candidate));
      if (fileName === undefined) continue; // A sidecar whose value was deleted: no record.
      claimed.add(fileName);
      this.#records.set(key, { contentType, extension, fileName, stem, size: undefined, hasSidecar: true });
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
      if (!RECORD_KEY_PATTERN.test(key)) {
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
    // The key names files: one that is no valid key (`../x`) must not reach a path.
    assertRecordKey(key);
    const previous = this.#records.get(key);
    const extension = extensionOf(contentType);
    const stem = stemOf(key);
    const fileName = `${stem}.${extension}`;
    const size = recordBodySize(body);
    const path = join(this.dir, fileName);
    if (size <= SYNC_WRITE_LIMIT) writeFileAtomicSync(path, body, this.ctx.writeOptions);
    else await writeFileAtomic(path, body, this.ctx.writeOptions);
    if (!previous || !previous.hasSidecar || previous.contentType !== contentType || previous.extension !== extension || previous.stem !== stem) {
      const sidecar = JSON.stringify({ key, contentType, extension });
      writeFileAtomicSync(join(this.dir, `${stem}${SIDECAR_SUFFIX}`), sidecar, this.ctx.writeOptions);
    }
    if (previous && previous.fileName !== fileName) removeFileSync(join(this.dir, previous.fileName));
    for (const stray of previous?.strays ?? []) if (stray !== fileName) removeFileSync(join(this.dir, stray));
    if (!previous) this.#sortedKeys = undefined;
    this.#records.set(key, { contentType, extension, fileName, stem, size, hasSidecar: true });
    this.touch(true);
  }

  async deleteRecord(key: string): Promise<void> {
    this.assertLive();
    const entry = this.#records.get(key);
    if (!entry) return;
    // Leftovers of interrupted writes go first, then the value file: a sidecar without its value
    // is no record, but a value file without a sidecar is one.
    for (const stray of entry.strays ?? []) removeFileSync(join(this.dir, stray));
    removeFileSync(join(this.dir, entry.fileName));
    removeFileSync(join(this.dir, `${entry.stem}${SIDECAR_SUFFIX}`));
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
