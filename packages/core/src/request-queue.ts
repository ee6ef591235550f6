import { randomBytes } from 'node:crypto';
import { StorageError } from './errors.js';
import type { AddRequestResult, RequestData, RequestQueueMetadata } from './models.js';
import { assertClientKey, assertLockSecs } from './request-locks.js';
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

/**
 * The URLs still to process. Requests dedupe by `uniqueKey`; {@link RequestQueue.fetchNextRequest}
 * locks each pending request for one consumer at a time, and
 * {@link RequestQueue.markRequestAsHandled} or {@link RequestQueue.reclaimRequest} end its lock.
 * While a fetched request is in progress its lock is prolonged, so only a consumer that stops
 * (a killed process) lets its requests come back to others after the lock's length.
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
  readonly #client: RequestQueueClient;
  /** Requests fetched by this instance and not yet handled or reclaimed: their locks are prolonged. */
  readonly #inProgress = new Set<string>();
  #prolongTimer: NodeJS.Timeout | undefined;
  #prolonging = false;
  /** Batches of {@link RequestQueue.addRequestsBatched} still being added in the background. */
  #batchesInProgress = 0;

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
        return { instance, id: metadata.id, release: () => instance.#stopProlonging() };
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
    return this.#client.addRequests(data, { forefront: options.forefront ?? false });
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
      const { processedRequests } = await this.#client.addRequests(batch, { forefront });
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
   * {@link RequestQueue.reclaimRequest}.
   */
  async fetchNextRequest<T extends Record<string, unknown> = Record<string, unknown>>(): Promise<Request<T> | null> {
    const { items } = await this.#client.listAndLockHead({ limit: 1, lockSecs: this.lockSecs, clientKey: this.clientKey });
    const data = items[0];
    if (!data) return null;
    this.#inProgress.add(data.id);
    this.#startProlonging();
    return Request.fromData<T>(data);
  }

  #finished(id: string): void {
    this.#inProgress.delete(id);
    if (this.#inProgress.size === 0) this.#stopProlonging();
  }

  #startProlonging(): void {
    if (this.#prolongTimer) return;
    const every = Math.max(50, (this.lockSecs * 1000) / 3);
    this.#prolongTimer = setInterval(() => void this.#prolongAll(), every);
    this.#prolongTimer.unref();
  }

  #stopProlonging(): void {
    if (this.#prolongTimer) clearInterval(this.#prolongTimer);
    this.#prolongTimer = undefined;
  }

  /** Prolongs the lock of every request in progress; a lock that is gone is forgotten. */
  async #prolongAll(): Promise<void> {
    if (this.#prolonging) return;
    this.#prolonging = true;
    try {
      for (const id of [...this.#inProgress]) {
        try {
          await this.#client.prolongRequestLock(id, { clientKey: this.clientKey, lockSecs: this.lockSecs });
        } catch (error) {
          // Handled or deleted meanwhile, or the lock was lost: nothing more to prolong. Other errors: next time.
          if (StorageError.is(error, 'not-found') || StorageError.is(error, 'conflict') || StorageError.is(error, 'locked')) this.#finished(id);
        }
      }
    } finally {
      this.#prolonging = false;
    }
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
    const result = await this.#client.reclaimRequest(data, { forefront: options.forefront ?? false, clientKey: this.clientKey });
    this.#finished(data.id);
    return result;
  }

  /** True when no request is pending (some may still be in progress). */
  async isEmpty(): Promise<boolean> {
    return this.#client.isEmpty();
  }

  /**
   * True when no request is pending and no consumer holds a lock: the work is done. False while
   * batches of {@link RequestQueue.addRequestsBatched} are still being added.
   */
  async isFinished(): Promise<boolean> {
    if (this.#batchesInProgress > 0) return false;
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
    this.#stopProlonging();
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
