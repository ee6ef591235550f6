import {
  StorageError,
  assertListAndLockHeadOptions,
  assertListRequestsOptions,
  parseStoredRequest,
  requestQueueMetadataSchema,
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
import { segment, type ApiHttp } from './api-http.js';

/** Most requests one batch call adds (the API's limit). */
export const BATCH_SIZE = 25;
/** How often requests the API left unprocessed in a batch are sent again. */
const UNPROCESSED_RETRIES = 5;

interface ApiAddResult {
  readonly requestId: string;
  readonly uniqueKey: string;
  readonly wasAlreadyPresent: boolean;
  readonly wasAlreadyHandled: boolean;
}

interface BatchData {
  readonly processedRequests: ApiAddResult[];
  readonly unprocessedRequests: { uniqueKey: string; url: string; method?: string }[];
}

function addResult(result: ApiAddResult): AddRequestResult {
  return {
    requestId: result.requestId,
    uniqueKey: result.uniqueKey,
    wasAlreadyPresent: result.wasAlreadyPresent,
    wasAlreadyHandled: result.wasAlreadyHandled,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A lock time of the API, or `undefined`. */
function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A request queue on the API. Each call of the contract is one API call (a batch add of more than
 * 25 requests is several); request locks are the server's, under the `clientKey` each call gives,
 * so several consumers (processes, machines) share one queue and never get the same request.
 */
export class CloudRequestQueue implements RequestQueueClient {
  readonly #http: ApiHttp;
  readonly #id: string;
  readonly #what: string;

  constructor(http: ApiHttp, id: string) {
    this.#http = http;
    this.#id = id;
    this.#what = `Request queue "${id}"`;
  }

  #path(rest = ''): string {
    return `request-queues/${segment(this.#id)}${rest}`;
  }

  #requestWhat(id: string): string {
    return `Request "${id}" in ${this.#what}`;
  }

  async getMetadata(): Promise<RequestQueueMetadata> {
    const data = await this.#http.data<unknown>({ method: 'GET', path: this.#path(), what: this.#what });
    return requestQueueMetadataSchema.parse(data);
  }

  /**
   * Adds requests in calls of at most 25. With `forefront`, the batch keeps its order at the front
   * (as on every client): the calls go last chunk first, each one placed before the ones sent
   * earlier, and a request equal to an earlier one of the batch is not sent (it is reported
   * present, as it would be had it been added after that one).
   */
  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    const unprocessedRequests: AddRequestsResult['unprocessedRequests'][number][] = [];
    // The first of equal requests is the one sent.
    const firstOf = new Map<string, number>();
    const sent: number[] = [];
    for (const [at, { id }] of requests.entries()) {
      if (firstOf.has(id)) continue;
      firstOf.set(id, at);
      sent.push(at);
    }
    const chunks: number[][] = [];
    for (let start = 0; start < sent.length; start += BATCH_SIZE) chunks.push(sent.slice(start, start + BATCH_SIZE));
    if (forefront) chunks.reverse();
    const results = new Map<number, AddRequestResult>();
    for (const chunk of chunks) await this.#addChunk(chunk.map((at) => requests[at]!), chunk, forefront, results, unprocessedRequests);
    const processedRequests: AddRequestResult[] = [];
    for (const [at, request] of requests.entries()) {
      const first = firstOf.get(request.id)!;
      const result = results.get(first);
      if (!result) continue;
      if (first === at) processedRequests.push(result);
      else {
        const handled = result.wasAlreadyHandled || (!result.wasAlreadyPresent && requests[first]!.handledAt !== undefined);
        processedRequests.push({ requestId: result.requestId, uniqueKey: result.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: handled });
      }
    }
    return { processedRequests, unprocessedRequests };
  }

  /** Sends one chunk of at most 25 requests, retrying those the API leaves unprocessed; results by batch index. */
  async #addChunk(
    requests: readonly RequestData[],
    indexes: readonly number[],
    forefront: boolean,
    results: Map<number, AddRequestResult>,
    unprocessedRequests: AddRequestsResult['unprocessedRequests'][number][],
  ): Promise<void> {
    const indexOf = new Map(requests.map((request, i) => [request.uniqueKey, indexes[i]!]));
    let batch = requests;
    for (let retry = 0; batch.length > 0; retry++) {
      const data = await this.#http.data<BatchData>({
        method: 'POST',
        path: this.#path('/requests/batch'),
        searchParams: { forefront },
        json: batch,
        what: this.#what,
      });
      for (const result of data?.processedRequests ?? []) {
        const at = indexOf.get(result.uniqueKey);
        if (at !== undefined) results.set(at, addResult(result));
      }
      const left = new Set((data?.unprocessedRequests ?? []).map((r) => r.uniqueKey));
      if (left.size === 0) return;
      batch = batch.filter((r) => left.has(r.uniqueKey));
      if (retry >= UNPROCESSED_RETRIES) {
        for (const r of batch) unprocessedRequests.push({ uniqueKey: r.uniqueKey, url: r.url, method: r.method });
        return;
      }
      await sleep(this.#http.retryDelay(retry + 1));
    }
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    const data = await this.#http.data<unknown>({
      method: 'GET',
      path: this.#path(`/requests/${segment(id)}`),
      notFound: 'absent',
      what: this.#requestWhat(id),
    });
    return data === undefined ? undefined : parseStoredRequest(data);
  }

  /**
   * Full requests from API items. The Apify platform's head listings give only `id`, `uniqueKey`,
   * `url`, `method` and `retryCount`: an item without `userData` is read whole (its missing fields
   * must not be taken for their defaults, or a mark would store the request without its data).
   */
  async #complete(items: readonly unknown[]): Promise<RequestData[]> {
    const out: RequestData[] = [];
    for (const item of items) {
      const whole = typeof item === 'object' && item !== null && 'userData' in item;
      const full = (whole ? parseStoredRequest(item) : undefined) ?? (await this.getRequest(String((item as { id?: unknown }).id)));
      if (full) out.push(full);
    }
    return out;
  }

  async listAndLockHead(options: ListAndLockHeadOptions): Promise<LockedHead> {
    assertListAndLockHeadOptions(options);
    const { limit, lockSecs, clientKey } = options;
    const data = await this.#http.data<{ items?: unknown[]; queueHasLockedRequests?: unknown; lockSecs?: unknown }>({
      method: 'POST',
      path: this.#path('/head/lock'),
      searchParams: { limit, lockSecs, clientKey },
      what: this.#what,
    });
    const rawItems = data?.items ?? [];
    const items = await this.#complete(rawItems);
    const lockExpiresAt = dateOf((rawItems[0] as { lockExpiresAt?: unknown } | undefined)?.lockExpiresAt) ?? new Date(Date.now() + lockSecs * 1000);
    const hasLocks = data?.queueHasLockedRequests;
    return { items, lockExpiresAt, queueHasLockedRequests: typeof hasLocks === 'boolean' ? hasLocks : items.length > 0 };
  }

  async prolongRequestLock(id: string, { clientKey, lockSecs, forefront }: ProlongRequestLockOptions): Promise<{ readonly lockExpiresAt: Date }> {
    const data = await this.#http.data<{ lockExpiresAt?: unknown }>({
      method: 'PUT',
      path: this.#path(`/requests/${segment(id)}/lock`),
      searchParams: { lockSecs, clientKey, forefront },
      what: this.#requestWhat(id),
    });
    const lockExpiresAt = dateOf(data?.lockExpiresAt);
    if (!lockExpiresAt) throw new StorageError('internal', `${this.#requestWhat(id)}: the API answered a lock prolongation without lockExpiresAt`);
    return { lockExpiresAt };
  }

  async deleteRequestLock(id: string, { clientKey, forefront }: DeleteRequestLockOptions): Promise<void> {
    await this.#http.call({
      method: 'DELETE',
      path: this.#path(`/requests/${segment(id)}/lock`),
      searchParams: { clientKey, forefront },
      what: this.#requestWhat(id),
    });
  }

  async unlockRequests({ clientKey }: { readonly clientKey: string }): Promise<number> {
    const data = await this.#http.data<{ unlockedCount?: unknown }>({
      method: 'POST',
      path: this.#path('/requests/unlock'),
      searchParams: { clientKey },
      what: this.#what,
    });
    return typeof data?.unlockedCount === 'number' ? data.unlockedCount : 0;
  }

  async #put(request: RequestData, forefront: boolean, clientKey: string | undefined): Promise<AddRequestResult> {
    const data = await this.#http.data<ApiAddResult>({
      method: 'PUT',
      path: this.#path(`/requests/${segment(request.id)}`),
      searchParams: { forefront, clientKey },
      json: request,
      what: this.#requestWhat(request.id),
    });
    if (!data) throw new StorageError('internal', `${this.#what}: the API answered the update of request "${request.id}" without data`);
    return addResult(data);
  }

  async markRequestAsHandled(request: RequestData, options?: RequestChangeOptions): Promise<AddRequestResult> {
    return this.#put(request, false, options?.clientKey);
  }

  async reclaimRequest(request: RequestData, { forefront, clientKey }: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    // A handled request stays handled, also when the caller's copy is not (another consumer handled
    // it after this one's lock expired): the update below, without handledAt, would make it pending.
    const stored = await this.getRequest(request.id);
    if (stored?.handledAt !== undefined) {
      return { requestId: stored.id, uniqueKey: stored.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: true };
    }
    const { handledAt: _handled, ...pending } = request;
    // Store the changes while the request is still locked, then let go of the lock. With forefront,
    // the update already puts a request nobody holds first (ending a lock it has not places nothing).
    const result = await this.#put(pending, forefront, clientKey);
    await this.deleteRequestLock(request.id, { clientKey: clientKey ?? '', forefront });
    return result;
  }

  async updateRequest(request: RequestData, { forefront, clientKey }: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    return this.#put(request, forefront, clientKey);
  }

  async deleteRequest(id: string, options?: RequestChangeOptions): Promise<void> {
    await this.#http.call({
      method: 'DELETE',
      path: this.#path(`/requests/${segment(id)}`),
      searchParams: { clientKey: options?.clientKey },
      notFound: 'absent',
      what: this.#requestWhat(id),
    });
  }

  async #head(limit: number): Promise<{ items: RequestData[]; queueHasLockedRequests: boolean | undefined }> {
    const data = await this.#http.data<{ items?: unknown[]; queueHasLockedRequests?: unknown }>({
      method: 'GET',
      path: this.#path('/head'),
      searchParams: { limit },
      what: this.#what,
    });
    const hasLocks = data?.queueHasLockedRequests;
    return { items: await this.#complete(data?.items ?? []), queueHasLockedRequests: typeof hasLocks === 'boolean' ? hasLocks : undefined };
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    return (await this.#head(limit)).items;
  }

  async listRequests(options: ListRequestsOptions): Promise<RequestsPage> {
    assertListRequestsOptions(options);
    const { limit, exclusiveStartId, filter } = options;
    // `filter` is the API's parameter (`pending`, `locked`); `handled` is understood by @x/server.
    const data = await this.#http.data<{ items: unknown[]; nextCursor?: string | null }>({
      method: 'GET',
      path: this.#path('/requests'),
      searchParams: { limit, exclusiveStartId, filter },
      what: this.#what,
    });
    const rawItems = data?.items ?? [];
    const items = await this.#complete(rawItems);
    const lockExpiresAt = new Map<string, Date>();
    for (const item of rawItems) {
      const { id, lockExpiresAt: expiry } = item as { id?: unknown; lockExpiresAt?: unknown };
      const date = dateOf(expiry);
      if (typeof id === 'string' && date && date.getTime() > Date.now()) lockExpiresAt.set(id, date);
    }
    const last = items.at(-1);
    const more = data && 'nextCursor' in data ? Boolean(data.nextCursor) : items.length >= limit;
    return more && last ? { items, lockExpiresAt, nextExclusiveStartId: last.id } : { items, lockExpiresAt };
  }

  async isEmpty(): Promise<boolean> {
    return (await this.listHead({ limit: 1 })).length === 0;
  }

  async isFinished(): Promise<boolean> {
    // The API counts locked requests as pending: none pending means none locked either.
    return (await this.getMetadata()).pendingRequestCount === 0;
  }

  async hasLockedRequests(): Promise<boolean> {
    const head = await this.#head(1);
    if (head.queueHasLockedRequests !== undefined) return head.queueHasLockedRequests;
    // A server that does not say: requests counted pending but not in the head are locked.
    return head.items.length === 0 && (await this.getMetadata()).pendingRequestCount > 0;
  }

  async drop(): Promise<void> {
    await this.#http.call({ method: 'DELETE', path: this.#path(), what: this.#what });
  }
}
