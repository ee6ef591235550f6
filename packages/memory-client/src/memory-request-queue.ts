import {
  PendingRequestOrder,
  lowerBound,
  notFound,
  type AddRequestResult,
  type AddRequestsResult,
  type ListRequestsOptions,
  type PlacementOptions,
  type RequestData,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type RequestsPage,
} from '@x/core';
import { MemoryStorageBase } from './memory-collection.js';

type RequestState = 'pending' | 'in-progress' | 'handled';

interface QueueEntry {
  readonly id: string;
  readonly uniqueKey: string;
  /** The request as JSON: every read parses a fresh copy, so callers never share state. */
  json: string;
  state: RequestState;
  /** Bumped each time the entry is placed in the order; older places of it are stale. */
  placement: number;
}

/** A request queue in memory, in the fetch order of core's {@link PendingRequestOrder}. */
export class MemoryRequestQueue extends MemoryStorageBase implements RequestQueueClient {
  readonly #entries = new Map<string, QueueEntry>();
  readonly #order = new PendingRequestOrder<QueueEntry>((entry) => entry.state === 'pending');
  #pendingCount = 0;
  #inProgressCount = 0;
  #handledCount = 0;
  #sortedIds: string[] | undefined;


  async getMetadata(): Promise<RequestQueueMetadata> {
    this.assertLive();
    return {
      ...this.baseMetadata(),
      totalRequestCount: this.#entries.size,
      handledRequestCount: this.#handledCount,
      pendingRequestCount: this.#entries.size - this.#handledCount,
    };
  }

  #result(entry: QueueEntry, wasAlreadyPresent: boolean): AddRequestResult {
    return { requestId: entry.id, uniqueKey: entry.uniqueKey, wasAlreadyPresent, wasAlreadyHandled: entry.state === 'handled' };
  }

  #touch(modified: boolean): void {
    const now = Date.now();
    this.accessedAt = now;
    if (modified) this.modifiedAt = now;
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    this.assertLive();
    const processedRequests: AddRequestResult[] = [];
    for (const request of requests) {
      const existing = this.#entries.get(request.id);
      if (existing) {
        processedRequests.push(this.#result(existing, true));
        continue;
      }
      const handled = request.handledAt !== undefined;
      const entry: QueueEntry = {
        id: request.id,
        uniqueKey: request.uniqueKey,
        json: JSON.stringify(request),
        state: handled ? 'handled' : 'pending',
        placement: 0,
      };
      this.#entries.set(entry.id, entry);
      this.#sortedIds = undefined;
      if (handled) {
        this.#handledCount++;
      } else {
        this.#pendingCount++;
        this.#order.place(entry, forefront);
      }
      processedRequests.push({ requestId: entry.id, uniqueKey: entry.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false });
    }
    this.#touch(true);
    return { processedRequests, unprocessedRequests: [] };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    this.assertLive();
    this.#touch(false);
    const entry = this.#entries.get(id);
    return entry ? (JSON.parse(entry.json) as RequestData) : undefined;
  }

  async fetchNextRequest(): Promise<RequestData | null> {
    this.assertLive();
    this.#touch(false);
    const entry = this.#order.takeNext();
    if (!entry) return null;
    entry.state = 'in-progress';
    this.#pendingCount--;
    this.#inProgressCount++;
    return JSON.parse(entry.json) as RequestData;
  }

  #entryOf(request: RequestData): QueueEntry {
    const entry = this.#entries.get(request.id);
    if (!entry) throw notFound(`Request "${request.id}" in request queue "${this.name ?? this.id}"`);
    return entry;
  }

  async markRequestAsHandled(request: RequestData): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    if (entry.state === 'handled') return this.#result(entry, true);
    if (entry.state === 'in-progress') this.#inProgressCount--;
    else this.#pendingCount--;
    this.#handledCount++;
    entry.state = 'handled';
    entry.json = JSON.stringify(request);
    this.#touch(true);
    return { requestId: entry.id, uniqueKey: entry.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: false };
  }

  async reclaimRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    if (entry.state === 'handled') return this.#result(entry, true);
    if (entry.state === 'in-progress') {
      this.#inProgressCount--;
      this.#pendingCount++;
      entry.state = 'pending';
    }
    const { handledAt: _ignored, ...pending } = request;
    entry.json = JSON.stringify(pending);
    this.#order.place(entry, forefront);
    this.#touch(true);
    return this.#result(entry, true);
  }

  async updateRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    this.assertLive();
    const entry = this.#entryOf(request);
    const result = this.#result(entry, true);
    const wantsHandled = request.handledAt !== undefined;
    if (wantsHandled && entry.state !== 'handled') {
      if (entry.state === 'in-progress') this.#inProgressCount--;
      else this.#pendingCount--;
      this.#handledCount++;
      entry.state = 'handled';
    } else if (!wantsHandled && entry.state === 'handled') {
      this.#handledCount--;
      this.#pendingCount++;
      entry.state = 'pending';
      this.#order.place(entry, forefront);
    } else if (entry.state === 'pending' && forefront) {
      this.#order.place(entry, true);
    }
    entry.json = JSON.stringify(request);
    this.#touch(true);
    return result;
  }

  async deleteRequest(id: string): Promise<void> {
    this.assertLive();
    const entry = this.#entries.get(id);
    if (!entry) return;
    if (entry.state === 'pending') this.#pendingCount--;
    else if (entry.state === 'in-progress') this.#inProgressCount--;
    else this.#handledCount--;
    this.#order.unplace(entry);
    this.#entries.delete(id);
    this.#sortedIds = undefined;
    this.#touch(true);
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    this.assertLive();
    this.#touch(false);
    return this.#order.peek(limit).map((entry) => JSON.parse(entry.json) as RequestData);
  }

  async listRequests({ limit, exclusiveStartId }: ListRequestsOptions): Promise<RequestsPage> {
    this.assertLive();
    this.#touch(false);
    this.#sortedIds ??= [...this.#entries.keys()].sort();
    const ids = this.#sortedIds;
    const start = exclusiveStartId === undefined ? 0 : lowerBound(ids, exclusiveStartId, false);
    const page = ids.slice(start, start + limit);
    const items = page.map((id) => JSON.parse(this.#entries.get(id)!.json) as RequestData);
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
    this.remove();
    this.#entries.clear();
    this.#order.clear();
  }
}
