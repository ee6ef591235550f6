import type * as crawlee from '@crawlee/types';
import { Request, StorageError, type RequestData, type RequestQueueMetadata } from '@x/core';
import { StorageHandle, countOption } from './storages.js';

/** Requests Crawlee's `listHead` gives when it names no limit. */
const DEFAULT_HEAD_LIMIT = 100;
/** Requests Crawlee's `listAndLockHead` takes when it names no limit (its `RequestQueue` asks for 25). */
const DEFAULT_LOCK_LIMIT = 25;

/** Crawlee's `userData` carries a `toJSON` that adds its hidden `__crawlee` state: its JSON form, as a plain object. */
function plainUserData(userData: unknown): Record<string, unknown> | undefined {
  if (userData === undefined || userData === null) return undefined;
  const withJson = userData as { toJSON?: unknown };
  const json = typeof withJson.toJSON === 'function' ? (withJson.toJSON as () => unknown).call(userData) : userData;
  // A copy: the own enumerable fields, without the (non-enumerable) toJSON that would refuse it.
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? { ...(json as Record<string, unknown>) } : (json as Record<string, unknown>);
}

/**
 * Our request data of a request Crawlee hands over (its `Request` or the plain fields): validated
 * as our `Request` validates (`invalid-url`, `invalid-argument`), with `uniqueKey` kept. The id is
 * the one derived from `uniqueKey` (Crawlee derives it the same way), or `id` when given.
 */
export function requestDataOf(request: crawlee.RequestSchema, id?: string): RequestData {
  if (typeof request !== 'object' || request === null) throw new StorageError('invalid-argument', 'A request must be an object with a url');
  const options: Record<string, unknown> = {};
  for (const field of ['url', 'uniqueKey', 'method', 'payload', 'headers', 'retryCount', 'noRetry', 'errorMessages', 'loadedUrl', 'handledAt'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null) options[field] = value;
  }
  const userData = plainUserData(request.userData);
  if (userData !== undefined) options['userData'] = userData;
  if (Array.isArray(options['errorMessages'])) options['errorMessages'] = [...(options['errorMessages'] as unknown[])];
  const data = new Request(options as unknown as ConstructorParameters<typeof Request>[0]).toData();
  if (id !== undefined) data.id = id;
  return data;
}

function headItemOf(data: RequestData): crawlee.RequestQueueHeadItem {
  return { id: data.id, uniqueKey: data.uniqueKey, url: data.url, method: data.method, retryCount: data.retryCount };
}

function operationInfoOf(result: { requestId: string; uniqueKey: string; wasAlreadyPresent: boolean; wasAlreadyHandled: boolean }): crawlee.QueueOperationInfo & { uniqueKey: string } {
  return { requestId: result.requestId, uniqueKey: result.uniqueKey, wasAlreadyPresent: result.wasAlreadyPresent, wasAlreadyHandled: result.wasAlreadyHandled };
}

/**
 * One of our request queues as Crawlee's `RequestQueueClient`, for one consumer: Crawlee makes one
 * per `RequestQueue` instance, with a `clientKey` of its own, and every lock and change is made
 * under that key (a request another consumer holds is a `locked` error until its lock expires).
 */
export class CrawleeRequestQueueClient implements crawlee.RequestQueueClient {
  readonly #storage: StorageHandle<'requestQueue'>;
  readonly #clientKey: string;

  constructor(storage: StorageHandle<'requestQueue'>, clientKey: string) {
    this.#storage = storage;
    this.#clientKey = clientKey;
  }

  #info(metadata: RequestQueueMetadata): crawlee.RequestQueueInfo {
    return {
      ...this.#storage.storages.info('requestQueue', metadata),
      totalRequestCount: metadata.totalRequestCount,
      handledRequestCount: metadata.handledRequestCount,
      pendingRequestCount: metadata.pendingRequestCount,
      hadMultipleClients: this.#hadMultipleClients,
    };
  }

  /**
   * What Crawlee reads as "the queue head may lag behind": our local clients, Redis and the server
   * are strongly consistent; only a client without that capability (the Apify platform) may lag.
   */
  get #hadMultipleClients(): boolean {
    return !this.#storage.storages.client.capabilities.strongQueueConsistency;
  }

  /** The queue's info with its counts, or `undefined` when it does not exist. */
  async get(): Promise<crawlee.RequestQueueInfo | undefined> {
    const metadata = await this.#storage.metadata();
    return metadata && this.#info(metadata);
  }

  /** Queues cannot be renamed: gives the info when `name` is the queue's own (or absent). */
  async update(newFields: { name?: string } = {}): Promise<Partial<crawlee.RequestQueueInfo>> {
    return this.#info(await this.#storage.checkUpdate(newFields));
  }

  /** Deletes the queue with its requests. */
  async delete(): Promise<void> {
    await this.#storage.delete();
  }

  /** Up to `limit` (default 100) pending requests in the order they would be fetched, without locking them. */
  async listHead(options: crawlee.ListOptions = {}): Promise<crawlee.QueueHead> {
    const limit = countOption(options.limit, 'limit', DEFAULT_HEAD_LIMIT);
    const [items, metadata] = await this.#storage.use((client) => Promise.all([client.listHead({ limit }), client.getMetadata()]));
    return { limit, queueModifiedAt: metadata.modifiedAt, hadMultipleClients: this.#hadMultipleClients, items: items.map(headItemOf) };
  }

  /** Adds a request unless one with its `uniqueKey` is present. */
  async addRequest(request: crawlee.RequestSchema, options: crawlee.RequestOptions = {}): Promise<crawlee.QueueOperationInfo> {
    const data = requestDataOf(request);
    const { processedRequests } = await this.#storage.use((client) => client.addRequests([data], { forefront: options.forefront === true }));
    const result = processedRequests[0];
    if (!result) throw new StorageError('internal', `The storage client did not add request ${data.url}`);
    return operationInfoOf(result);
  }

  /**
   * Adds requests that are not present yet. A request that cannot be stored (a bad URL, `userData`
   * JSON cannot hold) is reported in `unprocessedRequests`, and the others are added.
   */
  async batchAddRequests(requests: crawlee.RequestSchema[], options: crawlee.RequestOptions = {}): Promise<crawlee.BatchAddRequestsResult> {
    if (!Array.isArray(requests)) throw new StorageError('invalid-argument', 'batchAddRequests() takes an array of requests');
    const valid: RequestData[] = [];
    const unprocessedRequests: crawlee.UnprocessedRequest[] = [];
    for (const request of requests) {
      try {
        valid.push(requestDataOf(request));
      } catch (error) {
        if (!StorageError.is(error)) throw error;
        unprocessedRequests.push({ uniqueKey: String(request?.uniqueKey ?? request?.url), url: String(request?.url), ...(request?.method ? { method: request.method } : {}) });
      }
    }
    if (valid.length === 0) return { processedRequests: [], unprocessedRequests };
    const result = await this.#storage.use((client) => client.addRequests(valid, { forefront: options.forefront === true }));
    return {
      processedRequests: result.processedRequests.map(operationInfoOf),
      unprocessedRequests: [...unprocessedRequests, ...result.unprocessedRequests.map(({ uniqueKey, url, method }) => ({ uniqueKey, url, method: method as crawlee.AllowedHttpMethods }))],
    };
  }

  /** The request of `id`, or `undefined`. */
  async getRequest(id: string): Promise<crawlee.RequestOptions | undefined> {
    const data = await this.#storage.use((client) => client.getRequest(id));
    return data as crawlee.RequestOptions | undefined;
  }

  /**
   * Stores changes to a request, as this consumer: with `handledAt` set it is handled (its lock
   * ended); Crawlee reclaims a request by storing it without `handledAt` and then deleting its lock.
   */
  async updateRequest(request: crawlee.UpdateRequestSchema, options: crawlee.RequestOptions = {}): Promise<crawlee.QueueOperationInfo> {
    if (typeof request?.id !== 'string' || request.id === '') throw new StorageError('invalid-argument', 'updateRequest() needs the request id');
    const data = requestDataOf(request, request.id);
    return operationInfoOf(await this.#storage.use((client) => client.updateRequest(data, { forefront: options.forefront === true, clientKey: this.#clientKey })));
  }

  /** Deletes a request (`locked` when another consumer holds it). */
  async deleteRequest(id: string): Promise<void> {
    await this.#storage.use((client) => client.deleteRequest(id, { clientKey: this.#clientKey }));
  }

  /**
   * Takes up to `limit` (default 25) pending requests from the head and locks them for this consumer
   * for `lockSecs`. `queueHasLockedRequests` tells Crawlee whether anyone (this consumer included)
   * still holds a request, which its `isFinished()` relies on.
   */
  async listAndLockHead(options: crawlee.ListAndLockOptions): Promise<crawlee.ListAndLockHeadResult> {
    const limit = countOption(options?.limit, 'limit', DEFAULT_LOCK_LIMIT);
    const lockSecs = options?.lockSecs;
    const [head, metadata] = await this.#storage.use((client) =>
      Promise.all([client.listAndLockHead({ limit, lockSecs, clientKey: this.#clientKey }), client.getMetadata()]),
    );
    return {
      limit,
      lockSecs,
      queueModifiedAt: metadata.modifiedAt,
      hadMultipleClients: this.#hadMultipleClients,
      queueHasLockedRequests: head.queueHasLockedRequests,
      items: head.items.map(headItemOf),
    };
  }

  /** Extends this consumer's lock of request `id` to `lockSecs` from now. */
  async prolongRequestLock(id: string, options: crawlee.ProlongRequestLockOptions): Promise<crawlee.ProlongRequestLockResult> {
    return this.#storage.use((client) => client.prolongRequestLock(id, { clientKey: this.#clientKey, lockSecs: options?.lockSecs, forefront: options?.forefront === true }));
  }

  /** Ends this consumer's lock of request `id`; the request is pending again (first with `forefront`). */
  async deleteRequestLock(id: string, options: crawlee.DeleteRequestLockOptions = {}): Promise<void> {
    await this.#storage.use((client) => client.deleteRequestLock(id, { clientKey: this.#clientKey, forefront: options.forefront === true }));
  }
}
