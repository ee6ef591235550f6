import { StorageError } from './errors.js';
import type { AddRequestResult, RequestData, RequestQueueMetadata } from './models.js';
import { Request, checkedRequestData, serializeRequestData, toRequest, type RequestLike } from './request.js';
import type { AddRequestsResult, RequestQueueClient, StorageClient } from './storage-client.js';
import { forgetStorage, openCached, type OpenStorageInput } from './storage-registry.js';

/** Options of adding and reclaiming requests. */
export interface RequestPlacementOptions {
  /** Put the request(s) before all others; the newest forefront request comes first. */
  readonly forefront?: boolean | undefined;
}

function toData(request: Request): RequestData {
  if (typeof request !== 'object' || request === null) {
    throw new StorageError('invalid-argument', 'Expected a Request fetched from the queue');
  }
  const data = typeof request.toData === 'function' ? request.toData() : toRequest(request).toData();
  serializeRequestData(data); // userData may have been changed since the request was fetched
  return data;
}

/**
 * The URLs still to process. Requests dedupe by `uniqueKey`; {@link RequestQueue.fetchNextRequest}
 * hands out each pending request to one consumer at a time, and
 * {@link RequestQueue.markRequestAsHandled} or {@link RequestQueue.reclaimRequest} end its progress.
 * Open it with {@link RequestQueue.open}.
 */
export class RequestQueue {
  /** The queue's id. */
  readonly id: string;
  /** The queue's name, for named queues. */
  readonly name: string | undefined;
  /** The storage client the queue lives in. */
  readonly storageClient: StorageClient;
  readonly #client: RequestQueueClient;

  private constructor(client: RequestQueueClient, storageClient: StorageClient, metadata: RequestQueueMetadata) {
    this.#client = client;
    this.storageClient = storageClient;
    this.id = metadata.id;
    this.name = metadata.name;
  }

  /**
   * Opens a request queue: the run's default one, one by `id` (it must exist), or one by `name`
   * (made when missing; a plain string is a name). The same queue opened twice is the same instance.
   */
  static async open(options?: OpenStorageInput): Promise<RequestQueue> {
    return openCached('requestQueue', options, async (storageClient, target) => {
      const client = await storageClient.openRequestQueue(target);
      const metadata = await client.getMetadata();
      return { instance: new RequestQueue(client, storageClient, metadata), id: metadata.id };
    });
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

  /** Adds many requests; all are validated first, so a bad one means none is added. */
  async addRequests(requests: readonly RequestLike[], options: RequestPlacementOptions = {}): Promise<AddRequestsResult> {
    if (!Array.isArray(requests)) throw new StorageError('invalid-argument', 'addRequests() takes an array of requests');
    const data = requests.map(checkedRequestData);
    if (data.length === 0) return { processedRequests: [], unprocessedRequests: [] };
    return this.#client.addRequests(data, { forefront: options.forefront ?? false });
  }

  /**
   * The next pending request, now in progress for this caller; `null` when no request is pending.
   * Finish it with {@link RequestQueue.markRequestAsHandled} or {@link RequestQueue.reclaimRequest}.
   */
  async fetchNextRequest<T extends Record<string, unknown> = Record<string, unknown>>(): Promise<Request<T> | null> {
    const data = await this.#client.fetchNextRequest();
    return data ? Request.fromData<T>(data) : null;
  }

  /** The request of `id`, or `null`. */
  async getRequest<T extends Record<string, unknown> = Record<string, unknown>>(id: string): Promise<Request<T> | null> {
    if (typeof id !== 'string' || id === '') throw new StorageError('invalid-argument', 'getRequest() takes a request id');
    const data = await this.#client.getRequest(id);
    return data ? Request.fromData<T>(data) : null;
  }

  /** Marks a request as handled (setting its `handledAt`), storing its changes. */
  async markRequestAsHandled(request: Request): Promise<AddRequestResult> {
    const data = toData(request);
    if (data.handledAt === undefined) {
      data.handledAt = new Date().toISOString();
      request.handledAt = data.handledAt;
    }
    return this.#client.markRequestAsHandled(data);
  }

  /** Puts a request in progress back among the pending ones (first with `forefront`), storing its changes. */
  async reclaimRequest(request: Request, options: RequestPlacementOptions = {}): Promise<AddRequestResult> {
    const data = toData(request);
    return this.#client.reclaimRequest(data, { forefront: options.forefront ?? false });
  }

  /** True when no request is pending (some may still be in progress). */
  async isEmpty(): Promise<boolean> {
    return this.#client.isEmpty();
  }

  /** True when no request is pending and none is in progress: the work is done. */
  async isFinished(): Promise<boolean> {
    return this.#client.isFinished();
  }

  /** Number of requests handled so far. */
  async getHandledCount(): Promise<number> {
    return (await this.#client.getMetadata()).handledRequestCount;
  }

  /** Number of requests ever added. */
  async getTotalCount(): Promise<number> {
    return (await this.#client.getMetadata()).totalRequestCount;
  }

  /** The queue's metadata with its request counts. */
  async getMetadata(): Promise<RequestQueueMetadata> {
    return this.#client.getMetadata();
  }

  /** Deletes the queue with all its requests. */
  async drop(): Promise<void> {
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
