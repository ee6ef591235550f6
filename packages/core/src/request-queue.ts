import { randomBytes } from 'node:crypto';
import { StorageError } from './errors.js';
import type { AddRequestResult, RequestData, RequestQueueMetadata } from './models.js';
import { MAX_LOCK_LIMIT, assertClientKey, assertLockSecs } from './request-locks.js';
import { Request, checkedRequestData, serializeRequestData, toRequest, type RequestLike } from './request.js';
import type { AddRequestsResult, RequestQueueClient, StorageClient } from './storage-client.js';
import { forgetStorage, openCached, type OpenStorageClientOptions, type OpenStorageInput } from './storage-registry.js';

/** Options of adding and reclaiming requests. */
export interface RequestPlacementOptions {
  /** Put the request(s) before all others; the newest forefront request comes first. */
  readonly forefront?: boolean | undefined;
}

/** What {@link RequestQueue.addRequests} takes: an array, an iterable or an async iterable of requests (as Crawlee's `RequestsLike`). */
export type RequestsLike = readonly RequestLike[] | Iterable<RequestLike> | AsyncIterable<RequestLike>;

/** Options of {@link RequestQueue.addRequestsBatched}: Crawlee's `AddRequestsBatchedOptions`. */
export interface AddRequestsBatchedOptions extends RequestPlacementOptions {
  /** Resolve once every batch is added, not only the first. Default false. */
  readonly waitForAllRequestsToBeAdded?: boolean | undefined;
  /** Requests per batch. Default 1000. */
  readonly batchSize?: number | undefined;
  /** Pause before each batch after the first, in milliseconds. Default 1000. */
  readonly waitBetweenBatchesMillis?: number | undefined;
  /**
   * Add at most this many requests that are new to the queue; the requests left over are given
   * back in `requestsOverLimit`. Implies `waitForAllRequestsToBeAdded`.
   */
  readonly maxNewRequests?: number | undefined;
}

/** What {@link RequestQueue.addRequestsBatched} gives: Crawlee's `AddRequestsBatchedResult`. */
export interface AddRequestsBatchedResult {
  /** The results of the first batch (of every batch with `waitForAllRequestsToBeAdded`). */
  readonly addedRequests: AddRequestResult[];
  /** Resolves to the results of the batches added after the first, once they are all added; rejects when one fails. */
  readonly waitForAllRequestsToBeAdded: Promise<AddRequestResult[]>;
  /** With `maxNewRequests`: the requests not added because the limit was reached, as they were given. */
  readonly requestsOverLimit: RequestLike[];
}

async function collectRequests(requests: RequestsLike, call: string): Promise<RequestLike[]> {
  if (Array.isArray(requests)) return requests as RequestLike[];
  if (typeof requests === 'object' && requests !== null) {
    if (Symbol.asyncIterator in requests) {
      const out: RequestLike[] = [];
      for await (const request of requests) out.push(request);
      return out;
    }
    if (Symbol.iterator in requests) return [...requests];
  }
  throw new StorageError('invalid-argument', `${call} takes an array or an iterable of requests`);
}

function assertCount(value: number | undefined, what: string, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min)) {
    throw new StorageError('invalid-argument', `${what} must be an integer of at least ${min}, got ${String(value)}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toData(request: Request): RequestData {
  if (typeof request !== 'object' || request === null) {
    throw new StorageError('invalid-argument', 'Expected a Request fetched from the queue');
  }
  const data = typeof request.toData === 'function' ? request.toData() : toRequest(request).toData();
  serializeRequestData(data); // userData may have been changed since the request was fetched
  return data;
}

/** Seconds a fetched request stays locked when the storage client does not say (see {@link StorageClient.requestLockSecs}). */
export const DEFAULT_REQUEST_LOCK_SECS = 60;

/** A request locked for this consumer and not handed out yet, with the time its lock surely lasts until (this process's clock). */
interface BufferedRequest {
  readonly data: RequestData;
  lockedUntil: number;
}

function isLostLock(error: unknown): boolean {
  return StorageError.is(error, 'not-found') || StorageError.is(error, 'conflict') || StorageError.is(error, 'locked');
}

function assertFetchBatchSize(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LOCK_LIMIT) {
    throw new StorageError('invalid-argument', `requestFetchBatchSize must be an integer from 1 to ${MAX_LOCK_LIMIT}, got ${String(value)}`);
  }
}

/**
 * The URLs still to process. Requests dedupe by `uniqueKey`; {@link RequestQueue.fetchNextRequest}
 * locks each pending request for one consumer at a time, and
 * {@link RequestQueue.markRequestAsHandled} or {@link RequestQueue.reclaimRequest} end its lock.
 * While a fetched request is in progress its lock is prolonged, so only a consumer that stops
 * (a killed process) lets its requests come back to others after the lock's length.
 *
 * With a storage client whose {@link StorageClient.requestFetchBatchSize} is above 1 (the cloud
 * client's is 25), a fetch that finds nothing left to hand out locks that many requests of the
 * head in one call and keeps the ones it does not hand out yet in a buffer, locked for this
 * consumer: other consumers do not get them, and the next fetches hand them out without a call.
 * Buffered locks are prolonged while they wait, a buffer nobody fetches from for a third of the
 * lock's length is given back, and {@link releaseStorages} (which the cloud client's `close()` and
 * the Actor's exit call) gives back what is left, first in the queue in its order, so other
 * consumers get it at once. Requests this consumer puts first ({@link RequestQueue.addRequests} or
 * {@link RequestQueue.reclaimRequest} with `forefront`) still come before its buffer. The buffer is
 * this object's: a buffered request changed, unlocked or deleted through the storage client's own
 * queue under the same `clientKey` (which may do so: it is the same consumer) is not seen by it.
 * Open it with {@link RequestQueue.open}.
 */
export class RequestQueue {
  /** The queue's id. */
  readonly id: string;
  /** The queue's name, for named queues. */
  readonly name: string | undefined;
  /** The storage client the queue lives in. */
  readonly storageClient: StorageClient;
  /** The consumer key this instance locks requests under (the client's, else a random one). */
  readonly clientKey: string;
  /** Seconds a fetched request stays locked without a sign of life. */
  readonly lockSecs: number;
  /** Most requests one fetch locks when nothing is left to hand out (see {@link StorageClient.requestFetchBatchSize}). */
  readonly fetchBatchSize: number;
  readonly #client: RequestQueueClient;
  /** Requests fetched by this instance and not yet handled or reclaimed: their locks are prolonged. */
  readonly #inProgress = new Set<string>();
  #prolongTimer: NodeJS.Timeout | undefined;
  #prolonging = false;
  /** Batches of {@link RequestQueue.addRequestsBatched} still being added in the background. */
  #batchesInProgress = 0;
  /** Requests locked for this instance and not handed out yet, in fetch order. */
  #buffer: BufferedRequest[] = [];
  /** Requests this instance put first since its buffer was filled: they are fetched before the buffer. */
  #ahead = 0;
  /** How many requests the next refill of the buffer locks: halved when a buffer waited too long, doubled up to {@link fetchBatchSize} when not. */
  #batchSize: number;
  /** Whether the current buffer had to be prolonged or given back (the consumer is slower than the batch). */
  #bufferWaited = false;
  /** Fetches run one after another (they share the buffer); this is the last one. */
  #fetchChain: Promise<unknown> = Promise.resolve();
  /** Fetch calls made so far, and the count when the last refill that found the head exhausted was sent. */
  #fetchCalls = 0;
  #exhaustedAtCall = -1;
  /** When a fetch was last asked for (this process's clock). */
  #lastFetchAt = 0;

  private constructor(client: RequestQueueClient, storageClient: StorageClient, metadata: RequestQueueMetadata) {
    this.#client = client;
    this.storageClient = storageClient;
    this.id = metadata.id;
    this.name = metadata.name;
    const clientKey = storageClient.clientKey ?? randomBytes(8).toString('hex');
    assertClientKey(clientKey);
    this.clientKey = clientKey;
    const lockSecs = storageClient.requestLockSecs ?? DEFAULT_REQUEST_LOCK_SECS;
    assertLockSecs(lockSecs);
    this.lockSecs = lockSecs;
    const fetchBatchSize = storageClient.requestFetchBatchSize ?? 1;
    assertFetchBatchSize(fetchBatchSize);
    this.fetchBatchSize = fetchBatchSize;
    this.#batchSize = fetchBatchSize;
  }

  /**
   * Opens a request queue: the run's default one, one by `id` (it must exist), or one by `name`
   * (made when missing). A plain string is an id or a name, as in Crawlee's
   * `RequestQueue.open(idOrName, { storageClient })`: the queue with that id when there is one,
   * else the one of that name. The same queue opened twice is the same instance.
   */
  static async open(options?: OpenStorageInput, clientOptions?: OpenStorageClientOptions): Promise<RequestQueue> {
    return openCached(
      'requestQueue',
      options,
      async (storageClient, target) => {
        const client = await storageClient.openRequestQueue(target);
        const metadata = await client.getMetadata();
        const instance = new RequestQueue(client, storageClient, metadata);
        return { instance, id: metadata.id, release: () => instance.#release() };
      },
      clientOptions,
    );
  }

  /**
   * Adds a request (a {@link Request}, request options, or a URL). A request whose `uniqueKey` is
   * in the queue already changes nothing and is reported `wasAlreadyPresent`.
   */
  async addRequest(request: RequestLike, options: RequestPlacementOptions = {}): Promise<AddRequestResult> {
    const { processedRequests } = await this.addRequests([request], options);
    const result = processedRequests[0];
    if (!result) throw new StorageError('internal', `The storage client did not add request ${toRequest(request).url}`);
    return result;
  }

  /**
   * Adds many requests (an array, an iterable or an async iterable, as in Crawlee); all are
   * validated first, so a bad one means none is added.
   */
  async addRequests(requests: RequestsLike, options: RequestPlacementOptions = {}): Promise<AddRequestsResult> {
    const list = await collectRequests(requests, 'addRequests()');
    const data = list.map(checkedRequestData);
    if (data.length === 0) return { processedRequests: [], unprocessedRequests: [] };
    return this.#add(data, options.forefront ?? false);
  }

  /** Adds requests through the client; new pending requests put first are fetched before this consumer's buffer. */
  async #add(data: RequestData[], forefront: boolean): Promise<AddRequestsResult> {
    const result = await this.#client.addRequests(data, { forefront });
    if (forefront) {
      // Of equal requests in the batch the first is the one added: pending unless it has handledAt.
      const firstOf = new Map<string, RequestData>();
      for (const request of data) if (!firstOf.has(request.uniqueKey)) firstOf.set(request.uniqueKey, request);
      for (const added of result.processedRequests) {
        if (!added.wasAlreadyPresent && firstOf.get(added.uniqueKey)?.handledAt === undefined) this.#ahead++;
      }
    }
    return result;
  }

  /**
   * Crawlee's and the Apify SDK's `addRequestsBatched`: adds the requests in batches of
   * `batchSize`, resolving once the first batch is added while the others follow in the background,
   * `waitBetweenBatchesMillis` apart ({@link RequestQueue.isFinished} is false until they are all
   * added). `waitForAllRequestsToBeAdded` in the result resolves when they are; with the option of
   * the same name, the call itself waits. Every request is validated first, so a bad one means
   * none is added. Requests the storage could not take (`unprocessedRequests` of
   * {@link RequestQueue.addRequests}, after the client's own retries) are not in the results.
   * Await `waitForAllRequestsToBeAdded` before the run ends, or the later batches may be lost.
   */
  async addRequestsBatched(requests: RequestsLike, options: AddRequestsBatchedOptions = {}): Promise<AddRequestsBatchedResult> {
    const { forefront = false, waitForAllRequestsToBeAdded = false, batchSize = 1000, waitBetweenBatchesMillis = 1000, maxNewRequests } = options ?? {};
    assertCount(batchSize, 'batchSize', 1);
    assertCount(waitBetweenBatchesMillis, 'waitBetweenBatchesMillis', 0);
    assertCount(maxNewRequests, 'maxNewRequests', 0);
    const given = await collectRequests(requests, 'addRequestsBatched()');
    const all = given.map((r) => toRequest(r).toData());
    let budget = maxNewRequests ?? Number.POSITIVE_INFINITY;
    let next = 0;
    const more = (): boolean => next < all.length && budget > 0;
    const addBatch = async (): Promise<AddRequestResult[]> => {
      const batch = all.slice(next, next + Math.min(batchSize, budget));
      next += batch.length;
      const { processedRequests } = await this.#add(batch, forefront);
      if (maxNewRequests !== undefined) budget -= processedRequests.filter((r) => !r.wasAlreadyPresent).length;
      return processedRequests;
    };
    const addedRequests = more() ? await addBatch() : [];
    let rest: Promise<AddRequestResult[]> = Promise.resolve([]);
    if (more()) {
      this.#batchesInProgress++;
      rest = (async () => {
        const added: AddRequestResult[] = [];
        try {
          while (more()) {
            await sleep(waitBetweenBatchesMillis);
            added.push(...(await addBatch()));
          }
          return added;
        } finally {
          this.#batchesInProgress--;
        }
      })();
      // Whoever awaits the promise gets its failure; nobody awaiting it is not an unhandled rejection.
      rest.catch(() => undefined);
      if (waitForAllRequestsToBeAdded || maxNewRequests !== undefined) addedRequests.push(...(await rest));
    }
    const requestsOverLimit = maxNewRequests === undefined ? [] : given.slice(next);
    return { addedRequests, waitForAllRequestsToBeAdded: rest, requestsOverLimit };
  }

  /**
   * The next pending request, now locked for this consumer and prolonged while in progress; `null`
   * when no request is pending. Finish it with {@link RequestQueue.markRequestAsHandled} or
   * {@link RequestQueue.reclaimRequest}. With a fetch batch above 1, a request may come from this
   * consumer's buffer (see the class): locked for it since an earlier fetch, and still locked.
   */
  async fetchNextRequest<T extends Record<string, unknown> = Record<string, unknown>>(): Promise<Request<T> | null> {
    const call = ++this.#fetchCalls;
    this.#lastFetchAt = Date.now();
    const fetched = this.#fetchChain.then(() => this.#fetchOne(call));
    this.#fetchChain = fetched.catch(() => undefined);
    const data = await fetched;
    return data ? Request.fromData<T>(data) : null;
  }

  /** One fetch, after the ones asked for before it: a request put first, else the buffer's next, else a refill. */
  async #fetchOne(call: number): Promise<RequestData | undefined> {
    if (this.#ahead > 0 && this.#buffer.length > 0) {
      // Something this consumer put first since its buffer was filled comes before the buffer.
      this.#ahead--;
      const [first] = (await this.#lockHead(1)).items;
      if (first) return this.#handOut(first.data);
    }
    for (let next = this.#buffer.shift(); next; next = this.#buffer.shift()) {
      if (await this.#stillHeld(next)) return this.#handOut(next.data);
    }
    // A refill sent after this fetch was asked for found nothing pending: so it is now.
    if (this.#exhaustedAtCall >= call) return undefined;
    this.#ahead = 0;
    const limit = this.#nextBatchSize();
    const sentAtCall = this.#fetchCalls;
    const { items } = await this.#lockHead(limit);
    if (items.length < limit) this.#exhaustedAtCall = sentAtCall;
    const [first, ...rest] = items;
    if (!first) return undefined;
    this.#buffer.push(...rest);
    return this.#handOut(first.data);
  }

  /** Locks up to `limit` requests of the head for this consumer. */
  async #lockHead(limit: number): Promise<{ items: BufferedRequest[] }> {
    // The lock surely lasts until this many seconds after the call was sent.
    const lockedUntil = Date.now() + this.lockSecs * 1000;
    const { items } = await this.#client.listAndLockHead({ limit, lockSecs: this.lockSecs, clientKey: this.clientKey });
    return { items: items.map((data) => ({ data, lockedUntil })) };
  }

  /** The size of the next refill: halved after a buffer that waited too long, else doubled up to the most. */
  #nextBatchSize(): number {
    this.#batchSize = this.#bufferWaited ? Math.max(1, Math.floor(this.#batchSize / 2)) : Math.min(this.fetchBatchSize, this.#batchSize * 2);
    this.#bufferWaited = false;
    return this.#batchSize;
  }

  /**
   * True when this consumer still holds the lock of a buffered request. A lock with less than half
   * its length left (the timer that prolongs buffered locks fell behind: a busy or suspended
   * process) is prolonged first, so a request whose lock lapsed is never handed out.
   */
  async #stillHeld(entry: BufferedRequest): Promise<boolean> {
    if (entry.lockedUntil - Date.now() > (this.lockSecs * 1000) / 2) return true;
    this.#bufferWaited = true;
    return this.#prolongBuffered(entry, () => this.#buffer.unshift(entry));
  }

  /** Prolongs the lock of a buffered request: false when it is lost; `putBack` runs before an error of another kind is thrown. */
  async #prolongBuffered(entry: BufferedRequest, putBack?: () => void): Promise<boolean> {
    const lockedUntil = Date.now() + this.lockSecs * 1000;
    try {
      await this.#client.prolongRequestLock(entry.data.id, { clientKey: this.clientKey, lockSecs: this.lockSecs });
    } catch (error) {
      if (isLostLock(error)) return false;
      putBack?.();
      throw error;
    }
    entry.lockedUntil = lockedUntil;
    return true;
  }

  #handOut(data: RequestData): RequestData {
    this.#inProgress.add(data.id);
    this.#startProlonging();
    return data;
  }

  /** Forgets a request that is no longer this consumer's: handled, reclaimed, or given back. */
  #finished(id: string): void {
    this.#inProgress.delete(id);
    const at = this.#buffer.findIndex((entry) => entry.data.id === id);
    if (at !== -1) this.#buffer.splice(at, 1);
    this.#stopProlongingWhenIdle();
  }

  #startProlonging(): void {
    if (this.#prolongTimer) return;
    const every = Math.max(50, (this.lockSecs * 1000) / 3);
    this.#prolongTimer = setInterval(() => void this.#prolongAll().catch(() => undefined), every);
    this.#prolongTimer.unref();
  }

  #stopProlongingWhenIdle(): void {
    if (this.#inProgress.size === 0 && this.#buffer.length === 0) this.#stopProlonging();
  }

  #stopProlonging(): void {
    if (this.#prolongTimer) clearInterval(this.#prolongTimer);
    this.#prolongTimer = undefined;
  }

  /**
   * Every third of the lock's length: prolongs the lock of every request in progress (a lock that
   * is gone is forgotten), and of every buffered request with less than two thirds of its length
   * left; a buffer nobody fetched from since the last time is given back instead.
   */
  async #prolongAll(): Promise<void> {
    if (this.#prolonging) return;
    this.#prolonging = true;
    try {
      for (const id of [...this.#inProgress]) {
        try {
          await this.#client.prolongRequestLock(id, { clientKey: this.clientKey, lockSecs: this.lockSecs });
        } catch (error) {
          // Handled or deleted meanwhile, or the lock was lost: nothing more to prolong. Other errors: next time.
          if (isLostLock(error)) this.#finished(id);
        }
      }
      const lockMs = this.lockSecs * 1000;
      if (this.#buffer.length > 0 && Date.now() - this.#lastFetchAt >= lockMs / 3) {
        this.#bufferWaited = true;
        await this.#giveBack();
      } else {
        for (const entry of [...this.#buffer]) {
          if (entry.lockedUntil - Date.now() >= (lockMs * 2) / 3 || !this.#buffer.includes(entry)) continue;
          this.#bufferWaited = true;
          try {
            if (!(await this.#prolongBuffered(entry))) this.#finished(entry.data.id);
          } catch {
            // Next time (and a fetch prolongs it before handing it out).
          }
        }
      }
    } finally {
      this.#prolonging = false;
      this.#stopProlongingWhenIdle();
    }
  }

  /**
   * Gives the buffered requests back to the queue, first in it and in their order (the last one
   * first), so the next consumer to fetch gets them. Stops at an error that is not a lost lock
   * (the server cannot be reached): the locks left expire on their own.
   */
  async #giveBack(): Promise<void> {
    const entries = this.#buffer.splice(0);
    for (const entry of entries.reverse()) {
      try {
        await this.#client.deleteRequestLock(entry.data.id, { clientKey: this.clientKey, forefront: true });
      } catch (error) {
        if (!isLostLock(error)) break;
      }
    }
  }

  /** When the queue is let go ({@link releaseStorages}): stop prolonging, give the buffered requests back. */
  async #release(): Promise<void> {
    this.#stopProlonging();
    this.#ahead = 0;
    await this.#giveBack();
  }

  /** The request of `id`, or `null`. */
  async getRequest<T extends Record<string, unknown> = Record<string, unknown>>(id: string): Promise<Request<T> | null> {
    if (typeof id !== 'string' || id === '') throw new StorageError('invalid-argument', 'getRequest() takes a request id');
    const data = await this.#client.getRequest(id);
    return data ? Request.fromData<T>(data) : null;
  }

  /**
   * Marks a request as handled (setting its `handledAt`), storing its changes and ending its lock.
   * Throws `locked` when another consumer holds the request (this one's lock expired and it was
   * taken meanwhile).
   */
  async markRequestAsHandled(request: Request): Promise<AddRequestResult> {
    const data = toData(request);
    if (data.handledAt === undefined) {
      data.handledAt = new Date().toISOString();
      request.handledAt = data.handledAt;
    }
    const result = await this.#client.markRequestAsHandled(data, { clientKey: this.clientKey });
    this.#finished(data.id);
    return result;
  }

  /** Crawlee's and the Apify SDK's name for {@link RequestQueue.markRequestAsHandled}: the same call. */
  async markRequestHandled(request: Request): Promise<AddRequestResult> {
    return this.markRequestAsHandled(request);
  }

  /** Puts a request in progress back among the pending ones (first with `forefront`), storing its changes and ending its lock. */
  async reclaimRequest(request: Request, options: RequestPlacementOptions = {}): Promise<AddRequestResult> {
    const data = toData(request);
    const forefront = options.forefront ?? false;
    const result = await this.#client.reclaimRequest(data, { forefront, clientKey: this.clientKey });
    this.#finished(data.id);
    // Put first again (a handled request stays handled): it comes before this consumer's buffer.
    if (forefront && !result.wasAlreadyHandled) this.#ahead++;
    return result;
  }

  /**
   * True when no request is pending (some may still be in progress). Requests in this consumer's
   * buffer count as pending: its next fetch gives one.
   */
  async isEmpty(): Promise<boolean> {
    if (this.#buffer.length > 0) return false;
    return this.#client.isEmpty();
  }

  /**
   * True when no request is pending and no consumer holds a lock: the work is done. False while
   * batches of {@link RequestQueue.addRequestsBatched} are still being added, and while this
   * consumer holds buffered requests (they are locked for it), which it answers without a call.
   */
  async isFinished(): Promise<boolean> {
    if (this.#batchesInProgress > 0 || this.#buffer.length > 0) return false;
    return this.#client.isFinished();
  }

  /** Number of requests handled so far. */
  async getHandledCount(): Promise<number> {
    return (await this.#client.getMetadata()).handledRequestCount;
  }

  /** Number of requests handled so far: Crawlee's and the Apify SDK's name for {@link RequestQueue.getHandledCount}, the same call. */
  async handledCount(): Promise<number> {
    return this.getHandledCount();
  }

  /** Number of requests ever added. */
  async getTotalCount(): Promise<number> {
    return (await this.#client.getMetadata()).totalRequestCount;
  }

  /** The queue's metadata with its request counts. */
  async getMetadata(): Promise<RequestQueueMetadata> {
    return this.#client.getMetadata();
  }

  /** The queue's metadata with its request counts: Crawlee's and the Apify SDK's name for {@link RequestQueue.getMetadata}, the same call. */
  async getInfo(): Promise<RequestQueueMetadata> {
    return this.getMetadata();
  }

  /** Deletes the queue with all its requests. */
  async drop(): Promise<void> {
    this.#inProgress.clear();
    this.#buffer = [];
    this.#ahead = 0;
    this.#stopProlonging();
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
