/** What {@link PendingRequestOrder} needs of an entry: a counter it bumps on every placement. */
export interface OrderedEntry {
  /** Bumped each time the entry is placed; a place made before the last one is stale. */
  placement: number;
}

interface Placement<E> {
  readonly entry: E;
  readonly placement: number;
}

/**
 * The order in which pending requests are fetched, for storage clients to build on: forefront
 * placements on a stack (newest first), over a FIFO of regular ones; O(1) per operation. Placing
 * an entry again, or making it not pending, leaves its older place stale; stale places are
 * skipped when reached.
 */
export class PendingRequestOrder<E extends OrderedEntry> {
  readonly #forefront: Placement<E>[] = [];
  #regular: Placement<E>[] = [];
  #regularHead = 0;

  /** @param isPending tells whether an entry may still be fetched. */
  constructor(private readonly isPending: (entry: E) => boolean) {}

  /** Places `entry` last among the regular requests, or first of all with `forefront`. */
  place(entry: E, forefront: boolean): void {
    entry.placement++;
    const placement = { entry, placement: entry.placement };
    if (forefront) this.#forefront.push(placement);
    else this.#regular.push(placement);
  }

  /** Makes every older place of `entry` stale without placing it again. */
  unplace(entry: E): void {
    entry.placement++;
  }

  #isCurrent(placement: Placement<E>): boolean {
    return placement.entry.placement === placement.placement && this.isPending(placement.entry);
  }

  /** Removes and returns the first pending entry, or `undefined`. */
  takeNext(): E | undefined {
    while (this.#forefront.length > 0) {
      const placement = this.#forefront.pop()!;
      if (this.#isCurrent(placement)) return placement.entry;
    }
    while (this.#regularHead < this.#regular.length) {
      const placement = this.#regular[this.#regularHead++]!;
      if (this.#regularHead > 1024 && this.#regularHead * 2 > this.#regular.length) {
        this.#regular = this.#regular.slice(this.#regularHead);
        this.#regularHead = 0;
      }
      if (this.#isCurrent(placement)) return placement.entry;
    }
    return undefined;
  }

  /** Up to `limit` pending entries in fetch order, without removing them. */
  peek(limit: number): E[] {
    const head: E[] = [];
    for (let i = this.#forefront.length - 1; i >= 0 && head.length < limit; i--) {
      const placement = this.#forefront[i]!;
      if (this.#isCurrent(placement)) head.push(placement.entry);
    }
    for (let i = this.#regularHead; i < this.#regular.length && head.length < limit; i++) {
      const placement = this.#regular[i]!;
      if (this.#isCurrent(placement)) head.push(placement.entry);
    }
    return head;
  }

  /** The pending forefront entries, the one fetched first last (Crawlee's `forefrontRequestIds` order). */
  forefrontEntries(): E[] {
    return this.#forefront.filter((placement) => this.#isCurrent(placement)).map((placement) => placement.entry);
  }

  /** Forgets every placement. */
  clear(): void {
    this.#forefront.length = 0;
    this.#regular = [];
    this.#regularHead = 0;
  }
}
