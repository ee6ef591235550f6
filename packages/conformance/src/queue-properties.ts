import {
  Request,
  RequestQueue,
  type AddRequestResult,
  type RequestData,
  type RequestOptions,
  type RequestQueueClient,
  type StorageClientCapabilities,
} from '@x/core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  ClientUnderTest,
  attempt,
  commandConstraints,
  describeCommand,
  expectErrorOutcome,
  expectValueOutcome,
  jsonObject,
  sortedByCodeUnits,
  type Outcome,
} from './property-runner.js';
import type { ConformanceOptions } from './suite-context.js';

// ---------------------------------------------------------------------------------------------
// The reference model of a request queue

/** Locks taken by the property: long enough never to expire during a run (expiry is not modelled). */
const LONG_LOCK_SECS = 3600;

/** The URLs requests are made of: few, so that requests meet again (dedupe, handled, deleted). */
const POOL: readonly { readonly url: string; readonly uniqueKey?: string }[] = [
  { url: 'https://example.com/p/0' },
  { url: 'https://example.com/p/1' },
  { url: 'https://example.com/p/2' },
  { url: 'https://example.com/p/3' },
  // Normalized to https://example.com/p/4?a=1&b=2.
  { url: 'HTTPS://Example.COM/p/4?b=2&a=1#top' },
  // The URL of p0 under another unique key: another request.
  { url: 'https://example.com/p/0', uniqueKey: 'same URL, other key ✓' },
];

/** Consumers that call the raw client with their own client key. */
type RawConsumer = 'A' | 'B' | 'anon';
/** Every consumer: `F` is a {@link RequestQueue} (the frontend), which locks under its own key. */
type Consumer = RawConsumer | 'F';

/** The client key of each raw consumer; `anon` gives none when it changes a request (the anonymous key ''). */
const RAW_KEYS: Readonly<Record<RawConsumer, string>> = { A: 'consumer-a', B: 'consumer-b', anon: '' };

const changeKeyOf = (consumer: RawConsumer): string | undefined => (consumer === 'anon' ? undefined : RAW_KEYS[consumer]);

type State = 'pending' | 'locked' | 'handled';

/** A request of the model. */
interface ModelRequest {
  /** What `getRequest` must give. */
  data: RequestData;
  state: State;
  /**
   * The request's place: pending requests are fetched in ascending order. Forefront placements
   * take ever smaller negative keys, regular ones ever larger positive keys, so the newest
   * forefront request comes first and regular ones in the order placed. A lock keeps the key (a
   * client that forgets its locks, as fs on reopen, puts the request back there).
   */
  key: number;
  /** Who holds the lock, when locked. */
  holder: string | undefined;
  /** Order in which locks were taken (the order `unlockRequests` places them back). */
  lockSeq: number;
}

/** What the property expects of the queue after every step. */
export class QueueModel {
  readonly requests = new Map<string, ModelRequest>();
  /** Ids that were in the queue and were deleted: `getRequest` gives nothing for them. */
  readonly deleted = new Set<string>();
  /** Bumped on every reopen: a new {@link RequestQueue} instance locks under a new key. */
  frontendGeneration = 0;
  /**
   * Ids the frontend locked and has not handed out yet, in fetch order: its buffer, when its
   * fetch batch ({@link RequestQueue.fetchBatchSize}) is above 1. Locked for the frontend.
   */
  frontendBuffer: string[] = [];
  /** Requests the frontend put first since its buffer was filled: its fetches take them before the buffer. */
  frontendAhead = 0;
  #clock = 0;
  #lockSeq = 0;

  /**
   * @param reopenKeepsLocks - whether locks outlive a reopen of the client.
   * @param frontendBatch - the frontend's fetch batch: how many requests a fetch locks when its buffer is empty.
   */
  constructor(
    readonly reopenKeepsLocks: boolean,
    readonly frontendBatch = 1,
  ) {}

  holderOf(consumer: Consumer): string {
    return consumer === 'F' ? `frontend#${this.frontendGeneration}` : RAW_KEYS[consumer];
  }

  place(request: ModelRequest, forefront: boolean): void {
    request.state = 'pending';
    request.holder = undefined;
    request.key = forefront ? -++this.#clock : ++this.#clock;
  }

  lock(request: ModelRequest, holder: string): void {
    request.state = 'locked';
    request.holder = holder;
    request.lockSeq = ++this.#lockSeq;
  }

  /** Pending requests in fetch order. */
  head(): ModelRequest[] {
    return [...this.requests.values()].filter((r) => r.state === 'pending').sort((a, b) => a.key - b.key);
  }

  lockedBy(holder: string): ModelRequest[] {
    return [...this.requests.values()].filter((r) => r.state === 'locked' && r.holder === holder).sort((a, b) => a.lockSeq - b.lockSeq);
  }

  hasLocks(): boolean {
    return [...this.requests.values()].some((r) => r.state === 'locked');
  }

  counts(): { total: number; handled: number; pending: number } {
    const total = this.requests.size;
    const handled = [...this.requests.values()].filter((r) => r.state === 'handled').length;
    return { total, handled, pending: total - handled };
  }

  /** Adds one request as `addRequests` does, giving its result. */
  add(data: RequestData, forefront: boolean): AddRequestResult {
    const existing = this.requests.get(data.id);
    if (existing) return { requestId: data.id, uniqueKey: data.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled: existing.state === 'handled' };
    const request: ModelRequest = { data: structuredClone(data), state: 'handled', key: 0, holder: undefined, lockSeq: 0 };
    if (data.handledAt === undefined) this.place(request, forefront);
    this.requests.set(data.id, request);
    this.deleted.delete(data.id);
    return { requestId: data.id, uniqueKey: data.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false };
  }

  /**
   * The error a change of request `id` by `holder` gets, if any: `not-found` for a request not in
   * the queue, `locked` for one another consumer holds.
   */
  refusal(id: string, holder: string): 'not-found' | 'locked' | undefined {
    const request = this.requests.get(id);
    if (!request) return 'not-found';
    if (request.state === 'locked' && request.holder !== holder) return 'locked';
    return undefined;
  }

  /**
   * What the frontend's `fetchNextRequest` gives, locking what it takes: a request it put first
   * (the head's first) while it holds a buffer, else its buffer's next, else it locks the first
   * `frontendBatch` requests of the head, hands out the first and buffers the others.
   */
  frontendFetch(): ModelRequest | undefined {
    const holder = this.holderOf('F');
    if (this.frontendAhead > 0 && this.frontendBuffer.length > 0) {
      this.frontendAhead--;
      const first = this.head()[0];
      if (first) {
        this.lock(first, holder);
        return first;
      }
    }
    const buffered = this.frontendBuffer.shift();
    if (buffered !== undefined) return this.requests.get(buffered);
    this.frontendAhead = 0;
    const taken = this.head().slice(0, this.frontendBatch);
    for (const request of taken) this.lock(request, holder);
    this.frontendBuffer = taken.slice(1).map((r) => r.data.id);
    return taken[0];
  }

  /** The frontend handled, reclaimed or otherwise let go of request `id`: it is no longer in its buffer. */
  frontendLetGo(id: string): void {
    this.frontendBuffer = this.frontendBuffer.filter((buffered) => buffered !== id);
  }

  /** The frontend is let go (`releaseStorages`): it gives its buffer back, first in the queue in its order. */
  frontendGiveBack(): void {
    for (const id of [...this.frontendBuffer].reverse()) {
      const request = this.requests.get(id);
      if (request?.state === 'locked' && request.holder === this.holderOf('F')) this.place(request, true);
    }
    this.frontendBuffer = [];
    this.frontendAhead = 0;
  }

  /** The client forgot its locks (fs: they live in the process): locked requests are pending at their key. */
  forgetLocks(): void {
    for (const request of this.requests.values()) {
      if (request.state !== 'locked') continue;
      request.state = 'pending';
      request.holder = undefined;
    }
  }
}

function poolData(index: number, options: Omit<RequestOptions, 'url' | 'uniqueKey'> = {}): RequestData {
  const entry = POOL[index % POOL.length]!;
  return Request.fromUrl(entry.url, { ...(entry.uniqueKey === undefined ? {} : { uniqueKey: entry.uniqueKey }), ...options }).toData();
}

/** A fixed, valid handledAt. */
const handledAtOf = (n: number): string => new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();

/** Which request a command acts on: one the consumer holds (the `n`-th, when it holds any), else a request of the pool. */
interface Target {
  readonly own: boolean;
  readonly n: number;
}

/** The id a target names now, and the request data the consumer has of it (the stored data, or a fresh copy). */
function resolveTarget(model: QueueModel, target: Target, holder: string): { id: string; data: RequestData; label: string } {
  if (target.own) {
    const held = model.lockedBy(holder);
    const request = held[target.n % Math.max(1, held.length)];
    if (request) return { id: request.data.id, data: structuredClone(request.data), label: `held#${target.n % held.length}` };
  }
  const index = target.n % POOL.length;
  const fresh = poolData(index);
  const stored = model.requests.get(fresh.id);
  return { id: fresh.id, data: stored ? structuredClone(stored.data) : fresh, label: `p${index}` };
}

/** Changes a consumer makes to a request before handing it back. */
interface Change {
  readonly userData?: Record<string, unknown>;
  readonly retries?: number;
  readonly error?: string;
  readonly loadedUrl?: string;
  readonly noRetry?: boolean;
}

function applyChange(data: RequestData, change: Change): RequestData {
  const changed: RequestData = { ...data, retryCount: data.retryCount + (change.retries ?? 0) };
  if (change.userData !== undefined) changed.userData = structuredClone(change.userData);
  if (change.error !== undefined) changed.errorMessages = [...data.errorMessages, change.error];
  if (change.loadedUrl !== undefined) changed.loadedUrl = change.loadedUrl;
  if (change.noRetry !== undefined) changed.noRetry = change.noRetry;
  return changed;
}

function withoutHandledAt(data: RequestData): RequestData {
  const { handledAt: _handledAt, ...rest } = data;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// The system under test

/** The queue under test: the raw client, a {@link RequestQueue} over the same queue, and the client they live in. */
export class QueueSystem {
  raw!: RequestQueueClient;
  frontend!: RequestQueue;
  step = 0;

  private constructor(
    readonly client: ClientUnderTest,
    readonly name: string,
  ) {}

  static async start(options: ConformanceOptions, name: string): Promise<QueueSystem> {
    const system = new QueueSystem(await ClientUnderTest.create(options), name);
    await system.#open();
    return system;
  }

  async #open(): Promise<void> {
    const storageClient = this.client.current;
    this.raw = await storageClient.openRequestQueue({ kind: 'name', name: this.name });
    this.frontend = await RequestQueue.open({ name: this.name, storageClient });
  }

  async reopen(): Promise<void> {
    await this.client.reopen();
    await this.#open();
  }

  nextStep(command: string): string {
    this.step++;
    return `step ${this.step} ${command}`;
  }
}

/** Compares everything the queue tells with the model. */
async function checkQueue(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
  const { raw } = system;
  const head = model.head();
  const metadata = await raw.getMetadata();
  expect(
    { total: metadata.totalRequestCount, handled: metadata.handledRequestCount, pending: metadata.pendingRequestCount },
    `${step}: getMetadata counts`,
  ).toEqual(model.counts());
  expect(await raw.listHead({ limit: 100 }), `${step}: listHead (pending requests in fetch order)`).toEqual(head.map((r) => r.data));
  expect(await raw.isEmpty(), `${step}: isEmpty`).toBe(head.length === 0);
  expect(await raw.isFinished(), `${step}: isFinished`).toBe(head.length === 0 && !model.hasLocks());
  expect(await raw.hasLockedRequests(), `${step}: hasLockedRequests`).toBe(model.hasLocks());
  // Every request, in pages of 3 in id order, with the ids of the locked ones.
  const listed: RequestData[] = [];
  const locked: string[] = [];
  let page = await raw.listRequests({ limit: 3 });
  for (let pages = 1; ; pages++) {
    listed.push(...page.items);
    locked.push(...page.lockExpiresAt.keys());
    if (page.nextExclusiveStartId === undefined) break;
    if (pages > POOL.length) expect.fail(`${step}: listRequests keeps giving pages`);
    page = await raw.listRequests({ limit: 3, exclusiveStartId: page.nextExclusiveStartId });
  }
  const byId = sortedByCodeUnits(model.requests.keys()).map((id) => model.requests.get(id)!);
  expect(listed, `${step}: listRequests (every request in id order)`).toEqual(byId.map((r) => r.data));
  expect(sortedByCodeUnits(locked), `${step}: listRequests lockExpiresAt (the locked requests)`).toEqual(
    byId.filter((r) => r.state === 'locked').map((r) => r.data.id),
  );
  // The requests of each state, in pages of 5 in id order; lock expiries exactly for the locked ones.
  for (const filter of ['pending', 'locked', 'handled'] as const) {
    const inState: RequestData[] = [];
    const expiring: string[] = [];
    let statePage = await raw.listRequests({ limit: 5, filter });
    for (let pages = 1; ; pages++) {
      inState.push(...statePage.items);
      expiring.push(...statePage.lockExpiresAt.keys());
      if (statePage.nextExclusiveStartId === undefined) break;
      if (pages > POOL.length) expect.fail(`${step}: listRequests({ filter: ${filter} }) keeps giving pages`);
      statePage = await raw.listRequests({ limit: 5, filter, exclusiveStartId: statePage.nextExclusiveStartId });
    }
    const expected = byId.filter((r) => r.state === filter).map((r) => r.data);
    expect(inState, `${step}: listRequests({ filter: ${filter} })`).toEqual(expected);
    expect(expiring, `${step}: listRequests({ filter: ${filter} }) lockExpiresAt`).toEqual(filter === 'locked' ? expected.map((r) => r.id) : []);
  }
  for (const request of model.requests.values()) {
    expect(await raw.getRequest(request.data.id), `${step}: getRequest(${request.data.id})`).toEqual(request.data);
  }
  for (const id of model.deleted) expect(await raw.getRequest(id), `${step}: getRequest of deleted ${id}`).toBeUndefined();
}

/** The result of a change the model allows. */
function changedResult(data: RequestData, wasAlreadyHandled: boolean): AddRequestResult {
  return { requestId: data.id, uniqueKey: data.uniqueKey, wasAlreadyPresent: true, wasAlreadyHandled };
}

/** Checks an outcome against the model's refusal (an error) or, when it allows the change, the expected value. */
function expectChangeOutcome<T>(outcome: Outcome<T>, refusal: string | undefined, expected: T, step: string): void {
  if (refusal !== undefined) {
    expectErrorOutcome(outcome, refusal as 'not-found' | 'locked' | 'conflict', step);
    return;
  }
  expect(expectValueOutcome(outcome, step), `${step}: result`).toEqual(expected);
}

// ---------------------------------------------------------------------------------------------
// Commands

type QueueCommand = fc.AsyncCommand<QueueModel, QueueSystem>;

abstract class BaseQueueCommand implements QueueCommand {
  /** What the target resolved to in the last run, for the printed sequence. */
  protected resolved = '';

  check(): boolean {
    return true;
  }

  async run(model: QueueModel, system: QueueSystem): Promise<void> {
    const step = system.nextStep(this.toString());
    await this.act(model, system, step);
    await checkQueue(model, system, step);
  }

  protected abstract act(model: QueueModel, system: QueueSystem, step: string): Promise<void>;

  abstract toString(): string;
}

interface AddSpec {
  readonly entry: number;
  readonly userData: Record<string, unknown>;
  readonly handled: boolean;
}

/**
 * `addRequests` of a batch (regular or forefront), through the raw client or the frontend. A
 * forefront batch keeps its order at the front: the model places its requests last to first, each
 * before all others, after the first of equal requests in the batch is known to be the one added.
 */
class AddCommand extends BaseQueueCommand {
  constructor(
    readonly specs: readonly AddSpec[],
    readonly forefront: boolean,
    readonly via: 'raw' | 'frontend',
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const options = this.specs.map((spec, i) => {
      const entry = POOL[spec.entry % POOL.length]!;
      const o: RequestOptions = { url: entry.url, userData: spec.userData };
      if (entry.uniqueKey !== undefined) o.uniqueKey = entry.uniqueKey;
      if (spec.handled) o.handledAt = handledAtOf(i);
      return o;
    });
    const data = options.map((o) => new Request(o).toData());
    const outcome = await attempt(() =>
      this.via === 'raw' ? system.raw.addRequests(data, { forefront: this.forefront }) : system.frontend.addRequests(options, { forefront: this.forefront }),
    );
    const processedRequests: AddRequestResult[] = new Array(data.length);
    const firstIndexes = data.flatMap((d, at) => (data.findIndex((other) => other.id === d.id) === at ? [at] : []));
    const laterIndexes = data.flatMap((_, at) => (firstIndexes.includes(at) ? [] : [at]));
    const order = this.forefront ? [...firstIndexes.reverse(), ...laterIndexes] : data.map((_, at) => at);
    for (const at of order) processedRequests[at] = model.add(data[at]!, this.forefront);
    expect(expectValueOutcome(outcome, step), `${step}: addRequests result`).toEqual({ processedRequests, unprocessedRequests: [] });
    // New pending requests the frontend put first come before its buffer.
    if (this.via === 'frontend' && this.forefront) {
      for (const at of firstIndexes) if (!processedRequests[at]!.wasAlreadyPresent && data[at]!.handledAt === undefined) model.frontendAhead++;
    }
  }

  toString(): string {
    const batch = this.specs.map((s) => `p${s.entry % POOL.length}${s.handled ? '(handled)' : ''}`).join(' ');
    return describeCommand('add', { via: this.via, forefront: this.forefront || undefined, batch, userData: this.specs.map((s) => s.userData) });
  }
}

/** `listAndLockHead` of a raw consumer. */
class LockCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: RawConsumer,
    readonly limit: number,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const before = Date.now();
    const locked = await system.raw.listAndLockHead({ limit: this.limit, lockSecs: LONG_LOCK_SECS, clientKey: RAW_KEYS[this.consumer] });
    const taken = model.head().slice(0, this.limit);
    for (const request of taken) model.lock(request, RAW_KEYS[this.consumer]);
    expect(locked.items, `${step}: listAndLockHead items (the head, in order)`).toEqual(taken.map((r) => r.data));
    expect(locked.queueHasLockedRequests, `${step}: listAndLockHead queueHasLockedRequests`).toBe(model.hasLocks());
    // Generous margins: only a lock far shorter than asked for is wrong.
    expect(locked.lockExpiresAt.getTime(), `${step}: lockExpiresAt`).toBeGreaterThan(before + (LONG_LOCK_SECS - 600) * 1000);
  }

  toString(): string {
    return describeCommand('lock', { by: this.consumer, limit: this.limit });
  }
}

/** `fetchNextRequest` of the frontend. */
class FetchCommand extends BaseQueueCommand {
  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const fetched = await system.frontend.fetchNextRequest();
    const next = model.frontendFetch();
    expect(fetched?.toData() ?? null, `${step}: fetchNextRequest`).toEqual(next?.data ?? null);
  }

  toString(): string {
    return 'fetch(by=F)';
  }
}

/** `markRequestAsHandled` by a raw consumer or the frontend, of a request it holds or any other. */
class HandleCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: Consumer,
    readonly target: Target,
    readonly change: Change,
    readonly at: number,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, data: base, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    const changed = applyChange(base, this.change);
    let sent: RequestData;
    let outcome: Outcome<AddRequestResult>;
    if (this.consumer === 'F') {
      const request = Request.fromData(changed);
      outcome = await attempt(() => system.frontend.markRequestAsHandled(request));
      // The frontend sets handledAt (now) unless the request has one.
      sent = request.toData();
      expect(typeof sent.handledAt, `${step}: the frontend sets handledAt`).toBe('string');
    } else {
      sent = { ...changed, handledAt: handledAtOf(this.at) };
      const clientKey = changeKeyOf(this.consumer);
      outcome = await attempt(() => system.raw.markRequestAsHandled(sent, { clientKey }));
    }
    const refusal = model.refusal(id, holder);
    const request = model.requests.get(id);
    const wasHandled = request?.state === 'handled';
    if (refusal === undefined && request) {
      // Stored as handled; the changes of a request handled before are stored too (the contract: "stores request").
      request.data = structuredClone(sent);
      request.state = 'handled';
      request.holder = undefined;
      if (this.consumer === 'F') model.frontendLetGo(id);
    }
    expectChangeOutcome(outcome, refusal, changedResult(sent, wasHandled), step);
  }

  toString(): string {
    return describeCommand('handle', { by: this.consumer, target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`, change: this.change, at: this.resolved || undefined });
  }
}

/** `reclaimRequest` by a raw consumer or the frontend. */
class ReclaimCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: Consumer,
    readonly target: Target,
    readonly change: Change,
    readonly forefront: boolean,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, data: base, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    // The consumer's copy is the request as it fetched it: not handled.
    const sent = withoutHandledAt(applyChange(base, this.change));
    const outcome = await attempt(() =>
      this.consumer === 'F'
        ? system.frontend.reclaimRequest(Request.fromData(sent), { forefront: this.forefront })
        : system.raw.reclaimRequest(sent, { forefront: this.forefront, clientKey: changeKeyOf(this.consumer) }),
    );
    const refusal = model.refusal(id, holder);
    const request = model.requests.get(id);
    const wasHandled = request?.state === 'handled';
    expectChangeOutcome(outcome, refusal, changedResult(sent, wasHandled), step);
    if (refusal !== undefined || !request) return;
    if (this.consumer === 'F') {
      model.frontendLetGo(id);
      // Put first again: the frontend's next fetch takes it before its buffer.
      if (this.forefront && !wasHandled) model.frontendAhead++;
    }
    if (wasHandled) return;
    request.data = structuredClone(sent);
    // Reclaiming a request nobody holds leaves it where it is, unless forefront moves it first.
    if (request.state === 'pending' && !this.forefront) return;
    model.place(request, this.forefront);
  }

  toString(): string {
    return describeCommand('reclaim', {
      by: this.consumer,
      target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`,
      change: this.change,
      forefront: this.forefront || undefined,
      at: this.resolved || undefined,
    });
  }
}

/** `updateRequest` by a raw consumer: changes, and setting or clearing handledAt. */
class UpdateCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: RawConsumer,
    readonly target: Target,
    readonly change: Change,
    readonly forefront: boolean,
    readonly handled: 'keep' | 'set' | 'clear',
    readonly at: number,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, data: base, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    let sent = applyChange(base, this.change);
    if (this.handled === 'set') sent = { ...sent, handledAt: handledAtOf(this.at) };
    if (this.handled === 'clear') sent = withoutHandledAt(sent);
    const outcome = await attempt(() => system.raw.updateRequest(sent, { forefront: this.forefront, clientKey: changeKeyOf(this.consumer) }));
    const refusal = model.refusal(id, holder);
    const request = model.requests.get(id);
    const wasHandled = request?.state === 'handled';
    if (refusal === undefined && request) {
      const wantsHandled = sent.handledAt !== undefined;
      if (wantsHandled && !wasHandled) {
        request.state = 'handled';
        request.holder = undefined;
      } else if (!wantsHandled && wasHandled) {
        model.place(request, this.forefront);
      } else if (request.state === 'pending' && this.forefront) {
        model.place(request, true);
      }
      request.data = structuredClone(sent);
    }
    expectChangeOutcome(outcome, refusal, changedResult(sent, wasHandled), step);
  }

  toString(): string {
    return describeCommand('update', {
      by: this.consumer,
      target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`,
      change: this.change,
      forefront: this.forefront || undefined,
      handledAt: this.handled,
      at: this.resolved || undefined,
    });
  }
}

/** `deleteRequest` by a raw consumer. */
class DeleteCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: RawConsumer,
    readonly target: Target,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    const outcome = await attempt(() => system.raw.deleteRequest(id, { clientKey: changeKeyOf(this.consumer) }));
    const refusal = model.refusal(id, holder);
    if (refusal === 'locked') {
      expectErrorOutcome(outcome, 'locked', step);
      return;
    }
    expectValueOutcome(outcome, step);
    if (model.requests.delete(id)) model.deleted.add(id);
  }

  toString(): string {
    return describeCommand('delete', { by: this.consumer, target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`, at: this.resolved || undefined });
  }
}

/** `deleteRequestLock` by a raw consumer. */
class UnlockCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: RawConsumer,
    readonly target: Target,
    readonly forefront: boolean,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    const outcome = await attempt(() => system.raw.deleteRequestLock(id, { clientKey: RAW_KEYS[this.consumer], forefront: this.forefront }));
    const request = model.requests.get(id);
    if (!request) return expectErrorOutcome(outcome, 'not-found', step);
    if (request.state !== 'locked') return void expectValueOutcome(outcome, step);
    if (request.holder !== holder) return expectErrorOutcome(outcome, 'locked', step);
    expectValueOutcome(outcome, step);
    model.place(request, this.forefront);
  }

  toString(): string {
    return describeCommand('unlock', {
      by: this.consumer,
      target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`,
      forefront: this.forefront || undefined,
      at: this.resolved || undefined,
    });
  }
}

/** `unlockRequests` of a raw consumer. */
class UnlockAllCommand extends BaseQueueCommand {
  constructor(readonly consumer: RawConsumer) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const count = await system.raw.unlockRequests({ clientKey: RAW_KEYS[this.consumer] });
    const held = model.lockedBy(RAW_KEYS[this.consumer]);
    for (const request of held) model.place(request, false);
    expect(count, `${step}: unlockRequests count`).toBe(held.length);
  }

  toString(): string {
    return describeCommand('unlockAll', { by: this.consumer });
  }
}

/** `prolongRequestLock` by a raw consumer. */
class ProlongCommand extends BaseQueueCommand {
  constructor(
    readonly consumer: RawConsumer,
    readonly target: Target,
    readonly forefront: boolean,
  ) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const holder = model.holderOf(this.consumer);
    const { id, label } = resolveTarget(model, this.target, holder);
    this.resolved = `${label}=${id}`;
    const before = Date.now();
    const outcome = await attempt(() => system.raw.prolongRequestLock(id, { clientKey: RAW_KEYS[this.consumer], lockSecs: LONG_LOCK_SECS, forefront: this.forefront }));
    const request = model.requests.get(id);
    if (!request) return expectErrorOutcome(outcome, 'not-found', step);
    if (request.state !== 'locked') return expectErrorOutcome(outcome, 'conflict', step);
    if (request.holder !== holder) return expectErrorOutcome(outcome, 'locked', step);
    const { lockExpiresAt } = expectValueOutcome(outcome, step);
    expect(lockExpiresAt.getTime(), `${step}: lockExpiresAt`).toBeGreaterThan(before + (LONG_LOCK_SECS - 600) * 1000);
  }

  toString(): string {
    return describeCommand('prolong', {
      by: this.consumer,
      target: this.target.own ? `held#${this.target.n}` : `p${this.target.n % POOL.length}`,
      forefront: this.forefront || undefined,
      at: this.resolved || undefined,
    });
  }
}

interface Taker {
  readonly consumer: Consumer;
  readonly limit: number;
}

/** The ids of every request with a live lock, as `listRequests` tells. */
async function lockedIds(raw: RequestQueueClient): Promise<Set<string>> {
  const locked = new Set<string>();
  let page = await raw.listRequests({ limit: 100 });
  for (;;) {
    for (const id of page.lockExpiresAt.keys()) locked.add(id);
    if (page.nextExclusiveStartId === undefined) return locked;
    page = await raw.listRequests({ limit: 100, exclusiveStartId: page.nextExclusiveStartId });
  }
}

/**
 * Several consumers take requests at once (raw `listAndLockHead` calls and frontend fetches, all
 * started before any is awaited). Which consumer gets which request depends on the order the
 * calls arrive, so this checks what holds in any order: the requests locked by the takes are the
 * first of the head, none taken twice, each raw taker's in fetch order and no more than it asked
 * for; a taker that got less than it asked for (a frontend fetch that got nothing) means nothing
 * was left pending; the frontend's fetches run one after another, each handing out a request it
 * put first, its buffer's next or the first of a refill of up to its batch, whose others it keeps.
 * The model then takes over what each got.
 */
class ConcurrentTakeCommand extends BaseQueueCommand {
  constructor(readonly takers: readonly Taker[]) {
    super();
  }

  protected async act(model: QueueModel, system: QueueSystem, step: string): Promise<void> {
    const results = await Promise.all(
      this.takers.map(async ({ consumer, limit }) => {
        if (consumer === 'F') {
          const request = await system.frontend.fetchNextRequest();
          return request ? [request.toData()] : [];
        }
        return (await system.raw.listAndLockHead({ limit, lockSecs: LONG_LOCK_SECS, clientKey: RAW_KEYS[consumer] })).items;
      }),
    );
    const head = model.head();
    const position = new Map(head.map((r, i) => [r.data.id, i]));
    const before = new Set([...model.requests.values()].filter((r) => r.state === 'locked').map((r) => r.data.id));
    const newlyLocked = [...(await lockedIds(system.raw))].filter((id) => !before.has(id));
    newlyLocked.sort((a, b) => (position.get(a) ?? Infinity) - (position.get(b) ?? Infinity));
    expect(newlyLocked, `${step}: the takes locked the first requests of the head`).toEqual(head.slice(0, newlyLocked.length).map((r) => r.data.id));
    const takenIds = results.flat().map((r) => r.id);
    expect(new Set(takenIds).size, `${step}: no request taken twice (${takenIds.join(', ')})`).toBe(takenIds.length);
    const shortfall = results.some((items, i) => {
      const { consumer, limit } = this.takers[i]!;
      return items.length < (consumer === 'F' ? 1 : limit);
    });
    if (shortfall) expect(newlyLocked.length, `${step}: a taker got less than it asked for only when nothing was left pending`).toBe(head.length);
    const owner = new Map<string, string>();
    results.forEach((items, i) => {
      const { consumer, limit } = this.takers[i]!;
      expect(items.length, `${step}: taker ${i} (${consumer}) got at most what it asked for`).toBeLessThanOrEqual(consumer === 'F' ? 1 : limit);
      for (const item of items) expect(item, `${step}: taker ${i} got the stored request`).toEqual(model.requests.get(item.id)?.data);
      if (consumer === 'F') return;
      const positions = items.map((r) => position.get(r.id) ?? -1);
      expect(positions, `${step}: taker ${i} (${consumer}) got its requests in fetch order`).toEqual([...positions].sort((a, b) => a - b));
      expect(positions.every((p) => p >= 0 && p < newlyLocked.length), `${step}: taker ${i} (${consumer}) got newly locked requests`).toBe(true);
      for (const item of items) owner.set(item.id, RAW_KEYS[consumer]);
    });
    // The frontend's fetches, one after another in the order they were asked for.
    const fresh = newlyLocked.filter((id) => !owner.has(id));
    let ahead = model.frontendAhead;
    const buffer = [...model.frontendBuffer];
    results.forEach((items, i) => {
      if (this.takers[i]!.consumer !== 'F') return;
      const got = items[0]?.id;
      if (ahead > 0 && buffer.length > 0) {
        ahead--;
        if (got !== undefined && got === fresh[0]) {
          fresh.shift();
          return;
        }
      }
      if (buffer.length > 0) {
        expect(got, `${step}: taker ${i} (F) got its buffer's next request`).toBe(buffer.shift());
        return;
      }
      ahead = 0;
      if (got === undefined) return;
      expect(got, `${step}: taker ${i} (F) got the first request of its refill`).toBe(fresh.shift());
      buffer.push(...fresh.splice(0, model.frontendBatch - 1));
    });
    expect(fresh, `${step}: every request the takes locked was handed out or is in the frontend's buffer`).toEqual([]);
    // Each call takes from the head as it is then, so the locks were taken in head order.
    for (const id of newlyLocked) model.lock(model.requests.get(id)!, owner.get(id) ?? model.holderOf('F'));
    model.frontendBuffer = buffer;
    model.frontendAhead = ahead;
  }

  toString(): string {
    return describeCommand('concurrentTake', { takers: this.takers.map((t) => (t.consumer === 'F' ? 'F' : `${t.consumer}×${t.limit}`)).join(' ') });
  }
}

/** Ends the client and opens the queue again in a new one over the same storage. */
class ReopenCommand extends BaseQueueCommand {
  protected async act(model: QueueModel, system: QueueSystem): Promise<void> {
    // The old client is let go first: its frontend gives its buffer back.
    await system.reopen();
    model.frontendGiveBack();
    model.frontendGeneration++;
    if (!model.reopenKeepsLocks) model.forgetLocks();
  }

  toString(): string {
    return 'reopen()';
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const rawConsumer = fc.constantFrom<RawConsumer>('A', 'B', 'anon');
const anyConsumer = fc.constantFrom<Consumer>('A', 'B', 'anon', 'F');
const target: fc.Arbitrary<Target> = fc.record({
  own: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 2 }),
  n: fc.nat(POOL.length * 2 - 1),
});
const change: fc.Arbitrary<Change> = fc.record(
  {
    userData: jsonObject,
    retries: fc.integer({ min: 1, max: 2 }),
    error: fc.string({ maxLength: 8 }),
    loadedUrl: fc.constantFrom('https://example.com/final', 'https://example.org/ü?x=1'),
    noRetry: fc.boolean(),
  },
  { requiredKeys: [] },
);
const addSpec: fc.Arbitrary<AddSpec> = fc.record({
  entry: fc.nat(POOL.length - 1),
  userData: jsonObject,
  handled: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
});

interface QueueCommandOptions {
  readonly reopen: boolean;
  readonly concurrent: boolean;
}

function queueCommands(options: QueueCommandOptions): fc.Arbitrary<QueueCommand>[] {
  const weighted: fc.WeightedArbitrary<QueueCommand>[] = [
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.array(addSpec, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom<'raw' | 'frontend'>('raw', 'frontend'))
        .map(([specs, forefront, via]) => new AddCommand(specs, forefront, via)),
    },
    { weight: 3, arbitrary: fc.tuple(rawConsumer, fc.integer({ min: 1, max: 3 })).map(([c, limit]) => new LockCommand(c, limit)) },
    { weight: 2, arbitrary: fc.constant(null).map(() => new FetchCommand()) },
    { weight: 3, arbitrary: fc.tuple(anyConsumer, target, change, fc.nat(1000)).map(([c, t, ch, at]) => new HandleCommand(c, t, ch, at)) },
    { weight: 3, arbitrary: fc.tuple(anyConsumer, target, change, fc.boolean()).map(([c, t, ch, f]) => new ReclaimCommand(c, t, ch, f)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(rawConsumer, target, change, fc.boolean(), fc.constantFrom<'keep' | 'set' | 'clear'>('keep', 'set', 'clear'), fc.nat(1000))
        .map(([c, t, ch, f, h, at]) => new UpdateCommand(c, t, ch, f, h, at)),
    },
    { weight: 1, arbitrary: fc.tuple(rawConsumer, target).map(([c, t]) => new DeleteCommand(c, t)) },
    { weight: 2, arbitrary: fc.tuple(rawConsumer, target, fc.boolean()).map(([c, t, f]) => new UnlockCommand(c, t, f)) },
    { weight: 1, arbitrary: fc.tuple(rawConsumer, target, fc.boolean()).map(([c, t, f]) => new ProlongCommand(c, t, f)) },
    { weight: 1, arbitrary: rawConsumer.map((c) => new UnlockAllCommand(c)) },
  ];
  if (options.concurrent) {
    const taker: fc.Arbitrary<Taker> = fc.record({ consumer: anyConsumer, limit: fc.integer({ min: 1, max: 2 }) });
    weighted.push({ weight: 1, arbitrary: fc.array(taker, { minLength: 2, maxLength: 4 }).map((takers) => new ConcurrentTakeCommand(takers)) });
  }
  if (options.reopen) weighted.push({ weight: 1, arbitrary: fc.constant(null).map(() => new ReopenCommand()) });
  return [fc.oneof(...weighted)];
}

/** True when the client can be reopened (persistent, with the suite's `reopenClient`). */
function canReopen(options: ConformanceOptions, capabilities: StorageClientCapabilities): boolean {
  return capabilities.persistent && options.reopenClient !== undefined;
}

/** Runs one sequence of commands on a fresh client, comparing with a fresh model after every step. */
async function runQueueSequence(options: ConformanceOptions, sequence: Iterable<QueueCommand>): Promise<void> {
  const system = await QueueSystem.start(options, 'property-queue');
  try {
    await fc.asyncModelRun(() => ({ model: new QueueModel(options.reopenKeepsRequestLocks ?? true, system.frontend.fetchBatchSize), real: system }), sequence);
  } finally {
    await system.client.dispose();
  }
}

/**
 * The request queue property: random sequences of adds (regular and forefront, raw and through
 * {@link RequestQueue}), takes by several consumers (raw client keys, the anonymous caller, the
 * frontend's fetch), handling, reclaiming, updating, deleting, unlocking and prolonging, and
 * reopens of persistent clients, each compared with {@link QueueModel} after every step.
 */
export function queueProperty(options: ConformanceOptions, capabilities: StorageClientCapabilities): fc.IAsyncProperty<[Iterable<QueueCommand>]> {
  const reopen = canReopen(options, capabilities);
  const commands = queueCommands({ reopen, concurrent: capabilities.strongQueueConsistency });
  return fc.asyncProperty(fc.commands(commands, commandConstraints()), (sequence) => runQueueSequence(options, sequence));
}

/** A fixed sequence that once failed on some client: the shrunk counterexample of a bug that was found. */
export interface QueueRegression {
  readonly name: string;
  readonly needsReopen?: boolean;
  readonly commands: () => QueueCommand[];
}

const p = (n: number): Target => ({ own: false, n });
const held = (n: number): Target => ({ own: true, n });
const add = (entries: readonly number[], options: { forefront?: boolean; handled?: boolean } = {}): AddCommand =>
  new AddCommand(
    entries.map((entry) => ({ entry, userData: { entry }, handled: options.handled ?? false })),
    options.forefront ?? false,
    'raw',
  );

/** The counterexamples the property found, replayed on every client (see the report of issue 9). */
export const QUEUE_REGRESSIONS: readonly QueueRegression[] = [
  {
    // memory, fs: the second markRequestAsHandled was ignored; the cloud client (the API's update) stored it.
    name: 'marking a handled request handled again stores its changes',
    commands: () => [add([4], { handled: true }), new HandleCommand('A', p(4), { userData: { second: true }, retries: 1 }, 1)],
  },
  {
    // cloud: the reclaim (an update without handledAt) made the handled request pending again.
    name: "reclaiming a handled request leaves it handled, though the reclaiming consumer's copy is not",
    commands: () => [add([5], { handled: true }), new ReclaimCommand('A', p(5), { retries: 1 }, false)],
  },
  {
    // cloud: the reclaim updated without forefront, then ended a lock the request did not have: it stayed last.
    name: 'reclaiming a pending request that nobody holds, with forefront, puts it first',
    commands: () => [add([1, 0]), new ReclaimCommand('B', p(0), {}, true)],
  },
  {
    // The contract left it open; memory and fs put the request last, the cloud client left it in place.
    name: 'reclaiming a pending request that nobody holds, without forefront, leaves it where it is',
    commands: () => [add([1, 0, 2]), new ReclaimCommand('A', p(1), { retries: 1 }, false)],
  },
  {
    // fs: the reclaimed request got a new order key on disk though it stayed in place; after the reopen it came last.
    name: 'a request unlocked first, then reclaimed by another consumer, keeps its place after a reopen',
    needsReopen: true,
    commands: () => [add([1, 0]), new LockCommand('B', 2), new UnlockCommand('B', held(0), true), new ReclaimCommand('A', p(1), {}, false), new ReopenCommand()],
  },
  {
    // fs: the unlocked request kept its old order key on disk and came back first after the reopen.
    name: 'a request unlocked without forefront stays last after a reopen',
    needsReopen: true,
    commands: () => [add([0, 1]), new LockCommand('B', 1), new UnlockCommand('B', held(0), false), new ReopenCommand()],
  },
];

/** Defines the regression cases of {@link QUEUE_REGRESSIONS} for one client. */
export function defineQueueRegressions(options: ConformanceOptions, capabilities: StorageClientCapabilities): void {
  const reopen = canReopen(options, capabilities);
  for (const regression of QUEUE_REGRESSIONS) {
    if (regression.needsReopen && !reopen) continue;
    it(regression.name, () => runQueueSequence(options, regression.commands()));
  }
}
