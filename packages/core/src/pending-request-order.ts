/** What {@link PendingRequestOrder} needs of an entry: a counter it bumps on every placement. */
export interface OrderedEntry {
  /** Bumped each time the entry is placed; a place made before the last one is stale. */
  placement: number;
}

/**
 * The order in which pending requests are fetched, for storage clients to build on: forefront
 * placements on a stack (newest first), over a FIFO of regular ones; O(1) per operation. Placing
 * an entry again, or making it not pending, leaves its older place stale; stale places are
 * skipped when reached.
 */
export class PendingRequestOrder<E extends OrderedEntry> {
  // Entries and the placement stamp of each place, side by side: no object per place, which
  // matters with a million requests.
  readonly #forefront: E[] = [];
  readonly #forefrontStamps: number[] = [];
  #regular: E[] = [];
  #regularStamps: number[] = [];
  #regularHead = 0;

  /** @param isPending tells whether an entry may still be fetched. */
  constructor(private readonly isPending: (entry: E) => boolean) {}

  /** Places `entry` last among the regular requests, or first of all with `forefront`. */
  place(entry: E, forefront: boolean): void {
    entry.placement++;
    if (forefront) {
      this.#forefront.push(entry);
      this.#forefrontStamps.push(entry.placement);
    } else {
      this.#regular.push(entry);
      this.#regularStamps.push(entry.placement);
    }
  }

  /** Makes every older place of `entry` stale without placing it again. */
  unplace(entry: E): void {
    entry.placement++;
  }

  #isCurrent(entry: E, stamp: number): boolean {
    return entry.placement === stamp && this.isPending(entry);
  }

  /** Removes and returns the first pending entry, or `undefined`. */
  takeNext(): E | undefined {
    while (this.#forefront.length > 0) {
      const entry = this.#forefront.pop()!;
      if (this.#isCurrent(entry, this.#forefrontStamps.pop()!)) return entry;
    }
    while (this.#regularHead < this.#regular.length) {
      const index = this.#regularHead++;
      const entry = this.#regular[index]!;
      const stamp = this.#regularStamps[index]!;
      if (this.#regularHead > 1024 && this.#regularHead * 2 > this.#regular.length) {
        this.#regular = this.#regular.slice(this.#regularHead);
        this.#regularStamps = this.#regularStamps.slice(this.#regularHead);
        this.#regularHead = 0;
      }
      if (this.#isCurrent(entry, stamp)) return entry;
    }
    return undefined;
  }

  /** Up to `limit` pending entries in fetch order, without removing them. */
  peek(limit: number): E[] {
    const head: E[] = [];
    for (let i = this.#forefront.length - 1; i >= 0 && head.length < limit; i--) {
      const entry = this.#forefront[i]!;
      if (this.#isCurrent(entry, this.#forefrontStamps[i]!)) head.push(entry);
    }
    for (let i = this.#regularHead; i < this.#regular.length && head.length < limit; i++) {
      const entry = this.#regular[i]!;
      if (this.#isCurrent(entry, this.#regularStamps[i]!)) head.push(entry);
    }
    return head;
  }

  /** The pending forefront entries, the one fetched first last (Crawlee's `forefrontRequestIds` order). */
  forefrontEntries(): E[] {
    return this.#forefront.filter((entry, i) => this.#isCurrent(entry, this.#forefrontStamps[i]!));
  }

  /** Forgets every placement. */
  clear(): void {
    this.#forefront.length = 0;
    this.#forefrontStamps.length = 0;
    this.#regular = [];
    this.#regularStamps = [];
    this.#regularHead = 0;
  }
}
