import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  RequestQueueIndex,
  RequestQueueLocks,
  placementOrder,
  StorageError,
  httpMethodSchema,
  notFound,
  parseStoredRequest,
  serializeRequestData,
  type AddRequestResult,
  type AddRequestsResult,
  type DeleteRequestLockOptions,
  type ListAndLockHeadOptions,
  type ListRequestsOptions,
  type LockedHead,
  type PlacementOptions,
  type ProlongRequestLockOptions,
  type RequestChangeOptions,
  type RequestData,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type RequestsPage,
} from '@x/core';
import { LRUCache } from 'lru-cache';
import { FsStorageBase, type FolderIdentity, type FsContext } from './fs-storage-base.js';
import { runAtExit } from './exit-hooks.js';
import { ioError } from './io-errors.js';
import { METADATA_FILE_NAME } from './metadata-file.js';
import { QueueJournal, readQueueJournal } from './queue-journal.js';
import { folderTime, openQueueSnapshot, removeIndexTempFiles, removeQueueIndexFiles, writeQueueSnapshot } from './queue-snapshot.js';
import {
  MAX_FILE_NAME_BYTES,
  isTempFileName,
  listDirSync,
  removeFileSync,
  removeTempFilesSync,
  tempPathFor,
  writeFileAtomicSync,
} from './safe-files.js';

/** Order keys of requests added in the same millisecond differ by this (exact in a double). */
const ORDER_STEP = 1 / 1024;
/**
 * The JSON of recently written requests is kept in memory, so fetching what was just added reads no
 * file: at most this many requests, and this many bytes (about, counting 2 bytes a character) …
 */
const CACHED_REQUESTS = 2_000;
const CACHED_REQUEST_BYTES = 16 * 1024 * 1024;
/** … and no request larger than this: its file is read when it is needed. */
const MAX_CACHED_REQUEST_BYTES = CACHED_REQUEST_BYTES / 16;
/** A journal is read back at about a million lines a second: a new snapshot comes after at most this many, or half the queue. */
const MIN_JOURNAL_BEFORE_SNAPSHOT = 50_000;
/** Crawlee reads `forefrontRequestIds` from the metadata to serve forefront requests first. */
const MAX_FOREFRONT_IDS_IN_METADATA = 10_000;

/**
 * Reads the order key of a request file without parsing all of it: `"orderNo":` can only be the
 * top-level key (inside a JSON string every `"` is escaped, and only keys are followed by `:`).
 * Falls back to parsing the file; throws when it is not JSON, gives `undefined` without a key.
 */
function readOrderNo(text: string): number | null | undefined {
  const at = text.lastIndexOf('"orderNo":');
  if (at !== -1) {
    const rest = text.slice(at + 10, at + 60).trimStart();
    if (rest.startsWith('null')) return null;
    const match = /^-?\d+(\.\d+)?(e[+-]?\d+)?/i.exec(rest);
    if (match) return Number(match[0]);
  }
  const orderNo = (JSON.parse(text) as { orderNo?: unknown } | null)?.orderNo;
  return orderNo === null || typeof orderNo === 'number' ? orderNo : undefined;
}

const HTTP_METHODS = new Set<string>(httpMethodSchema.options);

/** True for a request with every field of `RequestData` present, as our client writes them. */
function isCompleteRequest(value: unknown): value is RequestData {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r['id'] === 'string' &&
    typeof r['url'] === 'string' &&
    typeof r['uniqueKey'] === 'string' &&
    HTTP_METHODS.has(r['method'] as string) &&
    typeof r['retryCount'] === 'number' &&
    typeof r['noRetry'] === 'boolean' &&
    Array.isArray(r['errorMessages']) &&
    r['userData'] !== null &&
    typeof r['userData'] === 'object' &&
    !Object.values(r).includes(null)
  );
}

const ORDER_PREFIX = '{"orderNo":';
const prefixBuffer = Buffer.alloc(64);

/**
 * Reads the order key from the first bytes of a file we wrote (`{"orderNo":…` comes first),
 * which is much cheaper than reading whole files when a queue of a million requests opens.
 * Gives `undefined` for a file in another form (Crawlee's), to be read whole.
 */
function readOrderNoFast(path: string): number | null | undefined {
  const fd = openSync(path, constants.O_RDONLY);
  let length: number;
  try {
    length = readSync(fd, prefixBuffer, 0, prefixBuffer.length, 0);
  } finally {
    closeSync(fd);
  }
  const head = prefixBuffer.toString('latin1', 0, length);
  if (!head.startsWith(ORDER_PREFIX)) return undefined;
  const end = head.indexOf(',', ORDER_PREFIX.length);
  if (end === -1) return undefined;
  const value = head.slice(ORDER_PREFIX.length, end);
  if (value === 'null') return null;
  const orderNo = Number(value);
  return value !== '' && Number.isFinite(orderNo) ? orderNo : undefined;
}

/** Thrown while a queue is restored when its snapshot or journal names a request that cannot be a file name. */
class DamagedIndexError extends Error {
  constructor(readonly id: string) {
    super(`Request id ${JSON.stringify(id.slice(0, 80))} cannot be a file name`);
  }
}

/** Cheap check of an id read back from a snapshot or journal: a plain file name (see {@link requestFileName}). */
function isPlainRequestId(id: string): boolean {
  return (
    id !== '' &&
    id.charCodeAt(0) !== 0x2e &&
    id.length <= MAX_FILE_NAME_BYTES - 5 &&
    !id.includes('/') &&
    !id.includes('\\') &&
    !id.includes('\0') &&
    id !== METADATA_ID
  );
}

/** The id whose file would be the queue's `__metadata__.json`. */
const METADATA_ID = METADATA_FILE_NAME.slice(0, -'.json'.length);

/**
 * The file name of request `id`. An id that is no plain file name (empty, with a separator or NUL,
 * starting with a dot like the temporary files and `.x-index`, too long) or that would name the
 * queue's metadata file is an `invalid-argument` error: no id leads out of the folder or onto a
 * file of the layout.
 */
function requestFileName(id: string): string {
  const name = `${id}.json`;
  if (id === '' || id.startsWith('.') || /[/\\\0]/.test(id) || Buffer.byteLength(name) > MAX_FILE_NAME_BYTES || id === METADATA_ID) {
    throw new StorageError('invalid-argument', `Request id ${JSON.stringify(id.slice(0, 80))} cannot be used as a file name`);
  }
  return name;
}

/**
 * A request queue on disk: one `<requestId>.json` file per request, in Crawlee's format. The
 * queue's order and states live in memory (rebuilt from the files on open) so no operation scans
 * the folder; each change rewrites just the one request file, through a temporary file.
 *
 * Requests in progress are not marked on disk: if the process dies, they are pending when the
 * queue is opened again.
 */
export class FsRequestQueue extends FsStorageBase implements RequestQueueClient {
  /** Every request's state and order key on disk (`+ms` regular, `-ms` forefront, `null` handled). */
  readonly #index = new RequestQueueIndex();
  /** Locks of requests in progress; kept in memory only, so after a crash those requests are pending. */
  readonly #locks = new RequestQueueLocks(this.#index, (slot, forefront) => this.#placeAgain(slot, forefront), this.label);
  readonly #cache = new LRUCache<string, string>({
    max: CACHED_REQUESTS,
    maxSize: CACHED_REQUEST_BYTES,
    maxEntrySize: MAX_CACHED_REQUEST_BYTES,
    sizeCalculation: (json) => json.length * 2 || 1,
  });
  #regularClock = 0;
  #forefrontClock = 0;
  /** Changes since the last snapshot, recorded while the queue is large enough to have snapshots. */
  readonly #journal: QueueJournal;
  readonly #cancelExitSnapshot: () => void;

  constructor(dir: string, identity: FolderIdentity, ctx: FsContext) {
    super(dir, identity, ctx, 'requestQueue');
    this.#journal = new QueueJournal(dir, ctx.writeOptions);
    this.metadataFile.beforeWrite = (temp) => this.#journal.metadataWritten(basename(temp));
    const snapshotHolds = this.#scan(identity);
    if (this.#index.size >= ctx.queueSnapshotMinRequests) {
      // From here on every change is journaled after this snapshot (or the one that held).
      if (snapshotHolds) this.#journal.restart(snapshotHolds);
      else this.#writeSnapshot();
    } else {
      // A snapshot and journal left from when the queue was larger would not see the changes to come.
      removeQueueIndexFiles(dir);
    }
    this.#cancelExitSnapshot = runAtExit(() => this.flush());
  }

  /**
   * Rebuilds the states and the order: from the folder's snapshot and journal if they hold, else
   * from the request files. Gives the snapshot's stamp when it holds with no change since.
   */
  #scan(identity: FolderIdentity): string | undefined {
    const index = this.#index;
    const restore = (id: string, orderNo: number | null | undefined): void => {
      if (!isPlainRequestId(id)) throw new DamagedIndexError(id);
      if (orderNo === undefined) {
        const slot = index.find(id);
        if (slot !== -1) index.remove(slot);
        return;
      }
      index.restore(id, orderNo);
      if (orderNo === null) return;
      if (orderNo < 0) this.#forefrontClock = Math.max(this.#forefrontClock, -orderNo);
      else this.#regularClock = Math.max(this.#regularClock, orderNo);
    };
    removeIndexTempFiles(this.dir);
    const unchangedStamp = this.#restoreFromSnapshot(restore);
    if (unchangedStamp === false) {
      // A snapshot that turned out damaged halfway may have restored some requests.
      index.clear();
      this.#regularClock = 0;
      this.#forefrontClock = 0;
      this.#scanFiles(restore);
    }
    index.placeRestored();
    const stored = identity.stored;
    if (stored['handledRequestCount'] !== index.handledCount || stored['totalRequestCount'] !== index.size) {
      this.metadataFile.changed();
    }
    return unchangedStamp === false ? undefined : unchangedStamp;
  }

  /**
   * Restores the queue from its snapshot and the journal after it, when they hold. False when they
   * do not (the files must be read); else the snapshot's stamp when nothing changed since it, or
   * `undefined` when the journal had changes.
   */
  #restoreFromSnapshot(restore: (id: string, orderNo: number | null | undefined) => void): string | undefined | false {
    try {
      return this.#restoreFromSnapshotFiles(restore);
    } catch (error) {
      if (!(error instanceof DamagedIndexError)) throw error;
      this.ctx.logger.warn(`Reading the request files of ${this.dir}: its snapshot or journal names a request ${JSON.stringify(error.id.slice(0, 80))}`);
      return false;
    }
  }

  #restoreFromSnapshotFiles(restore: (id: string, orderNo: number | null | undefined) => void): string | undefined | false {
    const snapshot = openQueueSnapshot(this.dir);
    if (!snapshot) return false;
    const now = folderTime(this.dir);
    const journal = readQueueJournal(this.dir, snapshot.stamp, now);
    if (journal === false || (journal === undefined && now !== BigInt(snapshot.stamp))) return false;
    if (!snapshot.restore(restore)) return false;
    if (!journal || journal.changes === 0) return snapshot.stamp;
    journal.replay(restore);
    if (journal.unsure !== undefined) {
      // The last change was announced; whether it was made, its file tells.
      const id = journal.unsure;
      restore(id, this.#readOrderNoOf(id));
    }
    if (journal.leftover !== undefined && isTempFileName(journal.leftover) && !/[/\\]/.test(journal.leftover)) {
      removeFileSync(join(this.dir, journal.leftover));
    }
    return undefined;
  }

  /** The order key in request `id`'s file; `undefined` when it is missing or unreadable. */
  #readOrderNoOf(id: string): number | null | undefined {
    const path = join(this.dir, `${id}.json`);
    try {
      const orderNo = readOrderNoFast(path);
      return orderNo === undefined ? readOrderNo(readFileSync(path, 'utf8')) : orderNo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.ctx.logger.warn(`Skipping request file ${path}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Writes a snapshot of the queue as it is on disk now, and starts journaling after it. When that
   * fails (a full disk), the snapshot and journal are given up: the next open reads the files.
   */
  #writeSnapshot(): void {
    try {
      this.#journal.restart(writeQueueSnapshot(this.dir, this.#index, this.ctx.writeOptions));
    } catch (error) {
      this.#abandonSnapshots(error);
    }
  }

  /** Stops journaling and deletes the snapshot and journal, which no longer account for the folder. */
  #abandonSnapshots(cause: unknown): void {
    this.#journal.stop();
    try {
      removeQueueIndexFiles(this.dir);
    } finally {
      this.ctx.logger.warn(`Request queue ${this.dir}: snapshot and journal given up (${(cause as Error).message}); the next open reads every request file`);
    }
  }

  /**
   * After a change: starts snapshots and the journal once the queue is large, and writes a new
   * snapshot when the journal has grown to half the queue, so it stays quick to read back.
   */
  #afterChange(): void {
    const size = this.#index.size;
    if (this.#journal.active ? this.#journal.lines > Math.max(MIN_JOURNAL_BEFORE_SNAPSHOT, size / 2) : size >= this.ctx.queueSnapshotMinRequests) {
      this.#writeSnapshot();
    }
  }

  /**
   * Makes a change announced in the journal. If it fails, the journal would tell of a change never
   * made once more lines follow: it is given up, and the error thrown.
   */
  #journaled(change: () => void): void {
    try {
      change();
    } catch (error) {
      if (this.#journal.active) this.#abandonSnapshots(error);
      throw error;
    }
  }

  /** Reads the order key of every request file (the start of each file, for files we wrote). */
  #scanFiles(add: (id: string, orderNo: number | null) => void): void {
    const names = listDirSync(this.dir);
    removeTempFilesSync(this.dir, names);
    const prefix = join(this.dir, '/');
    for (const name of names) {
      if (!name.endsWith('.json') || name === METADATA_FILE_NAME || isTempFileName(name) || name.startsWith('.')) continue;
      const path = prefix + name;
      let orderNo: number | null | undefined;
      try {
        // The rest of the file is parsed when the request is read: the key says where it belongs.
        orderNo = readOrderNoFast(path);
        // `null` (handled) is an answer; only `undefined` means the file is in another form.
        if (orderNo === undefined) orderNo = readOrderNo(readFileSync(path, 'utf8'));
      } catch (error) {
        this.ctx.logger.warn(`Skipping request file ${path}: ${(error as Error).message}`);
        continue;
      }
      if (orderNo === undefined) {
        this.ctx.logger.warn(`Skipping request file ${path}: it has no orderNo`);
        continue;
      }
      add(name.slice(0, -5), orderNo);
    }
  }

  /**
   * Writes the metadata, and a snapshot that lets the next open skip reading every file: when the
   * queue is large and its folder changed since the last snapshot. Runs at process exit and on the
   * client's flush.
   */
  override flush(): void {
    super.flush();
    if (this.dropped || this.#index.size < this.ctx.queueSnapshotMinRequests) return;
    if (!this.#journal.active || this.#journal.lines > 0) this.#writeSnapshot();
  }

  override close(): void {
    super.close();
    this.#cancelExitSnapshot();
    this.#journal.stop();
  }

  #counts(): Pick<RequestQueueMetadata, 'totalRequestCount' | 'handledRequestCount' | 'pendingRequestCount'> {
    const index = this.#index;
    return { totalRequestCount: index.size, handledRequestCount: index.handledCount, pendingRequestCount: index.size - index.handledCount };
  }

  protected metadataRecord(): Record<string, unknown> {
    return {
      ...this.baseRecord(),
      ...this.#counts(),
      hadMultipleClients: false,
      forefrontRequestIds: this.#index
        .forefrontSlots()
        .slice(-MAX_FOREFRONT_IDS_IN_METADATA)
        .map((slot) => this.#index.idOf(slot)),
    };
  }

  async getMetadata(): Promise<RequestQueueMetadata> {
    this.assertLive();
    return { ...this.baseMetadata(), ...this.#counts() };
  }

  #nextOrderNo(forefront: boolean): number {
    const now = Date.now();
    if (forefront) {
      this.#forefrontClock = Math.max(now, this.#forefrontClock + ORDER_STEP);
      return -this.#forefrontClock;
    }
    this.#regularClock = Math.max(now, this.#regularClock + ORDER_STEP);
    return this.#regularClock;
  }

  /** Writes the request's file with `orderNo`, and keeps its JSON in the cache. */
  #writeRequest(request: RequestData, orderNo: number | null): void {
    const json = serializeRequestData(request); // throws before anything is written
    // `orderNo` first: opening a queue reads only the start of each file (see #scan).
    const file = JSON.stringify({
      orderNo,
      id: request.id,
      json,
      method: request.method,
      retryCount: request.retryCount,
      uniqueKey: request.uniqueKey,
      url: request.url,
    });
    const path = join(this.dir, requestFileName(request.id));
    const temp = tempPathFor(path);
    try {
      this.#journaled(() => {
        this.#journal.requestWritten(request.id, orderNo, basename(temp));
        writeFileAtomicSync(path, file, this.ctx.writeOptions, temp);
      });
    } catch (error) {
      throw ioError(error, `Writing request "${request.id}" of ${this.label}`, path);
    }
    this.#cache.set(request.id, json);
  }

  /** The stored request of `id`, from the cache or its file; `undefined` (and a warning) if unreadable. */
  #readRequest(id: string): RequestData | undefined {
    const cached = this.#cache.get(id);
    if (cached !== undefined) return JSON.parse(cached) as RequestData;
    const path = join(this.dir, `${id}.json`);
    try {
      const file = JSON.parse(readFileSync(path, 'utf8')) as { json?: unknown };
      const stored: unknown = typeof file.json === 'string' ? JSON.parse(file.json) : undefined;
      // What we wrote is complete; what others wrote gets its defaults and is checked.
      const request = isCompleteRequest(stored) ? stored : parseStoredRequest(stored);
      if (request) return request;
      this.ctx.logger.warn(`Skipping request file ${path}: it holds no valid request`);
    } catch (error) {
      this.ctx.logger.warn(`Skipping request file ${path}: ${(error as Error).message}`);
    }
    return undefined;
  }

  /**
   * Makes a locked request pending again when its lock ends without a change to it: its file gets
   * the order key of its new place (last, or first with `forefront`), so it is there after a reopen.
   */
  #placeAgain(slot: number, forefront: boolean): void {
    const id = this.#index.idOf(slot);
    const request = this.#readRequest(id);
    if (!request) {
      this.#forget(slot, id);
      return;
    }
    const orderNo = this.#nextOrderNo(forefront);
    try {
      this.#writeRequest(request, orderNo);
    } catch (error) {
      // The request must not stay in progress without a lock: it goes back where its file says.
      this.ctx.logger.warn(`Request queue ${this.dir}: request "${id}" placed again without writing its file: ${(error as Error).message}`);
      this.#index.makePending(slot, false, this.#index.orderNoOf(slot) ?? orderNo);
      return;
    }
    this.#index.makePending(slot, forefront, orderNo);
    this.touch(true);
    this.#afterChange();
  }

  #result(request: RequestData, wasAlreadyHandled: boolean): AddRequestResult {
    return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled };
  }

  /** Removes the request in `slot` from the queue's memory. */
  #forget(slot: number, id: string): void {
    this.#index.remove(slot);
    this.#cache.delete(id);
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    this.assertLive();
    // A bad id, or a request that cannot be serialized, means none is added.
    for (const request of requests) {
      requestFileName(request.id);
      serializeRequestData(request);
    }
    const index = this.#index;
    const processedRequests: AddRequestResult[] = new Array(requests.length);
    for (const at of placementOrder(requests, forefront)) {
      const request = requests[at]!;
      const existing = index.find(request.id);
      if (existing !== -1) {
        processedRequests[at] = this.#result(request, index.stateOf(existing) === 'handled');
        continue;
      }
      const handled = request.handledAt !== undefined;
      const orderNo = handled ? null : this.#nextOrderNo(forefront);
      this.#writeRequest(request, orderNo);
      index.add(request.id, { handled, forefront, orderNo: orderNo ?? 0 });
      processedRequests[at] = { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false };
    }
    this.touch(true);
    this.#afterChange();
    return { processedRequests, unprocessedRequests: [] };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    this.assertLive();
    this.accessedAt = Date.now();
    return this.#index.find(id) === -1 ? undefined : this.#readRequest(id);
  }

  async listAndLockHead(options: ListAndLockHeadOptions): Promise<LockedHead> {
    this.assertLive();
    this.accessedAt = Date.now();
    return this.#locks.lockHead(options, () => {
      for (let slot = this.#index.takeNext(); slot !== -1; slot = this.#index.takeNext()) {
        const id = this.#index.idOf(slot);
        const request = this.#readRequest(id);
        if (request) return { slot, request };
        // An unreadable file (written by someone else) cannot be served: leave it out of the queue.
        this.#forget(slot, id);
      }
      return undefined;
    });
  }

  async prolongRequestLock(id: string, options: ProlongRequestLockOptions): Promise<{ readonly lockExpiresAt: Date }> {
    this.assertLive();
    return this.#locks.prolong(id, options);
  }

  async deleteRequestLock(id: string, options: DeleteRequestLockOptions): Promise<void> {
    this.assertLive();
    this.#locks.unlock(id, options);
  }

  async unlockRequests({ clientKey }: { readonly clientKey: string }): Promise<number> {
    this.assertLive();
    return this.#locks.unlockAll(clientKey);
  }

  async markRequestAsHandled(request: RequestData, options?: RequestChangeOptions): Promise<AddRequestResult> {
    this.assertLive();
    const slot = this.#locks.changeableSlot(request.id, options?.clientKey);
    // A request handled before stays handled, and its changes are stored as for any other.
    const wasHandled = this.#index.stateOf(slot) === 'handled';
    this.#writeRequest(request, null);
    if (!wasHandled) {
      this.#locks.release(slot);
      this.#index.markHandled(slot);
    }
    this.touch(true);
    this.#afterChange();
    return this.#result(request, wasHandled);
  }

  async reclaimRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    this.assertLive();
    const slot = this.#locks.changeableSlot(request.id, options?.clientKey);
    const state = this.#index.stateOf(slot);
    if (state === 'handled') return this.#result(request, true);
    const { handledAt: _ignored, ...pending } = request;
    // A pending request nobody held stays where it is, unless forefront moves it first.
    const placed = state !== 'pending' || options.forefront;
    const orderNo = placed ? this.#nextOrderNo(options.forefront) : (this.#index.orderNoOf(slot) ?? this.#nextOrderNo(false));
    this.#writeRequest(pending, orderNo);
    this.#locks.release(slot);
    if (placed) this.#index.makePending(slot, options.forefront, orderNo);
    this.touch(true);
    this.#afterChange();
    return this.#result(request, false);
  }

  async updateRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    this.assertLive();
    // A request whose lock has expired is pending: placed again first, so `forefront` below applies to it.
    this.#locks.releaseExpired();
    const { forefront } = options;
    const index = this.#index;
    const slot = this.#locks.changeableSlot(request.id, options?.clientKey);
    const state = index.stateOf(slot);
    const result = this.#result(request, state === 'handled');
    if (request.handledAt !== undefined) {
      this.#writeRequest(request, null);
      if (state !== 'handled') {
        this.#locks.release(slot);
        index.markHandled(slot);
      }
    } else if (state === 'handled' || (state === 'pending' && forefront)) {
      // A handled request made pending again, or a pending one moved to the front.
      const orderNo = this.#nextOrderNo(forefront);
      this.#writeRequest(request, orderNo);
      index.makePending(slot, forefront, orderNo);
    } else {
      this.#writeRequest(request, index.orderNoOf(slot));
    }
    this.touch(true);
    this.#afterChange();
    return result;
  }

  async deleteRequest(id: string, options?: RequestChangeOptions): Promise<void> {
    this.assertLive();
    const slot = this.#index.find(id);
    if (slot === -1) return;
    this.#locks.assertMayChange(slot, options?.clientKey);
    const path = join(this.dir, `${id}.json`);
    try {
      this.#journaled(() => {
        this.#journal.requestDeleted(id);
        removeFileSync(path);
      });
    } catch (error) {
      throw ioError(error, `Deleting request "${id}" of ${this.label}`, path);
    }
    this.#locks.release(slot);
    this.#forget(slot, id);
    this.touch(true);
    this.#afterChange();
  }

  /** The requests in `slots` that can be read. */
  #readSlots(slots: readonly number[]): RequestData[] {
    const requests: RequestData[] = [];
    for (const slot of slots) {
      const request = this.#readRequest(this.#index.idOf(slot));
      if (request) requests.push(request);
    }
    return requests;
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    this.assertLive();
    this.accessedAt = Date.now();
    this.#locks.releaseExpired();
    return this.#readSlots(this.#index.peek(limit));
  }

  async listRequests(options: ListRequestsOptions): Promise<RequestsPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    return this.#locks.pageRequests(options, (slots) => this.#readSlots(slots));
  }

  async isEmpty(): Promise<boolean> {
    this.assertLive();
    this.#locks.releaseExpired();
    return this.#index.pendingCount === 0;
  }

  async isFinished(): Promise<boolean> {
    this.assertLive();
    return !this.#locks.hasLocks() && this.#index.pendingCount === 0;
  }

  async hasLockedRequests(): Promise<boolean> {
    this.assertLive();
    return this.#locks.hasLocks();
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.#cancelExitSnapshot();
    this.#journal.stop();
    this.removeFolder();
    this.#locks.clear();
    this.#index.clear();
    this.#cache.clear();
  }
}
