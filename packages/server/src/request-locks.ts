import type { RequestData, RequestQueueClient } from '@x/core';
import { ApiError, recordNotFound } from './http-utils.js';

interface Lock {
  readonly clientKey: string;
  expiresAt: number;
  forefront: boolean;
}

interface QueueLocks {
  readonly locks: Map<string, Lock>;
  readonly clientKeys: Set<string>;
  /** The tail of this queue's chain of lock operations: they run one at a time. */
  tail: Promise<unknown>;
}

/** The client key used for callers that give none. */
export const ANONYMOUS_CLIENT = '';

/**
 * The lock table of the server: which requests are locked by which client and until when, on top
 * of the storage client's in-progress state (a locked request is one taken with
 * `fetchNextRequest`). Expired locks go back among the pending requests. Lock operations of one
 * queue run one at a time.
 */
export class RequestLocks {
  readonly #queues = new Map<string, QueueLocks>();

  #queue(queueId: string): QueueLocks {
    let queue = this.#queues.get(queueId);
    if (!queue) {
      queue = { locks: new Map(), clientKeys: new Set(), tail: Promise.resolve() };
      this.#queues.set(queueId, queue);
    }
    return queue;
  }

  /** Runs `fn` after the queue's earlier lock operations, with expired locks released first. */
  run<T>(queueId: string, handle: RequestQueueClient, fn: (locks: QueueLockView) => Promise<T>): Promise<T> {
    const queue = this.#queue(queueId);
    const result = queue.tail.then(async () => {
      const view = new QueueLockView(queue, handle);
      await view.releaseExpired();
      return fn(view);
    });
    queue.tail = result.catch(() => undefined);
    return result;
  }

  /** Notes a client key that used the queue. */
  noteClient(queueId: string, clientKey: string | undefined): void {
    if (clientKey !== undefined && clientKey !== ANONYMOUS_CLIENT) this.#queue(queueId).clientKeys.add(clientKey);
  }

  /** True when more than one client key used the queue. */
  hadMultipleClients(queueId: string): boolean {
    return (this.#queues.get(queueId)?.clientKeys.size ?? 0) > 1;
  }

  /** The current lock of a request, without waiting for running lock operations. */
  lockOf(queueId: string, requestId: string): { clientKey: string; expiresAt: number } | undefined {
    const lock = this.#queues.get(queueId)?.locks.get(requestId);
    return lock && lock.expiresAt > Date.now() ? lock : undefined;
  }

  /** Forgets a dropped queue. */
  forget(queueId: string): void {
    this.#queues.delete(queueId);
  }
}

/** The lock table of one queue, while a lock operation runs. */
export class QueueLockView {
  constructor(
    private readonly queue: QueueLocks,
    private readonly handle: RequestQueueClient,
  ) {}

  /** Puts the requests of expired locks back among the pending ones. */
  async releaseExpired(): Promise<void> {
    const now = Date.now();
    for (const [id, lock] of this.queue.locks) {
      if (lock.expiresAt > now) continue;
      this.queue.locks.delete(id);
      await this.#putBack(id, lock.forefront);
    }
  }

  async #putBack(id: string, forefront: boolean): Promise<boolean> {
    const stored = await this.handle.getRequest(id);
    if (!stored || stored.handledAt !== undefined) return false;
    await this.handle.reclaimRequest(stored, { forefront });
    return true;
  }

  /** Takes up to `limit` pending requests and locks them for `clientKey`. */
  async lockHead(clientKey: string, limit: number, lockMs: number): Promise<{ request: RequestData; lockExpiresAt: Date }[]> {
    const out: { request: RequestData; lockExpiresAt: Date }[] = [];
    for (let i = 0; i < limit; i++) {
      const request = await this.handle.fetchNextRequest();
      if (!request) break;
      const expiresAt = Date.now() + lockMs;
      this.queue.locks.set(request.id, { clientKey, expiresAt, forefront: false });
      out.push({ request, lockExpiresAt: new Date(expiresAt) });
    }
    return out;
  }

  /** True when some request is locked. */
  hasLocks(): boolean {
    return this.queue.locks.size > 0;
  }

  /** The lock of `id`, if any. */
  lockOf(id: string): { clientKey: string; expiresAt: number } | undefined {
    return this.queue.locks.get(id);
  }

  /** Throws 409 when `id` is locked by another client than `clientKey`. */
  assertNotLockedByOther(id: string, clientKey: string | undefined): void {
    const lock = this.queue.locks.get(id);
    if (lock && clientKey !== undefined && lock.clientKey !== clientKey) {
      throw new ApiError(409, 'request-locked', `Request "${id}" is locked by another client`);
    }
  }

  /** Extends the lock of `id` held by `clientKey`. */
  async prolong(id: string, clientKey: string, lockMs: number, forefront: boolean): Promise<Date> {
    const lock = this.queue.locks.get(id);
    if (!lock) {
      if (!(await this.handle.getRequest(id))) throw recordNotFound(`Request "${id}" was not found`);
      throw new ApiError(409, 'request-not-locked', `Request "${id}" is not locked`);
    }
    if (lock.clientKey !== clientKey) throw new ApiError(409, 'request-locked', `Request "${id}" is locked by another client`);
    lock.expiresAt = Date.now() + lockMs;
    lock.forefront = forefront;
    return new Date(lock.expiresAt);
  }

  /** Ends the lock of `id` and puts the request back among the pending ones. */
  async unlock(id: string, clientKey: string, forefront: boolean): Promise<void> {
    const lock = this.queue.locks.get(id);
    if (lock && lock.clientKey !== clientKey) throw new ApiError(409, 'request-locked', `Request "${id}" is locked by another client`);
    this.queue.locks.delete(id);
    const stored = await this.handle.getRequest(id);
    if (!stored) throw recordNotFound(`Request "${id}" was not found`);
    if (stored.handledAt === undefined) await this.handle.reclaimRequest(stored, { forefront });
  }

  /** Ends every lock of `clientKey`; returns how many. */
  async unlockAll(clientKey: string): Promise<number> {
    let count = 0;
    for (const [id, lock] of this.queue.locks) {
      if (lock.clientKey !== clientKey) continue;
      this.queue.locks.delete(id);
      if (await this.#putBack(id, false)) count++;
    }
    return count;
  }

  /** Forgets the lock of `id` (the request was handled or deleted). */
  drop(id: string): void {
    this.queue.locks.delete(id);
  }
}
