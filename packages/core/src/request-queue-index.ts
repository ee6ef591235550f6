/** The state of a request in a queue. */
export type RequestState = 'pending' | 'in-progress' | 'handled';

const PENDING = 0;
const IN_PROGRESS = 1;
const HANDLED = 2;
/** A request deleted from the queue: its slot is never used again. */
const REMOVED = 3;
const STATE_NAMES: readonly RequestState[] = ['pending', 'in-progress', 'handled'];

type PackedArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** `array`, or a copy 1.5 times as long (at least `needed`) when it is shorter than `needed`. */
function withRoom<T extends PackedArray>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const larger = new (array.constructor as new (length: number) => T)(Math.max(needed, Math.ceil(array.length * 1.5), 64));
  larger.set(array);
  return larger;
}

/** Code units of one id on their way to a string (see {@link RequestQueueIndex.idOf}). */
const scratchUnits: number[] = [];
/** Code units given to one `String.fromCharCode` call at the most. */
const MAX_UNITS_PER_CALL = 8192;

/** FNV-1a over the UTF-16 code units of `id`. */
function hashOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Adds `delta` at position `at` (0-based) of the Fenwick tree `tree` (1-based inside). */
function treeAdd(tree: Int32Array, at: number, delta: number): void {
  for (let i = at + 1; i < tree.length; i += i & -i) tree[i]! += delta;
}

/** The sum of the positions before `end` (0-based, exclusive) in the Fenwick tree `tree`. */
function treePrefix(tree: Int32Array, end: number): number {
  let sum = 0;
  for (let i = end; i > 0; i -= i & -i) sum += tree[i]!;
  return sum;
}

/** The 0-based position of the `rank`-th counted entry (1-based) of the Fenwick tree `tree`; `rank` must not exceed the total. */
function treeFind(tree: Int32Array, rank: number): number {
  let at = 0;
  let step = 1;
  while (step * 2 < tree.length) step *= 2;
  for (; step > 0; step >>= 1) {
    const next = at + step;
    if (next < tree.length && tree[next]! < rank) {
      at = next;
      rank -= tree[next]!;
    }
  }
  return at;
}

/**
 * Places in the fetch order: slots with the placement stamp each had when placed, side by side
 * in typed arrays, read from `head` on. A place whose stamp is no longer its slot's is stale.
 */
class Places {
  slots = new Int32Array(64);
  stamps = new Uint32Array(64);
  head = 0;
  end = 0;

  push(slot: number, stamp: number): void {
    if (this.end === this.slots.length && this.head > 0) {
      // Reuse the room before the head before growing.
      this.slots.copyWithin(0, this.head, this.end);
      this.stamps.copyWithin(0, this.head, this.end);
      this.end -= this.head;
      this.head = 0;
    }
    this.slots = withRoom(this.slots, this.end + 1);
    this.stamps = withRoom(this.stamps, this.end + 1);
    this.slots[this.end] = slot;
    this.stamps[this.end] = stamp;
    this.end++;
  }

  clear(): void {
    this.slots = new Int32Array(64);
    this.stamps = new Uint32Array(64);
    this.head = 0;
    this.end = 0;
  }
}

/**
 * The order in which a client places a batch of requests added together, as indexes into the
 * batch: regular requests in their order; forefront ones so that the batch keeps its order at the
 * front (its first request is fetched first, before every earlier forefront request), which means
 * placing them last to first. A request whose id came earlier in the batch comes after all the
 * others, so the first of equal requests is the one added.
 */
export function placementOrder(requests: readonly { readonly id: string }[], forefront: boolean): number[] {
  const indexes = requests.map((_, at) => at);
  if (!forefront || requests.length < 2) return indexes;
  const seen = new Set<string>();
  const firsts: number[] = [];
  const repeats: number[] = [];
  for (const at of indexes) {
    const { id } = requests[at]!;
    if (seen.has(id)) repeats.push(at);
    else {
      seen.add(id);
      firsts.push(at);
    }
  }
  return [...firsts.reverse(), ...repeats];
}

/** A page of {@link RequestQueueIndex.page}: slots in id order, and the id to continue after. */
export interface RequestSlotsPage {
  readonly slots: number[];
  readonly nextExclusiveStartId?: string;
}

/**
 * The index of a request queue, for storage clients to build on: every request's id, state and
 * order key, and the order in which pending requests are fetched (forefront placements on a stack,
 * newest first, over a FIFO of regular ones; O(1) per operation).
 *
 * Each request has a slot number. Everything about a slot lives in typed arrays, and the ids are
 * kept as UTF-16 code units in one array with an open-addressing hash table over them, so a queue
 * of a million requests costs about 70 bytes a request, outside the JavaScript heap: the garbage
 * collector neither scans it nor grows the heap for it.
 *
 * Placing a request again, or making it not pending, leaves its older place stale; stale places
 * are skipped when reached.
 */
export class RequestQueueIndex {
  // Per slot.
  #states = new Uint8Array(64);
  #orderNos = new Float64Array(64);
  #placements = new Uint32Array(64);
  #idStarts = new Uint32Array(64);
  #idLengths = new Uint32Array(64);
  #slotCount = 0;
  // The ids, end to end.
  #idUnits = new Uint16Array(1024);
  #idUnitCount = 0;
  // Open addressing with linear probing: slot + 1, 0 for empty, -1 for a removed entry.
  #table = new Int32Array(128);
  #tableUsed = 0;

  readonly #forefront = new Places();
  readonly #regular = new Places();
  #counts = [0, 0, 0];
  /**
   * Slots sorted by id, for {@link page}; dropped when a request is removed, and merged with the
   * slots added since ({@link #sortedSlots}) when a page is asked for.
   */
  #sorted: Int32Array | undefined;
  /** Slots below this one are in {@link #sorted}. */
  #sortedBelow = 0;
  /** The position of each slot in {@link #sorted} (of the slots below {@link #sortedBelow}). */
  #positions = new Int32Array(0);
  /**
   * Per state (pending, handled), a Fenwick tree over the positions of {@link #sorted} counting the
   * requests in that state: the k-th such request in id order is found in O(log n). Built at the
   * first page of that state, kept up to date at each change of state, dropped with `#sorted`.
   */
  #stateTrees: (Int32Array | undefined)[] = [undefined, undefined, undefined];

  /** Requests in the queue, in any state. */
  get size(): number {
    return this.#counts[PENDING]! + this.#counts[IN_PROGRESS]! + this.#counts[HANDLED]!;
  }

  get pendingCount(): number {
    return this.#counts[PENDING]!;
  }

  get inProgressCount(): number {
    return this.#counts[IN_PROGRESS]!;
  }

  get handledCount(): number {
    return this.#counts[HANDLED]!;
  }

  #idEquals(slot: number, id: string): boolean {
    const length = this.#idLengths[slot]!;
    if (length !== id.length) return false;
    const start = this.#idStarts[slot]!;
    const units = this.#idUnits;
    for (let i = 0; i < length; i++) if (units[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** The slot of the request `id`, or -1 when the queue does not have it. */
  find(id: string): number {
    const table = this.#table;
    const mask = table.length - 1;
    for (let at = hashOf(id) & mask; ; at = (at + 1) & mask) {
      const value = table[at]!;
      if (value === 0) return -1;
      if (value > 0 && this.#idEquals(value - 1, id)) return value - 1;
    }
  }

  /** The id of the request in `slot`. */
  idOf(slot: number): string {
    const start = this.#idStarts[slot]!;
    const length = this.#idLengths[slot]!;
    const units = this.#idUnits;
    if (length > MAX_UNITS_PER_CALL) {
      // In pieces: one call with every code unit as an argument would overflow the stack.
      let id = '';
      for (let at = start; at < start + length; at += MAX_UNITS_PER_CALL) {
        id += String.fromCharCode.apply(null, Array.from(units.subarray(at, Math.min(at + MAX_UNITS_PER_CALL, start + length))));
      }
      return id;
    }
    // Copied into a plain array first: faster than applying a typed subarray.
    scratchUnits.length = length;
    for (let i = 0; i < length; i++) scratchUnits[i] = units[start + i]!;
    return String.fromCharCode.apply(null, scratchUnits);
  }

  /** The state of the request in `slot`. */
  stateOf(slot: number): RequestState {
    return STATE_NAMES[this.#states[slot]!]!;
  }

  /** The order key last given to the request in `slot` (`null` once handled). */
  orderNoOf(slot: number): number | null {
    return this.#states[slot] === HANDLED ? null : this.#orderNos[slot]!;
  }

  /** {@link hashOf} the id in `slot`, read from the code units. */
  #hashOfSlot(slot: number): number {
    const start = this.#idStarts[slot]!;
    const end = start + this.#idLengths[slot]!;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ this.#idUnits[i]!, 0x01000193);
    return hash >>> 0;
  }

  #rebuildTable(capacity: number): void {
    const table = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let slot = 0; slot < this.#slotCount; slot++) {
      if (this.#states[slot] === REMOVED) continue;
      let at = this.#hashOfSlot(slot) & mask;
      while (table[at] !== 0) at = (at + 1) & mask;
      table[at] = slot + 1;
    }
    this.#table = table;
    this.#tableUsed = this.size;
  }

  /** Stores a new request (its id must not be in the queue) and gives its slot; it is not placed. */
  #insert(id: string, state: number, orderNo: number): number {
    if ((this.#tableUsed + 1) * 2 > this.#table.length) {
      // Half full at most; removed entries are dropped when the table is rebuilt.
      let capacity = this.#table.length;
      while ((this.size + 1) * 2 > capacity) capacity *= 2;
      if ((this.size + 1) * 4 > capacity) capacity *= 2;
      this.#rebuildTable(capacity);
    }
    const slot = this.#slotCount++;
    this.#states = withRoom(this.#states, slot + 1);
    this.#orderNos = withRoom(this.#orderNos, slot + 1);
    this.#placements = withRoom(this.#placements, slot + 1);
    this.#idStarts = withRoom(this.#idStarts, slot + 1);
    this.#idLengths = withRoom(this.#idLengths, slot + 1);
    this.#idUnits = withRoom(this.#idUnits, this.#idUnitCount + id.length);
    for (let i = 0; i < id.length; i++) this.#idUnits[this.#idUnitCount + i] = id.charCodeAt(i);
    this.#idStarts[slot] = this.#idUnitCount;
    this.#idLengths[slot] = id.length;
    this.#idUnitCount += id.length;
    this.#states[slot] = state;
    this.#orderNos[slot] = orderNo;
    this.#counts[state]!++;
    const mask = this.#table.length - 1;
    let at = hashOf(id) & mask;
    while (this.#table[at]! > 0) at = (at + 1) & mask;
    if (this.#table[at] === 0) this.#tableUsed++;
    this.#table[at] = slot + 1;
    return slot;
  }

  /**
   * Adds the request `id`, which the queue must not have yet: handled, or pending and placed last
   * among the regular requests (first of all with `forefront`). Gives its slot.
   */
  add(id: string, { handled, forefront, orderNo }: { handled: boolean; forefront: boolean; orderNo: number }): number {
    const slot = this.#insert(id, handled ? HANDLED : PENDING, orderNo);
    if (!handled) this.#place(slot, forefront);
    return slot;
  }

  /**
   * Adds a request read back from storage, with its order key (`null`: handled), without placing
   * it: {@link placeRestored} places them all once they are read. A request restored again (a
   * later record of it) takes the later state and key. Gives its slot.
   */
  restore(id: string, orderNo: number | null): number {
    const state = orderNo === null ? HANDLED : PENDING;
    const slot = this.find(id);
    if (slot === -1) return this.#insert(id, state, orderNo ?? 0);
    this.#setState(slot, state);
    this.#orderNos[slot] = orderNo ?? 0;
    return slot;
  }

  /**
   * Places the pending requests given to {@link restore} by their order keys, as Crawlee orders
   * them: negative keys are forefront requests, the most negative fetched first; the others are
   * fetched in ascending order after them.
   */
  placeRestored(): void {
    const isWaiting = (slot: number): boolean => this.#states[slot] === PENDING && this.#placements[slot] === 0;
    let waiting = 0;
    for (let slot = 0; slot < this.#slotCount; slot++) if (isWaiting(slot)) waiting++;
    const slots = new Int32Array(waiting);
    for (let slot = 0, n = 0; slot < this.#slotCount; slot++) if (isWaiting(slot)) slots[n++] = slot;
    const orderNos = this.#orderNos;
    slots.sort((a, b) => orderNos[a]! - orderNos[b]!);
    // The most negative key is fetched first, so it goes on the stack last.
    for (let i = slots.length - 1; i >= 0; i--) if (orderNos[slots[i]!]! < 0) this.#place(slots[i]!, true);
    for (const slot of slots) if (orderNos[slot]! >= 0) this.#place(slot, false);
  }

  #place(slot: number, forefront: boolean): void {
    const stamp = (this.#placements[slot]! + 1) >>> 0 || 1;
    this.#placements[slot] = stamp;
    (forefront ? this.#forefront : this.#regular).push(slot, stamp);
  }

  #setState(slot: number, state: number): void {
    const before = this.#states[slot]!;
    this.#counts[before]!--;
    this.#counts[state]!++;
    this.#states[slot] = state;
    if (before !== state && this.#sorted && slot < this.#sortedBelow) {
      const position = this.#positions[slot]!;
      const left = this.#stateTrees[before];
      if (left) treeAdd(left, position, -1);
      const entered = this.#stateTrees[state];
      if (entered) treeAdd(entered, position, 1);
    }
  }

  /**
   * Makes the request in `slot` pending (from any state) with the order key `orderNo`, and places
   * it last among the regular requests, or first of all with `forefront`.
   */
  makePending(slot: number, forefront: boolean, orderNo: number): void {
    this.#setState(slot, PENDING);
    this.#orderNos[slot] = orderNo;
    this.#place(slot, forefront);
  }

  /** Marks the request in `slot` handled; its places in the order go stale. */
  markHandled(slot: number): void {
    this.#setState(slot, HANDLED);
  }

  /** Removes the request in `slot` from the queue. */
  remove(slot: number): void {
    if (this.#states[slot] === REMOVED) return;
    const table = this.#table;
    const mask = table.length - 1;
    let at = this.#hashOfSlot(slot) & mask;
    while (table[at] !== slot + 1) at = (at + 1) & mask;
    table[at] = -1;
    this.#counts[this.#states[slot]!]!--;
    this.#states[slot] = REMOVED;
    this.#dropSorted();
  }

  #dropSorted(): void {
    this.#sorted = undefined;
    this.#sortedBelow = 0;
    this.#positions = new Int32Array(0);
    this.#stateTrees = [undefined, undefined, undefined];
  }

  #isCurrent(slot: number, stamp: number): boolean {
    return this.#placements[slot] === stamp && this.#states[slot] === PENDING;
  }

  /** Takes the first pending request out of the order, marks it in progress and gives its slot; -1 when none is pending. */
  takeNext(): number {
    const forefront = this.#forefront;
    while (forefront.end > 0) {
      forefront.end--;
      const slot = forefront.slots[forefront.end]!;
      if (this.#isCurrent(slot, forefront.stamps[forefront.end]!)) {
        this.#setState(slot, IN_PROGRESS);
        return slot;
      }
    }
    const regular = this.#regular;
    while (regular.head < regular.end) {
      const slot = regular.slots[regular.head]!;
      const stamp = regular.stamps[regular.head]!;
      regular.head++;
      if (this.#isCurrent(slot, stamp)) {
        this.#setState(slot, IN_PROGRESS);
        return slot;
      }
    }
    return -1;
  }

  /** Up to `limit` pending slots in fetch order, without taking them. */
  peek(limit: number): number[] {
    const head: number[] = [];
    const forefront = this.#forefront;
    for (let i = forefront.end - 1; i >= 0 && head.length < limit; i--) {
      if (this.#isCurrent(forefront.slots[i]!, forefront.stamps[i]!)) head.push(forefront.slots[i]!);
    }
    const regular = this.#regular;
    for (let i = regular.head; i < regular.end && head.length < limit; i++) {
      if (this.#isCurrent(regular.slots[i]!, regular.stamps[i]!)) head.push(regular.slots[i]!);
    }
    return head;
  }

  /** The pending forefront slots, the one fetched first last (Crawlee's `forefrontRequestIds` order). */
  forefrontSlots(): number[] {
    const slots: number[] = [];
    const forefront = this.#forefront;
    for (let i = 0; i < forefront.end; i++) {
      if (this.#isCurrent(forefront.slots[i]!, forefront.stamps[i]!)) slots.push(forefront.slots[i]!);
    }
    return slots;
  }

  /** Compares the id in `slot` with `id` as strings compare (by UTF-16 code units). */
  #compareId(slot: number, id: string): number {
    const start = this.#idStarts[slot]!;
    const length = this.#idLengths[slot]!;
    const units = this.#idUnits;
    const common = Math.min(length, id.length);
    for (let i = 0; i < common; i++) {
      const difference = units[start + i]! - id.charCodeAt(i);
      if (difference !== 0) return difference;
    }
    return length - id.length;
  }

  #compareSlots(a: number, b: number): number {
    const units = this.#idUnits;
    const startA = this.#idStarts[a]!;
    const startB = this.#idStarts[b]!;
    const lengthA = this.#idLengths[a]!;
    const lengthB = this.#idLengths[b]!;
    const common = Math.min(lengthA, lengthB);
    for (let i = 0; i < common; i++) {
      const difference = units[startA + i]! - units[startB + i]!;
      if (difference !== 0) return difference;
    }
    return lengthA - lengthB;
  }

  /**
   * Every slot sorted by id. Slots added since the last call are sorted on their own and merged in
   * (O(n) typed-array work, no string is made), so a queue that grows while it is paged is not
   * sorted again from scratch.
   */
  #sortedSlots(): Int32Array {
    const sorted = this.#sorted;
    if (sorted && this.#sortedBelow === this.#slotCount) return sorted;
    const from = sorted ? this.#sortedBelow : 0;
    let added = 0;
    for (let slot = from; slot < this.#slotCount; slot++) if (this.#states[slot] !== REMOVED) added++;
    const fresh = new Int32Array(added);
    for (let slot = from, n = 0; slot < this.#slotCount; slot++) if (this.#states[slot] !== REMOVED) fresh[n++] = slot;
    fresh.sort((a, b) => this.#compareSlots(a, b));
    let merged = fresh;
    if (sorted && sorted.length > 0) {
      merged = new Int32Array(sorted.length + fresh.length);
      let a = 0;
      let b = 0;
      let n = 0;
      while (a < sorted.length && b < fresh.length) merged[n++] = this.#compareSlots(sorted[a]!, fresh[b]!) <= 0 ? sorted[a++]! : fresh[b++]!;
      while (a < sorted.length) merged[n++] = sorted[a++]!;
      while (b < fresh.length) merged[n++] = fresh[b++]!;
    }
    const positions = new Int32Array(this.#slotCount);
    for (let at = 0; at < merged.length; at++) positions[merged[at]!] = at;
    this.#sorted = merged;
    this.#sortedBelow = this.#slotCount;
    this.#positions = positions;
    this.#stateTrees = [undefined, undefined, undefined];
    return merged;
  }

  /** The position in `sorted` of the first id greater than `exclusiveStartId` (0 without it). */
  #startAfter(sorted: Int32Array, exclusiveStartId: string | undefined): number {
    let start = 0;
    if (exclusiveStartId !== undefined) {
      let high = sorted.length;
      while (start < high) {
        const middle = (start + high) >>> 1;
        if (this.#compareId(sorted[middle]!, exclusiveStartId) <= 0) start = middle + 1;
        else high = middle;
      }
    }
    return start;
  }

  /** Up to `limit` slots in id order, starting after the id `exclusiveStartId` (from the first without it). */
  page(limit: number, exclusiveStartId?: string): RequestSlotsPage {
    const sorted = this.#sortedSlots();
    const start = this.#startAfter(sorted, exclusiveStartId);
    const slots = Array.from(sorted.subarray(start, start + limit));
    const last = slots.at(-1);
    return start + limit < sorted.length && last !== undefined ? { slots, nextExclusiveStartId: this.idOf(last) } : { slots };
  }

  /**
   * Up to `limit` slots of the requests in `state` (`pending` or `handled`) in id order, starting
   * after the id `exclusiveStartId`: O(limit · log n) once the queue is sorted, however many
   * requests of other states lie in between.
   */
  pageInState(state: 'pending' | 'handled', limit: number, exclusiveStartId?: string): RequestSlotsPage {
    const code = state === 'pending' ? PENDING : HANDLED;
    const sorted = this.#sortedSlots();
    let tree = this.#stateTrees[code];
    if (!tree) {
      tree = new Int32Array(sorted.length + 1);
      for (let at = 0; at < sorted.length; at++) if (this.#states[sorted[at]!] === code) tree[at + 1] = 1;
      for (let i = 1; i <= sorted.length; i++) {
        const parent = i + (i & -i);
        if (parent <= sorted.length) tree[parent]! += tree[i]!;
      }
      this.#stateTrees[code] = tree;
    }
    const start = this.#startAfter(sorted, exclusiveStartId);
    const total = this.#counts[code]!;
    const slots: number[] = [];
    // The requests in the state before `start`; the next one is the (before + 1)-th.
    let rank = treePrefix(tree, start) + 1;
    for (; rank <= total && slots.length < limit; rank++) slots.push(sorted[treeFind(tree, rank)]!);
    const last = slots.at(-1);
    return rank <= total && last !== undefined ? { slots, nextExclusiveStartId: this.idOf(last) } : { slots };
  }

  /** Compares the ids of two slots as strings compare (by UTF-16 code units). */
  compareSlotIds(a: number, b: number): number {
    return this.#compareSlots(a, b);
  }

  /** Compares the id of `slot` with `id` as strings compare (by UTF-16 code units). */
  compareSlotId(slot: number, id: string): number {
    return this.#compareId(slot, id);
  }

  /** Calls `visit` with the id and order key (`null`: handled) of every request, in the order they were added. */
  forEach(visit: (id: string, orderNo: number | null) => void): void {
    for (let slot = 0; slot < this.#slotCount; slot++) {
      if (this.#states[slot] !== REMOVED) visit(this.idOf(slot), this.orderNoOf(slot));
    }
  }

  /** Forgets every request. */
  clear(): void {
    this.#states = new Uint8Array(64);
    this.#orderNos = new Float64Array(64);
    this.#placements = new Uint32Array(64);
    this.#idStarts = new Uint32Array(64);
    this.#idLengths = new Uint32Array(64);
    this.#slotCount = 0;
    this.#idUnits = new Uint16Array(1024);
    this.#idUnitCount = 0;
    this.#table = new Int32Array(128);
    this.#tableUsed = 0;
    this.#forefront.clear();
    this.#regular.clear();
    this.#counts = [0, 0, 0];
    this.#dropSorted();
  }
}
