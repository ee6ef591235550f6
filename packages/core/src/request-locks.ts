import { StorageError, notFound } from './errors.js';
import type { RequestData } from './models.js';
import type { RequestQueueIndex, RequestSlotsPage } from './request-queue-index.js';
import type {
  DeleteRequestLockOptions,
  ListAndLockHeadOptions,
  ListRequestsOptions,
  LockedHead,
  ProlongRequestLockOptions,
  RequestStateFilter,
  RequestsPage,
} from './storage-client.js';

/** The most requests one {@link RequestQueueClient.listAndLockHead} call takes. */
export const MAX_LOCK_LIMIT = 1000;
/** The longest lock, in seconds (a day). */
export const MAX_LOCK_SECS = 24 * 3600;

/** The key of a caller that gives none: such callers share one key. */
export const ANONYMOUS_CLIENT_KEY = '';

/** Throws `invalid-argument` unless `lockSecs` is a number of seconds above 0 and at most a day. */
export function assertLockSecs(lockSecs: unknown): asserts lockSecs is number {
  if (typeof lockSecs !== 'number' || !(lockSecs > 0) || lockSecs > MAX_LOCK_SECS) {
    throw new StorageError('invalid-argument', `lockSecs must be a number of seconds above 0 and at most ${MAX_LOCK_SECS}, got ${String(lockSecs)}`);
  }
}

/** Throws `invalid-argument` unless `clientKey` is a string (the empty string is the anonymous caller). */
export function assertClientKey(clientKey: unknown): asserts clientKey is string {
  if (typeof clientKey !== 'string' || clientKey.length > 256) {
    throw new StorageError('invalid-argument', 'clientKey must be a string of at most 256 characters');
  }
}

/** Throws `invalid-argument` for options of `listAndLockHead` out of their ranges. */
export function assertListAndLockHeadOptions(options: ListAndLockHeadOptions): void {
  if (typeof options !== 'object' || options === null) throw new StorageError('invalid-argument', 'listAndLockHead() takes { limit, lockSecs, clientKey }');
  const { limit } = options;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LOCK_LIMIT) {
    throw new StorageError('invalid-argument', `limit must be an integer from 1 to ${MAX_LOCK_LIMIT}, got ${String(limit)}`);
  }
  assertLockSecs(options.lockSecs);
  assertClientKey(options.clientKey);
}

/** The values of {@link ListRequestsOptions.filter}. */
export const REQUEST_STATE_FILTERS: readonly RequestStateFilter[] = ['pending', 'locked', 'handled'];

/** Throws `invalid-argument` for options of `listRequests` out of their ranges (a limit below 1, an unknown filter). */
export function assertListRequestsOptions(options: ListRequestsOptions): void {
  if (typeof options !== 'object' || options === null) throw new StorageError('invalid-argument', 'listRequests() takes { limit, exclusiveStartId?, filter? }');
  const { limit, exclusiveStartId, filter } = options;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new StorageError('invalid-argument', `limit must be a whole number of at least 1, got ${String(limit)}`);
  }
  if (exclusiveStartId !== undefined && typeof exclusiveStartId !== 'string') throw new StorageError('invalid-argument', 'exclusiveStartId must be a string');
  if (filter !== undefined && !REQUEST_STATE_FILTERS.includes(filter)) {
    throw new StorageError('invalid-argument', `filter must be one of ${REQUEST_STATE_FILTERS.join(', ')}, got ${JSON.stringify(String(filter)).slice(0, 80)}`);
  }
}

/** The `locked` error of a request held by another client. */
export function requestLockedError(id: string, expiresAt: number): StorageError {
  return new StorageError(
    'locked',
    `Request "${id}" is locked by another client until ${new Date(expiresAt).toISOString()}; only the lock holder may change it`,
  );
}

/** The `conflict` error of prolonging a request that is not locked. */
export function requestNotLockedError(id: string): StorageError {
  return new StorageError('conflict', `Request "${id}" is not locked (it was never locked, its lock expired, or it was handled)`);
}

interface Lock {
  readonly clientKey: string;
  expiresAt: number;
  forefront: boolean;
  /** When the lock was taken or prolonged, in order: locks that expire together end in this order. */
  readonly seq: number;
}

/**
 * The request locks of one queue kept in process, for storage clients built on
 * {@link RequestQueueIndex} (the memory and fs clients): who holds each request in progress, until
 * when, and where it goes when the lock ends. A locked request is one the index holds in progress.
 *
 * Expired locks are found without a scan: their expiry times sit in a min-heap, and each call that
 * looks at the head first makes the requests of expired locks pending again (through the
 * `placeAgain` callback of the client, which also writes what the client keeps on disk).
 */
export class RequestQueueLocks {
  readonly #index: RequestQueueIndex;
  readonly #placeAgain: (slot: number, forefront: boolean) => void;
  readonly #queueLabel: string;
  readonly #locks = new Map<number, Lock>();
  // A binary min-heap of (expiry, seq, slot), ordered by expiry and then by seq, so that locks
  // that expire together end in the order they were taken; an entry whose time is not its slot's
  // lock's is stale.
  #heapTimes: number[] = [];
  #heapSeqs: number[] = [];
  #heapSlots: number[] = [];
  #nextSeq = 0;

  /**
   * @param index - the queue's index; a slot locked here is in progress there.
   * @param placeAgain - makes the request in `slot` pending again, first with `forefront`.
   * @param queueLabel - names the queue in messages, such as `request queue "my-queue"`.
   */
  constructor(index: RequestQueueIndex, placeAgain: (slot: number, forefront: boolean) => void, queueLabel = 'the request queue') {
    this.#index = index;
    this.#placeAgain = placeAgain;
    this.#queueLabel = queueLabel;
  }

  /** The slot of request `id`; `not-found` when the queue does not have it. */
  slotOf(id: string): number {
    const slot = this.#index.find(id);
    if (slot === -1) throw notFound(`Request "${id}" in ${this.#queueLabel}`);
    return slot;
  }

  /** The slot of request `id`, which `clientKey` may change: `not-found`, or `locked` when another client holds it. */
  changeableSlot(id: string, clientKey: string | undefined, now = Date.now()): number {
    const slot = this.slotOf(id);
    this.assertMayChange(slot, clientKey, now);
    return slot;
  }

  /** Live locks (some may have expired since the last {@link releaseExpired}). */
  get size(): number {
    return this.#locks.size;
  }

  /** Entries in the expiry heap, stale ones (of prolonged or ended locks) included; for diagnostics. */
  get expiryEntries(): number {
    return this.#heapTimes.length;
  }

  /** True when heap entry `a` comes before entry `b`: it expires sooner, or at the same time and was set earlier. */
  #before(a: number, b: number): boolean {
    const times = this.#heapTimes;
    return times[a]! < times[b]! || (times[a] === times[b] && this.#heapSeqs[a]! < this.#heapSeqs[b]!);
  }

  #swap(a: number, b: number): void {
    for (const array of [this.#heapTimes, this.#heapSeqs, this.#heapSlots]) {
      const value = array[a]!;
      array[a] = array[b]!;
      array[b] = value;
    }
  }

  #push(time: number, seq: number, slot: number): void {
    let at = this.#heapTimes.length;
    this.#heapTimes.push(time);
    this.#heapSeqs.push(seq);
    this.#heapSlots.push(slot);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#before(at, parent)) break;
      this.#swap(at, parent);
      at = parent;
    }
  }

  #pop(): void {
    const last = this.#heapTimes.length - 1;
    this.#swap(0, last);
    this.#heapTimes.pop();
    this.#heapSeqs.pop();
    this.#heapSlots.pop();
    const length = last;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= length) break;
      if (child + 1 < length && this.#before(child + 1, child)) child++;
      if (!this.#before(child, at)) break;
      this.#swap(at, child);
      at = child;
    }
  }

  #set(slot: number, lock: Omit<Lock, 'seq'>): void {
    const seq = this.#nextSeq++;
    this.#locks.set(slot, { ...lock, seq });
    this.#push(lock.expiresAt, seq, slot);
    // Prolonged locks leave stale entries behind: rebuild the heap when they outnumber the locks.
    if (this.#heapTimes.length > 64 && this.#heapTimes.length > 4 * this.#locks.size) {
      this.#heapTimes = [];
      this.#heapSeqs = [];
      this.#heapSlots = [];
      for (const [lockedSlot, live] of this.#locks) this.#push(live.expiresAt, live.seq, lockedSlot);
    }
  }

  /** Makes the requests whose locks expired by `now` pending again. */
  releaseExpired(now = Date.now()): void {
    const times = this.#heapTimes;
    while (times.length > 0 && times[0]! <= now) {
      const seq = this.#heapSeqs[0]!;
      const slot = this.#heapSlots[0]!;
      this.#pop();
      const lock = this.#locks.get(slot);
      if (!lock || lock.seq !== seq) continue;
      this.#locks.delete(slot);
      if (this.#index.stateOf(slot) === 'in-progress') this.#placeAgain(slot, lock.forefront);
    }
  }

  /**
   * Takes up to `options.limit` requests with `take` (which takes the next pending request out of
   * the index, or gives `undefined` when none is left) and locks them for `options.clientKey`.
   */
  lockHead(options: ListAndLockHeadOptions, take: () => { slot: number; request: RequestData } | undefined, now = Date.now()): LockedHead {
    assertListAndLockHeadOptions(options);
    this.releaseExpired(now);
    const expiresAt = now + options.lockSecs * 1000;
    const items: RequestData[] = [];
    while (items.length < options.limit) {
      const next = take();
      if (!next) break;
      this.#set(next.slot, { clientKey: options.clientKey, expiresAt, forefront: false });
      items.push(next.request);
    }
    return { items, lockExpiresAt: new Date(expiresAt), queueHasLockedRequests: this.#locks.size > 0 };
  }

  /** The live lock of `slot`, if any. */
  lockOf(slot: number, now = Date.now()): { readonly clientKey: string; readonly expiresAt: number } | undefined {
    const lock = this.#locks.get(slot);
    return lock && lock.expiresAt > now ? lock : undefined;
  }

  /** Throws `locked` when a live lock of a client other than `clientKey` (none: the anonymous caller) holds `slot`. */
  assertMayChange(slot: number, clientKey: string | undefined, now = Date.now()): void {
    const lock = this.lockOf(slot, now);
    if (lock && lock.clientKey !== (clientKey ?? ANONYMOUS_CLIENT_KEY)) throw requestLockedError(this.#index.idOf(slot), lock.expiresAt);
  }

  /** Extends the lock of request `id` held by `options.clientKey`; see {@link RequestQueueClient.prolongRequestLock}. */
  prolong(id: string, options: ProlongRequestLockOptions, now = Date.now()): { lockExpiresAt: Date } {
    const slot = this.slotOf(id);
    assertLockSecs(options.lockSecs);
    assertClientKey(options.clientKey);
    const lock = this.lockOf(slot, now);
    if (!lock) throw requestNotLockedError(this.#index.idOf(slot));
    if (lock.clientKey !== options.clientKey) throw requestLockedError(this.#index.idOf(slot), lock.expiresAt);
    const expiresAt = now + options.lockSecs * 1000;
    this.#set(slot, { clientKey: lock.clientKey, expiresAt, forefront: options.forefront ?? false });
    return { lockExpiresAt: new Date(expiresAt) };
  }

  /** Ends the lock of request `id` held by `options.clientKey` and places the request again; see {@link RequestQueueClient.deleteRequestLock}. */
  unlock(id: string, options: DeleteRequestLockOptions, now = Date.now()): void {
    const slot = this.slotOf(id);
    assertClientKey(options.clientKey);
    const lock = this.lockOf(slot, now);
    if (!lock) return;
    if (lock.clientKey !== options.clientKey) throw requestLockedError(this.#index.idOf(slot), lock.expiresAt);
    this.#locks.delete(slot);
    this.#placeAgain(slot, options.forefront ?? false);
  }

  /** Ends every live lock of `clientKey`, placing those requests again; gives how many. */
  unlockAll(clientKey: string, now = Date.now()): number {
    assertClientKey(clientKey);
    this.releaseExpired(now);
    let count = 0;
    for (const [slot, lock] of [...this.#locks]) {
      if (lock.clientKey !== clientKey) continue;
      this.#locks.delete(slot);
      this.#placeAgain(slot, false);
      count++;
    }
    return count;
  }

  /** Forgets the lock of `slot` (its request was handled, placed again or deleted). */
  release(slot: number): void {
    this.#locks.delete(slot);
  }

  /** True when some lock is live, after the expired ones are released. */
  hasLocks(now = Date.now()): boolean {
    this.releaseExpired(now);
    return this.#locks.size > 0;
  }

  /** When the live locks of `slots` expire, by request id. */
  expiriesOf(slots: readonly number[], now = Date.now()): Map<string, Date> {
    const out = new Map<string, Date>();
    if (this.#locks.size === 0) return out;
    for (const slot of slots) {
      const lock = this.lockOf(slot, now);
      if (lock) out.set(this.#index.idOf(slot), new Date(lock.expiresAt));
    }
    return out;
  }

  /**
   * The slots of a {@link RequestQueueClient.listRequests} page: every request, or those of
   * `options.filter`. Locked ones come from the lock table (live locks, sorted by id: O(L log L)
   * for L locks, never a walk over the queue); pending and handled ones from the index's per-state
   * trees (see {@link RequestQueueIndex.pageInState}). Expired locks are released first, so a
   * request whose lock expired is listed as pending.
   */
  pageSlots(options: ListRequestsOptions, now = Date.now()): RequestSlotsPage {
    assertListRequestsOptions(options);
    const { limit, exclusiveStartId, filter } = options;
    if (filter === undefined) return this.#index.page(limit, exclusiveStartId);
    this.releaseExpired(now);
    if (filter !== 'locked') return this.#index.pageInState(filter, limit, exclusiveStartId);
    const index = this.#index;
    const locked: number[] = [];
    for (const [slot, lock] of this.#locks) {
      if (lock.expiresAt > now && (exclusiveStartId === undefined || index.compareSlotId(slot, exclusiveStartId) > 0)) locked.push(slot);
    }
    locked.sort((a, b) => index.compareSlotIds(a, b));
    const slots = locked.slice(0, limit);
    const last = slots.at(-1);
    return locked.length > limit && last !== undefined ? { slots, nextExclusiveStartId: index.idOf(last) } : { slots };
  }

  /**
   * A whole {@link RequestQueueClient.listRequests} page: the slots of {@link pageSlots}, read into
   * requests by `read` (the client's own storage), with the lock expiry of each locked one.
   */
  pageRequests(options: ListRequestsOptions, read: (slots: readonly number[]) => RequestData[]): RequestsPage {
    const { slots, nextExclusiveStartId } = this.pageSlots(options);
    const items = read(slots);
    const lockExpiresAt = this.expiriesOf(slots);
    return nextExclusiveStartId === undefined ? { items, lockExpiresAt } : { items, lockExpiresAt, nextExclusiveStartId };
  }

  /** Forgets every lock. */
  clear(): void {
    this.#locks.clear();
    this.#heapTimes = [];
    this.#heapSeqs = [];
    this.#heapSlots = [];
  }
}
