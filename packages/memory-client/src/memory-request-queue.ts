import {
  RequestQueueIndex,
  RequestQueueLocks,
  notFound,
  placementOrder,
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
import { MemoryStorageBase } from './memory-collection.js';

/** A request queue in memory: core's {@link RequestQueueIndex} and {@link RequestQueueLocks}, and each request's JSON by slot. */
export class MemoryRequestQueue extends MemoryStorageBase implements RequestQueueClient {
  readonly #index = new RequestQueueIndex();
  readonly #locks = new RequestQueueLocks(
    this.#index,
    (slot, forefront) => this.#index.makePending(slot, forefront, 0),
    `request queue "${this.name ?? this.id}"`,
  );
  /** The request in each slot as JSON: every read parses a fresh copy, so callers never share state. */
  #json: (string | undefined)[] = [];

  async getMetadata(): Promise<RequestQueueMetadata> {
    this.assertLive();
    const index = this.#index;
    return {
      ...this.baseMetadata(),
      totalRequestCount: index.size,
      handledRequestCount: index.handledCount,
      pendingRequestCount: index.size - index.handledCount,
    };
  }

  #result(request: RequestData, wasAlreadyHandled: boolean): AddRequestResult {
    return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled };
  }

  #touch(modified: boolean): void {
    const now = Date.now();
    this.accessedAt = now;
    if (modified) this.modifiedAt = now;
  }

  #read(slot: number): RequestData {
    return JSON.parse(this.#json[slot]!) as RequestData;
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    this.assertLive();
    const processedRequests: AddRequestResult[] = new Array(requests.length);
    // Every request's JSON first: one that cannot be stored means none is added.
    const jsons = requests.map(serializeRequestData);
    for (const at of placementOrder(requests, forefront)) {
      const request = requests[at]!;
      const existing = this.#index.find(request.id);
      if (existing !== -1) {
        processedRequests[at] = this.#result(request, this.#index.stateOf(existing) === 'handled');
        continue;
      }
      const slot = this.#index.add(request.id, { handled: request.handledAt !== undefined, forefront, orderNo: 0 });
      this.#json[slot] = jsons[at];
      processedRequests[at] = { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false };
    }
    this.#touch(true);
    return { processedRequests, unprocessedRequests: [] };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    this.assertLive();
    this.#touch(false);
    const slot = this.#index.find(id);
    return slot === -1 ? undefined : this.#read(slot);
  }

  async listAndLockHead(options: ListAndLockHeadOptions): Promise<LockedHead> {
    this.assertLive();
    this.#touch(false);
    return this.#locks.lockHead(options, () => {
      const slot = this.#index.takeNext();
      return slot === -1 ? undefined : { slot, request: this.#read(slot) };
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
    const json = serializeRequestData(request);
    if (!wasHandled) {
      this.#locks.release(slot);
      this.#index.markHandled(slot);
    }
    this.#json[slot] = json;
    this.#touch(true);
    return this.#result(request, wasHandled);
  }

  async reclaimRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    this.assertLive();
    const slot = this.#locks.changeableSlot(request.id, options?.clientKey);
    const state = this.#index.stateOf(slot);
    if (state === 'handled') return this.#result(request, true);
    const { handledAt: _ignored, ...pending } = request;
    const json = serializeRequestData(pending);
    this.#locks.release(slot);
    this.#json[slot] = json;
    // A pending request nobody held stays where it is, unless forefront moves it first.
    if (state !== 'pending' || options.forefront) this.#index.makePending(slot, options.forefront, 0);
    this.#touch(true);
    return this.#result(request, false);
  }

  async updateRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    this.assertLive();
    // A request whose lock has expired is pending: placed again first, so `forefront` below applies to it.
    this.#locks.releaseExpired();
    const slot = this.#locks.changeableSlot(request.id, options?.clientKey);
    const json = serializeRequestData(request);
    const state = this.#index.stateOf(slot);
    const result = this.#result(request, state === 'handled');
    const wantsHandled = request.handledAt !== undefined;
    if (wantsHandled && state !== 'handled') {
      this.#locks.release(slot);
      this.#index.markHandled(slot);
    } else if (!wantsHandled && state === 'handled') this.#index.makePending(slot, options.forefront, 0);
    else if (state === 'pending' && options.forefront) this.#index.makePending(slot, true, 0);
    this.#json[slot] = json;
    this.#touch(true);
    return result;
  }

  async deleteRequest(id: string, options?: RequestChangeOptions): Promise<void> {
    this.assertLive();
    const slot = this.#index.find(id);
    if (slot === -1) return;
    this.#locks.assertMayChange(slot, options?.clientKey);
    this.#locks.release(slot);
    this.#index.remove(slot);
    this.#json[slot] = undefined;
    this.#touch(true);
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    this.assertLive();
    this.#touch(false);
    this.#locks.releaseExpired();
    return this.#index.peek(limit).map((slot) => this.#read(slot));
  }

  async listRequests(options: ListRequestsOptions): Promise<RequestsPage> {
    this.assertLive();
    this.#touch(false);
    return this.#locks.pageRequests(options, (slots) => slots.map((slot) => this.#read(slot)));
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
    this.remove();
    this.#locks.clear();
    this.#index.clear();
    this.#json = [];
  }
}
