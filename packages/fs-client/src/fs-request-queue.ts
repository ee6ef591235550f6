import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  PendingRequestOrder,
  StorageError,
  httpMethodSchema,
  lowerBound,
  notFound,
  parseStoredRequest,
  type AddRequestResult,
  type AddRequestsResult,
  type ListRequestsOptions,
  type PlacementOptions,
  type RequestData,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type RequestsPage,
} from '@x/core';
import { LRUCache } from 'lru-cache';
import { FsStorageBase, type FolderIdentity, type FsContext } from './fs-storage-base.js';
import { runAtExit } from './exit-hooks.js';
import { METADATA_FILE_NAME } from './metadata-file.js';
import { readQueueSnapshot, writeQueueSnapshot } from './queue-snapshot.js';
import { MAX_FILE_NAME_BYTES, isTempFileName, listDirSync, removeFileSync, removeTempFilesSync, writeFileAtomicSync } from './safe-files.js';

type RequestState = 'pending' | 'in-progress' | 'handled';

interface QueueEntry {
  readonly id: string;
  state: RequestState;
  /** The order key on disk: `+ms` regular, `-ms` forefront, `null` handled. */
  orderNo: number | null;
  placement: number;
}

/**
 * The entry of every handled request: a handled request needs no order, so they share one entry,
 * which keeps a queue of a million requests small. Frozen: nothing may change it.
 */
const HANDLED: QueueEntry = Object.freeze({ id: '', state: 'handled', orderNo: null, placement: 0 }) as QueueEntry;

/** Order keys of requests added in the same millisecond differ by this (exact in a double). */
const ORDER_STEP = 1 / 1024;
/** Requests whose JSON is kept in memory, so fetching what was just added reads no file. */
const CACHED_REQUESTS = 2_000;
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
  const fd = openSync(path, 'r');
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

/**
 * The file name of request `id`. An id that is no plain file name (empty, with a separator or NUL,
 * starting with a dot, too long) is an `invalid-argument` error: no id leads out of the folder.
 */
function requestFileName(id: string): string {
  const name = `${id}.json`;
  if (id === '' || id.startsWith('.') || /[/\\\0]/.test(id) || Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) {
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
  readonly #entries = new Map<string, QueueEntry>();
  readonly #order = new PendingRequestOrder<QueueEntry>((entry) => entry.state === 'pending');
  readonly #cache = new LRUCache<string, string>({ max: CACHED_REQUESTS });
  #pendingCount = 0;
  #inProgressCount = 0;
  #handledCount = 0;
  #regularClock = 0;
  #forefrontClock = 0;
  #sortedIds: string[] | undefined;
  /** The folder's snapshot matches the files (nothing was written since it was read or made). */
  #snapshotHolds = false;
  readonly #cancelExitSnapshot: () => void;

  constructor(dir: string, identity: FolderIdentity, ctx: FsContext) {
    super(dir, identity, ctx, 'requestQueue');
    this.#scan(identity);
    this.#cancelExitSnapshot = runAtExit(() => this.flush());
  }

  /** Rebuilds the states and the order: from the folder's snapshot if it still holds, else from the request files. */
  #scan(identity: FolderIdentity): void {
    const snapshot = readQueueSnapshot(this.dir);
    this.#snapshotHolds = snapshot !== undefined;
    const pending: QueueEntry[] = [];
    const add = (id: string, orderNo: number | null): void => {
      if (orderNo === null) {
        this.#entries.set(id, HANDLED);
        this.#handledCount++;
        return;
      }
      const entry: QueueEntry = { id, state: 'pending', orderNo, placement: 0 };
      this.#entries.set(id, entry);
      pending.push(entry);
    };
    if (snapshot) {
      const { ids, orderNos } = snapshot;
      for (let i = 0; i < ids.length; i++) add(ids[i]!, orderNos[i]!);
    } else {
      this.#scanFiles(add);
    }
    pending.sort((a, b) => a.orderNo! - b.orderNo!);
    // Forefront keys are negative: the most negative is fetched first, so it goes on the stack last.
    for (let i = pending.length - 1; i >= 0; i--) {
      const entry = pending[i]!;
      if (entry.orderNo! < 0) {
        this.#order.place(entry, true);
        this.#forefrontClock = Math.max(this.#forefrontClock, -entry.orderNo!);
      }
    }
    for (const entry of pending) {
      if (entry.orderNo! >= 0) {
        this.#order.place(entry, false);
        this.#regularClock = Math.max(this.#regularClock, entry.orderNo!);
      }
    }
    this.#pendingCount = pending.length;
    const stored = identity.stored;
    if (stored['handledRequestCount'] !== this.#handledCount || stored['totalRequestCount'] !== this.#entries.size) {
      this.metadataFile.changed();
    }
  }

  /** Reads the order key of every request file (the start of each file, for files we wrote). */
  #scanFiles(add: (id: string, orderNo: number | null) => void): void {
    const names = listDirSync(this.dir);
    removeTempFilesSync(this.dir, names);
    for (const name of names) {
      if (!name.endsWith('.json') || name === METADATA_FILE_NAME || isTempFileName(name) || name.startsWith('.')) continue;
      const path = join(this.dir, name);
      let orderNo: number | null | undefined;
      try {
        // The rest of the file is parsed when the request is read: the key says where it belongs.
        orderNo = readOrderNoFast(path) ?? readOrderNo(readFileSync(path, 'utf8'));
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
   * Writes the snapshot that lets the next open skip reading every file: when the queue is large
   * and its folder changed since the last snapshot. Runs at process exit and on the client's flush.
   */
  override flush(): void {
    // Writing the metadata file changes the folder too: a snapshot made before it no longer holds.
    if (this.metadataFile.dirty) this.#snapshotHolds = false;
    super.flush();
    if (this.dropped || this.#snapshotHolds || this.#entries.size < this.ctx.queueSnapshotMinRequests) return;
    writeQueueSnapshot(this.dir, this.#entries, this.ctx.writeOptions);
    this.#snapshotHolds = true;
  }

  protected metadataRecord(): Record<string, unknown> {
    return {
      ...this.baseRecord(),
      totalRequestCount: this.#entries.size,
      handledRequestCount: this.#handledCount,
      pendingRequestCount: this.#entries.size - this.#handledCount,
      hadMultipleClients: false,
      forefrontRequestIds: this.#order
        .forefrontEntries()
        .slice(-MAX_FOREFRONT_IDS_IN_METADATA)
        .map((entry) => entry.id),
    };
  }

  async getMetadata(): Promise<RequestQueueMetadata> {
    this.assertLive();
    return {
      ...this.baseMetadata(),
      totalRequestCount: this.#entries.size,
      handledRequestCount: this.#handledCount,
      pendingRequestCount: this.#entries.size - this.#handledCount,
    };
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
    const json = JSON.stringify(request);
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
    this.#snapshotHolds = false;
    writeFileAtomicSync(join(this.dir, requestFileName(request.id)), file, this.ctx.writeOptions);
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

  #entryOf(request: RequestData): QueueEntry {
    const entry = this.#entries.get(request.id);
    if (!entry) throw notFound(`Request "${request.id}" in request queue "${this.name ?? this.id}"`);
    return entry;
  }

  #result(request: RequestData, entry: QueueEntry, wasAlreadyPresent: boolean): AddRequestResult {
    return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent, wasAlreadyHandled: entry.state === 'handled' };
  }

  #count(state: RequestState, delta: number): void {
    if (state === 'pending') this.#pendingCount += delta;
    else if (state === 'in-progress') this.#inProgressCount += delta;
    else this.#handledCount += delta;
  }

  /** Moves a request that is not handled between pending and in progress. */
  #setState(entry: QueueEntry, state: 'pending' | 'in-progress'): void {
    if (entry.state === state) return;
    this.#count(entry.state, -1);
    this.#count(state, 1);
    entry.state = state;
  }

  /** Marks the request of `entry` handled: its places in the order go stale, and it shares {@link HANDLED}. */
  #setHandled(entry: QueueEntry): void {
    if (entry === HANDLED) return;
    this.#count(entry.state, -1);
    this.#handledCount++;
    entry.state = 'handled';
    this.#entries.set(entry.id, HANDLED);
  }

  /** A pending entry for a handled request made pending again, placed as `forefront` says. */
  #unhandle(id: string, orderNo: number, forefront: boolean): QueueEntry {
    const entry: QueueEntry = { id, state: 'pending', orderNo, placement: 0 };
    this.#handledCount--;
    this.#pendingCount++;
    this.#entries.set(id, entry);
    this.#order.place(entry, forefront);
    return entry;
  }

  /** Removes the request `id` from the queue's memory. */
  #forget(id: string, entry: QueueEntry): void {
    this.#count(entry.state, -1);
    if (entry !== HANDLED) this.#order.unplace(entry);
    this.#entries.delete(id);
    this.#cache.delete(id);
    this.#sortedIds = undefined;
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    this.assertLive();
    for (const request of requests) requestFileName(request.id); // A bad id means none is added.
    const processedRequests: AddRequestResult[] = [];
    for (const request of requests) {
      const existing = this.#entries.get(request.id);
      if (existing) {
        processedRequests.push(this.#result(request, existing, true));
        continue;
      }
      const handled = request.handledAt !== undefined;
      const orderNo = handled ? null : this.#nextOrderNo(forefront);
      this.#writeRequest(request, orderNo);
      this.#sortedIds = undefined;
      if (orderNo === null) {
        this.#entries.set(request.id, HANDLED);
        this.#handledCount++;
      } else {
        const entry: QueueEntry = { id: request.id, state: 'pending', orderNo, placement: 0 };
        this.#entries.set(request.id, entry);
        this.#pendingCount++;
        this.#order.place(entry, forefront);
      }
      processedRequests.push({ requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false });
    }
    this.touch(true);
    return { processedRequests, unprocessedRequests: [] };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    this.assertLive();
    this.accessedAt = Date.now();
    return this.#entries.has(id) ? this.#readRequest(id) : undefined;
  }

  async fetchNextRequest(): Promise<RequestData | null> {
    this.assertLive();
    this.accessedAt = Date.now();
    for (let entry = this.#order.takeNext(); entry; entry = this.#order.takeNext()) {
      const request = this.#readRequest(entry.id);
      if (request) {
        this.#setState(entry, 'in-progress');
        return request;
      }
      // An unreadable file (written by someone else) cannot be served: leave it out of the queue.
      this.#forget(entry.id, entry);
    }
    return null;
  }

  async markRequestAsHandled(request: RequestData): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    if (entry.state === 'handled') return this.#result(request, entry, true);
    const result = this.#result(request, entry, true);
    this.#writeRequest(request, null);
    this.#setHandled(entry);
    this.touch(true);
    return result;
  }

  async reclaimRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    if (entry.state === 'handled') return this.#result(request, entry, true);
    const { handledAt: _ignored, ...pending } = request;
    const orderNo = this.#nextOrderNo(forefront);
    this.#writeRequest(pending, orderNo);
    entry.orderNo = orderNo;
    this.#setState(entry, 'pending');
    this.#order.place(entry, forefront);
    this.touch(true);
    return this.#result(request, entry, true);
  }

  async updateRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    const result = this.#result(request, entry, true);
    const wantsHandled = request.handledAt !== undefined;
    if (wantsHandled) {
      this.#writeRequest(request, null);
      this.#setHandled(entry);
    } else if (entry === HANDLED) {
      const orderNo = this.#nextOrderNo(forefront);
      this.#writeRequest(request, orderNo);
      this.#unhandle(request.id, orderNo, forefront);
    } else if (entry.state === 'pending' && forefront) {
      entry.orderNo = this.#nextOrderNo(true);
      this.#writeRequest(request, entry.orderNo);
      this.#order.place(entry, true);
    } else {
      this.#writeRequest(request, entry.orderNo);
    }
    this.touch(true);
    return result;
  }

  async deleteRequest(id: string): Promise<void> {
    this.assertLive();
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#snapshotHolds = false;
    removeFileSync(join(this.dir, `${id}.json`));
    this.#forget(id, entry);
    this.touch(true);
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    this.assertLive();
    this.accessedAt = Date.now();
    const head: RequestData[] = [];
    for (const entry of this.#order.peek(limit)) {
      const request = this.#readRequest(entry.id);
      if (request) head.push(request);
    }
    return head;
  }

  async listRequests({ limit, exclusiveStartId }: ListRequestsOptions): Promise<RequestsPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    this.#sortedIds ??= [...this.#entries.keys()].sort();
    const ids = this.#sortedIds;
    const start = exclusiveStartId === undefined ? 0 : lowerBound(ids, exclusiveStartId, false);
    const page = ids.slice(start, start + limit);
    const items: RequestData[] = [];
    for (const id of page) {
      const request = this.#readRequest(id);
      if (request) items.push(request);
    }
    const last = page.at(-1);
    return start + limit < ids.length && last !== undefined ? { items, nextExclusiveStartId: last } : { items };
  }

  async isEmpty(): Promise<boolean> {
    this.assertLive();
    return this.#pendingCount === 0;
  }

  async isFinished(): Promise<boolean> {
    this.assertLive();
    return this.#pendingCount === 0 && this.#inProgressCount === 0;
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.#cancelExitSnapshot();
    this.removeFolder();
    this.#entries.clear();
    this.#order.clear();
    this.#cache.clear();
  }
}
