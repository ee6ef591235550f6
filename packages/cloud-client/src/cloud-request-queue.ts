import {
  StorageError,
  parseStoredRequest,
  requestQueueMetadataSchema,
  type AddRequestResult,
  type AddRequestsResult,
  type ListRequestsOptions,
  type PlacementOptions,
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

/** What the queues of one storage client share. */
export interface QueueSettings {
  /** This client's key: its locks are its own. */
  readonly clientKey: string;
  /** Seconds a fetched request stays locked; locks are prolonged while the request is in progress. */
  readonly lockSecs: number;
}

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

/**
 * A request queue on the API. Requests are fetched with `head/lock` under the client's key, so
 * several consumers (processes, machines) share one queue and never get the same request; the
 * locks of requests in progress are prolonged until they are handled or reclaimed.
 */
export class CloudRequestQueue implements RequestQueueClient {
  readonly #http: ApiHttp;
  readonly #id: string;
  readonly #what: string;
  readonly #settings: QueueSettings;
  /** Requests this object fetched and has not finished: their locks are prolonged. */
  readonly #inProgress = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #prolonging = false;

  constructor(http: ApiHttp, id: string, settings: QueueSettings) {
    this.#http = http;
    this.#id = id;
    this.#what = `Request queue "${id}"`;
    this.#settings = settings;
  }

  #path(rest = ''): string {
    return `request-queues/${segment(this.#id)}${rest}`;
  }

  get #clientKey(): string {
    return this.#settings.clientKey;
  }

  async getMetadata(): Promise<RequestQueueMetadata> {
    const data = await this.#http.data<unknown>({ method: 'GET', path: this.#path(), what: this.#what });
    return requestQueueMetadataSchema.parse(data);
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    const processedRequests: AddRequestResult[] = [];
    const unprocessedRequests: AddRequestsResult['unprocessedRequests'][number][] = [];
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      let batch = requests.slice(start, start + BATCH_SIZE);
      for (let retry = 0; batch.length > 0; retry++) {
        const data = await this.#http.data<BatchData>({
          method: 'POST',
          path: this.#path('/requests/batch'),
          searchParams: { forefront, clientKey: this.#clientKey },
          json: batch,
          what: this.#what,
        });
        for (const result of data?.processedRequests ?? []) processedRequests.push(addResult(result));
        const left = new Set((data?.unprocessedRequests ?? []).map((r) => r.uniqueKey));
        if (left.size === 0) break;
        batch = batch.filter((r) => left.has(r.uniqueKey));
        if (retry >= UNPROCESSED_RETRIES) {
          for (const r of batch) unprocessedRequests.push({ uniqueKey: r.uniqueKey, url: r.url, method: r.method });
          break;
        }
        await sleep(this.#http.retryDelay(retry + 1));
      }
    }
    return { processedRequests, unprocessedRequests };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    const data = await this.#http.data<unknown>({
      method: 'GET',
      path: this.#path(`/requests/${segment(id)}`),
      notFound: 'absent',
      what: `Request "${id}" in ${this.#what}`,
    });
    return data === undefined ? undefined : parseStoredRequest(data);
  }

  /** Full requests from API items; the Apify platform gives only some fields in head listings. */
  async #complete(items: readonly unknown[]): Promise<RequestData[]> {
    const out: RequestData[] = [];
    for (const item of items) {
      const full = parseStoredRequest(item) ?? (await this.getRequest(String((item as { id?: unknown }).id)));
      if (full) out.push(full);
    }
    return out;
  }

  async fetchNextRequest(): Promise<RequestData | null> {
    const data = await this.#http.data<{ items: unknown[] }>({
      method: 'POST',
      path: this.#path('/head/lock'),
      searchParams: { limit: 1, lockSecs: this.#settings.lockSecs, clientKey: this.#clientKey },
      what: this.#what,
    });
    const [request] = await this.#complete(data?.items ?? []);
    if (!request) return null;
    this.#inProgress.add(request.id);
    this.#startProlonging();
    return request;
  }

  #finished(id: string): void {
    this.#inProgress.delete(id);
    if (this.#inProgress.size === 0) this.#stopProlonging();
  }

  async #put(request: RequestData, forefront: boolean): Promise<AddRequestResult> {
    const data = await this.#http.data<ApiAddResult>({
      method: 'PUT',
      path: this.#path(`/requests/${segment(request.id)}`),
      searchParams: { forefront, clientKey: this.#clientKey },
      json: request,
      what: `Request "${request.id}" in ${this.#what}`,
    });
    if (!data) throw new StorageError('internal', `${this.#what}: the API answered the update of request "${request.id}" without data`);
    return addResult(data);
  }

  async markRequestAsHandled(request: RequestData): Promise<AddRequestResult> {
    const result = await this.#put(request, false);
    this.#finished(request.id);
    return result;
  }

  async reclaimRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    if (request.handledAt !== undefined) {
      const stored = await this.getRequest(request.id);
      if (stored?.handledAt !== undefined) {
        this.#finished(request.id);
        return { requestId: stored.id, uniqueKey: stored.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: true };
      }
    }
    const { handledAt: _handled, ...pending } = request;
    // Store the changes while the request is still locked, then let go of the lock.
    const result = await this.#put(pending, false);
    await this.#http.call({
      method: 'DELETE',
      path: this.#path(`/requests/${segment(request.id)}/lock`),
      searchParams: { forefront, clientKey: this.#clientKey },
      what: `Request "${request.id}" in ${this.#what}`,
    });
    this.#finished(request.id);
    return result;
  }

  async updateRequest(request: RequestData, { forefront }: PlacementOptions): Promise<AddRequestResult> {
    const result = await this.#put(request, forefront);
    if (request.handledAt !== undefined) this.#finished(request.id);
    return result;
  }

  async deleteRequest(id: string): Promise<void> {
    await this.#http.call({
      method: 'DELETE',
      path: this.#path(`/requests/${segment(id)}`),
      searchParams: { clientKey: this.#clientKey },
      notFound: 'absent',
      what: `Request "${id}" in ${this.#what}`,
    });
    this.#finished(id);
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    const data = await this.#http.data<{ items: unknown[] }>({
      method: 'GET',
      path: this.#path('/head'),
      searchParams: { limit, clientKey: this.#clientKey },
      what: this.#what,
    });
    return this.#complete(data?.items ?? []);
  }

  async listRequests({ limit, exclusiveStartId }: ListRequestsOptions): Promise<RequestsPage> {
    const data = await this.#http.data<{ items: unknown[]; nextCursor?: string | null }>({
      method: 'GET',
      path: this.#path('/requests'),
      searchParams: { limit, exclusiveStartId },
      what: this.#what,
    });
    const items = await this.#complete(data?.items ?? []);
    const last = items.at(-1);
    const more = data && 'nextCursor' in data ? Boolean(data.nextCursor) : items.length >= limit;
    return more && last ? { items, nextExclusiveStartId: last.id } : { items };
  }

  async isEmpty(): Promise<boolean> {
    return (await this.listHead({ limit: 1 })).length === 0;
  }

  async isFinished(): Promise<boolean> {
    return (await this.getMetadata()).pendingRequestCount === 0;
  }

  async drop(): Promise<void> {
    this.#inProgress.clear();
    this.#stopProlonging();
    await this.#http.call({ method: 'DELETE', path: this.#path(), what: this.#what });
  }

  /** Stops prolonging locks (the client is closing). */
  stop(): void {
    this.#inProgress.clear();
    this.#stopProlonging();
  }

  #startProlonging(): void {
    if (this.#timer) return;
    const every = Math.max(50, (this.#settings.lockSecs * 1000) / 3);
    this.#timer = setInterval(() => void this.#prolongAll(), every);
    this.#timer.unref();
  }

  #stopProlonging(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #prolongAll(): Promise<void> {
    if (this.#prolonging) return;
    this.#prolonging = true;
    try {
      for (const id of [...this.#inProgress]) {
        try {
          await this.#http.call({
            method: 'PUT',
            path: this.#path(`/requests/${segment(id)}/lock`),
            searchParams: { lockSecs: this.#settings.lockSecs, clientKey: this.#clientKey },
            what: `Request "${id}" in ${this.#what}`,
          });
        } catch (error) {
          // The lock is gone (handled meanwhile, or lost): stop prolonging it. Other errors: try again next time.
          if (StorageError.is(error, 'not-found') || StorageError.is(error, 'conflict')) this.#inProgress.delete(id);
        }
      }
    } finally {
      this.#prolonging = false;
    }
  }
}
