import {
  assertClientKey,
  assertListAndLockHeadOptions,
  assertListRequestsOptions,
  assertLockSecs,
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
import { requestQueueKeys, type RequestQueueKeys } from './redis-keys.js';
import { RedisStorage, assertCount, fieldsOf, numberOf, type RedisStorageContext } from './redis-storage.js';

/** Requests per script call of a batch add: a bigger batch is several calls, so Redis never stalls on one. */
const ADD_CHUNK = 1000;

/** A lock's length in whole milliseconds (at least 1), after core's checks of `lockSecs`. */
function lockMs(lockSecs: number): number {
  assertLockSecs(lockSecs);
  return Math.max(1, Math.round(lockSecs * 1000));
}

/** The clientKey of a change: `''`, the anonymous caller's, for none (as core's lock table has it). */
function changer(options: RequestChangeOptions | undefined): string {
  const clientKey = options?.clientKey ?? '';
  assertClientKey(clientKey);
  return clientKey;
}

/**
 * The stored form of a request: its JSON without what is known anyway, so that Redis keeps less
 * per request: the `id` (the HASH field), `uniqueKey` when it equals `url` (the usual case), and
 * `method`, `retryCount`, `noRetry` and `errorMessages` at their defaults. Checked by core as
 * every client's requests are (a request JSON cannot hold is refused before anything is written).
 */
function storedJson(request: RequestData): string {
  const { id: _id, ...rest } = request;
  const compact: Partial<RequestData> = rest;
  if (compact.uniqueKey === compact.url) delete compact.uniqueKey;
  if (compact.method === 'GET') delete compact.method;
  if (compact.retryCount === 0) delete compact.retryCount;
  if (compact.noRetry === false) delete compact.noRetry;
  if (Array.isArray(compact.errorMessages) && compact.errorMessages.length === 0) delete compact.errorMessages;
  return serializeRequestData(compact as RequestData);
}

/** A request from its stored form (see {@link storedJson}): every read is a fresh copy. */
function parseRequest(id: unknown, json: unknown): RequestData {
  const stored = JSON.parse(String(json)) as Partial<RequestData> & { url: string };
  return { id: String(id), method: 'GET', retryCount: 0, noRetry: false, errorMessages: [], uniqueKey: stored.url, ...stored } as RequestData;
}

/**
 * A request queue in Redis. Each request's JSON sits in one HASH by id; the pending ones in a
 * sorted set by fetch order, the locked ones in a sorted set by lock expiry (with their holders
 * in a HASH), and the ids in two sorted sets for listing in id order: those not handled and the
 * handled ones (a page of one state, or of all, never walks the queue). Every operation is one Lua
 * script, atomic for every process: taking the head, releasing expired locks (at each call, no
 * periodic scan), the lock checks and the counts, which are the sizes of those sets and so exact.
 */
export class RedisRequestQueue extends RedisStorage implements RequestQueueClient {
  protected readonly kind = 'requestQueue';
  readonly #keys: RequestQueueKeys;
  /** meta, requests, pending, locks, holders: the keys every queue script takes. */
  readonly #queueKeys: readonly string[];
  /** The same and ids and handled, for the scripts that list, add, delete or handle requests. */
  readonly #queueKeysWithIds: readonly string[];

  constructor(context: RedisStorageContext, id: string, name: string | undefined) {
    super(context, id, name);
    const keys = requestQueueKeys(context.prefix, id);
    this.#keys = keys;
    this.#queueKeys = [keys.meta, keys.requests, keys.pending, keys.locks, keys.holders];
    this.#queueKeysWithIds = [...this.#queueKeys, keys.ids, keys.handled];
  }

  protected get metaKey(): string {
    return this.#keys.meta;
  }

  protected allKeys(): readonly string[] {
    return this.#queueKeysWithIds;
  }

  #queue(name: string, args: readonly string[]): Promise<unknown> {
    return this.run(name, this.#queueKeys, args);
  }

  async getMetadata(): Promise<RequestQueueMetadata> {
    const reply = (await this.#queue('queue-metadata', [])) as unknown[];
    const total = numberOf(reply[0]);
    const unhandled = numberOf(reply[1]) + numberOf(reply[2]);
    return {
      ...this.baseMetadata(fieldsOf(reply, 3)),
      totalRequestCount: total,
      handledRequestCount: total - unhandled,
      pendingRequestCount: unhandled,
    };
  }

  async addRequests(requests: readonly RequestData[], { forefront }: PlacementOptions): Promise<AddRequestsResult> {
    // Every request's JSON first: one that cannot be stored means none is added.
    const jsons = requests.map(storedJson);
    // A request given twice in one batch is sent once; the later ones are reported present.
    const firstIndexById = new Map<string, number>();
    const repeats = new Set<number>();
    const unique: { request: RequestData; json: string }[] = [];
    requests.forEach((request, i) => {
      if (firstIndexById.has(request.id)) {
        repeats.add(i);
        return;
      }
      firstIndexById.set(request.id, unique.length);
      unique.push({ request, json: jsons[i]! });
    });
    const chunks: { request: RequestData; json: string }[][] = [];
    for (let i = 0; i < unique.length; i += ADD_CHUNK) chunks.push(unique.slice(i, i + ADD_CHUNK));
    // Each call takes the next block of order numbers, in the order sent (one connection, or one
    // Cluster node for the storage). Regular chunks go in order; forefront ones last chunk first,
    // each placed before the ones sent earlier, so the batch keeps its order at the front.
    const replies = new Array<unknown[]>(chunks.length);
    const sendOrder = chunks.map((_, index) => (forefront ? chunks.length - 1 - index : index));
    await Promise.all(
      sendOrder.map(async (index) => {
        const args = [forefront ? '1' : '0'];
        for (const { request, json } of chunks[index]!) args.push(request.id, request.handledAt === undefined ? '0' : '1', json);
        replies[index] = (await this.run('add-requests', this.#queueKeysWithIds, args)) as unknown[];
      }),
    );
    const states = replies.flat().map(numberOf);
    const processedRequests = requests.map((request, i): AddRequestResult => {
      const first = firstIndexById.get(request.id)!;
      const state = states[first]!;
      if (!repeats.has(i)) return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: state !== 0, wasAlreadyHandled: state === 2 };
      // A repeat within the batch: present now, handled if its first copy was or came handled.
      const handled = state === 2 || (state === 0 && unique[first]!.request.handledAt !== undefined);
      return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: handled };
    });
    return { processedRequests, unprocessedRequests: [] };
  }

  async getRequest(id: string): Promise<RequestData | undefined> {
    const json = await this.#queue('get-request', [id]);
    return json === null || json === undefined ? undefined : parseRequest(id, json);
  }

  async listAndLockHead(options: ListAndLockHeadOptions): Promise<LockedHead> {
    assertListAndLockHeadOptions(options);
    const { limit, lockSecs, clientKey } = options;
    const reply = (await this.#queue('lock-head', [String(limit), String(lockMs(lockSecs)), clientKey])) as unknown[];
    const items: RequestData[] = [];
    for (let i = 2; i + 1 < reply.length; i += 2) items.push(parseRequest(reply[i], reply[i + 1]));
    return { items, lockExpiresAt: new Date(numberOf(reply[0])), queueHasLockedRequests: numberOf(reply[1]) === 1 };
  }

  async prolongRequestLock(id: string, { clientKey, lockSecs, forefront }: ProlongRequestLockOptions): Promise<{ readonly lockExpiresAt: Date }> {
    assertClientKey(clientKey);
    const expiresAt = await this.#queue('prolong-lock', [id, clientKey, String(lockMs(lockSecs)), forefront ? '1' : '0']);
    return { lockExpiresAt: new Date(numberOf(expiresAt)) };
  }

  async deleteRequestLock(id: string, { clientKey, forefront }: DeleteRequestLockOptions): Promise<void> {
    assertClientKey(clientKey);
    await this.#queue('delete-lock', [id, clientKey, forefront ? '1' : '0']);
  }

  async unlockRequests({ clientKey }: { readonly clientKey: string }): Promise<number> {
    assertClientKey(clientKey);
    return numberOf(await this.#queue('unlock-requests', [clientKey]));
  }

  #result(request: RequestData, wasAlreadyHandled: boolean): AddRequestResult {
    return { requestId: request.id, uniqueKey: request.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled };
  }

  async markRequestAsHandled(request: RequestData, options?: RequestChangeOptions): Promise<AddRequestResult> {
    const handled = request.handledAt === undefined ? { ...request, handledAt: new Date().toISOString() } : request;
    const args = [request.id, changer(options), storedJson(handled)];
    // Sent again after a lost reply, the script is told so: it may have run the first time.
    const already = await this.run('mark-handled', this.#queueKeysWithIds, [...args, '0'], { retryArgs: [...args, '1'] });
    return this.#result(request, numberOf(already) === 1);
  }

  async reclaimRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    const { handledAt: _handledAt, ...pending } = request;
    const already = await this.#queue('reclaim-request', [request.id, changer(options), options.forefront ? '1' : '0', storedJson(pending as RequestData)]);
    return this.#result(request, numberOf(already) === 1);
  }

  async updateRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult> {
    const already = await this.run('update-request', this.#queueKeysWithIds, [
      request.id,
      changer(options),
      options.forefront ? '1' : '0',
      request.handledAt === undefined ? '0' : '1',
      storedJson(request),
    ]);
    return this.#result(request, numberOf(already) === 1);
  }

  async deleteRequest(id: string, options?: RequestChangeOptions): Promise<void> {
    await this.run('delete-request', this.#queueKeysWithIds, [id, changer(options)]);
  }

  async listHead({ limit }: { readonly limit: number }): Promise<RequestData[]> {
    assertCount(limit, 0, 'limit');
    if (limit === 0) return [];
    const reply = (await this.#queue('list-head', [String(limit)])) as unknown[];
    const items: RequestData[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) items.push(parseRequest(reply[i], reply[i + 1]));
    return items;
  }

  async listRequests(options: ListRequestsOptions): Promise<RequestsPage> {
    assertListRequestsOptions(options);
    const { limit, exclusiveStartId, filter } = options;
    const args = [exclusiveStartId ?? '', String(limit), filter ?? ''];
    const reply = (await this.run('list-requests', this.#queueKeysWithIds, args)) as unknown[];
    const items: RequestData[] = [];
    const lockExpiresAt = new Map<string, Date>();
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const id = String(reply[i]);
      items.push(parseRequest(id, reply[i + 1]));
      if (reply[i + 2] !== '') lockExpiresAt.set(id, new Date(numberOf(reply[i + 2])));
    }
    const last = items.at(-1);
    return numberOf(reply[0]) === 1 && last ? { items, lockExpiresAt, nextExclusiveStartId: last.id } : { items, lockExpiresAt };
  }

  async #status(): Promise<{ pending: number; locked: number }> {
    const reply = (await this.#queue('queue-status', [])) as unknown[];
    return { pending: numberOf(reply[0]), locked: numberOf(reply[1]) };
  }

  async isEmpty(): Promise<boolean> {
    return (await this.#status()).pending === 0;
  }

  async isFinished(): Promise<boolean> {
    const { pending, locked } = await this.#status();
    return pending === 0 && locked === 0;
  }

  async hasLockedRequests(): Promise<boolean> {
    return (await this.#status()).locked > 0;
  }
}
