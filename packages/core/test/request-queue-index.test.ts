import { describe, expect, it } from 'vitest';
import { RequestQueueIndex, type RequestState } from '../src/index.js';

/** A small seeded PRNG, so that the randomized tests are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Crawlee-like request id: 15 base62 characters. */
function base62Id(random: () => number): string {
  let id = '';
  for (let i = 0; i < 15; i++) id += BASE62[Math.floor(random() * 62)];
  return id;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const regular = (orderNo = 0) => ({ handled: false, forefront: false, orderNo });
const forefront = (orderNo = 0) => ({ handled: false, forefront: true, orderNo });
const handled = (orderNo = 0) => ({ handled: true, forefront: false, orderNo });

/** Takes every pending request, giving their ids in the order taken. */
function drain(index: RequestQueueIndex): string[] {
  const taken: string[] = [];
  for (let slot = index.takeNext(); slot !== -1; slot = index.takeNext()) taken.push(index.idOf(slot));
  return taken;
}

function idsOf(index: RequestQueueIndex, slots: readonly number[]): string[] {
  return slots.map((slot) => index.idOf(slot));
}

function countsOf(index: RequestQueueIndex): { size: number; pending: number; inProgress: number; handled: number } {
  return { size: index.size, pending: index.pendingCount, inProgress: index.inProgressCount, handled: index.handledCount };
}

/** Every id the index pages through, page by page, checking the pages' continuation ids. */
function pageThrough(index: RequestQueueIndex, limit: number): string[][] {
  const pages: string[][] = [];
  let start: string | undefined;
  for (;;) {
    const page = index.page(limit, start);
    const ids = idsOf(index, page.slots);
    pages.push(ids);
    if (page.nextExclusiveStartId === undefined) return pages;
    expect(ids.length).toBe(limit);
    expect(page.nextExclusiveStartId).toBe(ids.at(-1));
    start = page.nextExclusiveStartId;
    if (pages.length > 1_000_000) throw new Error('paging does not end');
  }
}

describe('RequestQueueIndex: ids, states and counts', () => {
  it('is empty when new', () => {
    const index = new RequestQueueIndex();
    expect(countsOf(index)).toEqual({ size: 0, pending: 0, inProgress: 0, handled: 0 });
    expect(index.find('a')).toBe(-1);
    expect(index.find('')).toBe(-1);
    expect(index.takeNext()).toBe(-1);
    expect(index.peek(10)).toEqual([]);
    expect(index.forefrontSlots()).toEqual([]);
    expect(index.page(10)).toEqual({ slots: [] });
  });

  it('round-trips add / find / idOf / stateOf / orderNoOf', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular(10));
    const b = index.add('b', forefront(-20));
    const c = index.add('c', handled(30));
    expect(new Set([a, b, c]).size).toBe(3);

    expect(index.find('a')).toBe(a);
    expect(index.find('b')).toBe(b);
    expect(index.find('c')).toBe(c);
    expect(index.idOf(a)).toBe('a');
    expect(index.idOf(b)).toBe('b');
    expect(index.idOf(c)).toBe('c');
    expect(index.stateOf(a)).toBe('pending');
    expect(index.stateOf(b)).toBe('pending');
    expect(index.stateOf(c)).toBe('handled');
    expect(index.orderNoOf(a)).toBe(10);
    expect(index.orderNoOf(b)).toBe(-20);
    expect(index.orderNoOf(c)).toBeNull();

    expect(index.find('d')).toBe(-1);
    expect(index.find('A')).toBe(-1);
    expect(index.find('aa')).toBe(-1);
    expect(index.find('')).toBe(-1);
  });

  it('keeps fractional and very large order keys exactly', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular(1_700_000_000_123.5));
    const b = index.add('b', forefront(-1_700_000_000_456.25));
    const c = index.add('c', regular(0));
    expect(index.orderNoOf(a)).toBe(1_700_000_000_123.5);
    expect(index.orderNoOf(b)).toBe(-1_700_000_000_456.25);
    expect(index.orderNoOf(c)).toBe(0);
  });

  it('keeps the counts right through every kind of change', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular(1));
    expect(countsOf(index)).toEqual({ size: 1, pending: 1, inProgress: 0, handled: 0 });
    const b = index.add('b', forefront(-2));
    expect(countsOf(index)).toEqual({ size: 2, pending: 2, inProgress: 0, handled: 0 });
    const c = index.add('c', handled(3));
    expect(countsOf(index)).toEqual({ size: 3, pending: 2, inProgress: 0, handled: 1 });

    expect(index.takeNext()).toBe(b);
    expect(index.stateOf(b)).toBe('in-progress');
    expect(index.orderNoOf(b)).toBe(-2);
    expect(countsOf(index)).toEqual({ size: 3, pending: 1, inProgress: 1, handled: 1 });

    index.markHandled(b);
    expect(index.stateOf(b)).toBe('handled');
    expect(index.orderNoOf(b)).toBeNull();
    expect(countsOf(index)).toEqual({ size: 3, pending: 1, inProgress: 0, handled: 2 });

    // Back to pending from handled.
    index.makePending(c, false, 4);
    expect(index.stateOf(c)).toBe('pending');
    expect(index.orderNoOf(c)).toBe(4);
    expect(countsOf(index)).toEqual({ size: 3, pending: 2, inProgress: 0, handled: 1 });

    // Re-placing a pending request changes no count.
    index.makePending(a, true, -5);
    expect(index.orderNoOf(a)).toBe(-5);
    expect(countsOf(index)).toEqual({ size: 3, pending: 2, inProgress: 0, handled: 1 });

    // Reclaiming an in-progress request.
    expect(index.takeNext()).toBe(a);
    expect(countsOf(index)).toEqual({ size: 3, pending: 1, inProgress: 1, handled: 1 });
    index.makePending(a, false, 6);
    expect(countsOf(index)).toEqual({ size: 3, pending: 2, inProgress: 0, handled: 1 });

    // Marking a pending request handled.
    index.markHandled(c);
    expect(countsOf(index)).toEqual({ size: 3, pending: 1, inProgress: 0, handled: 2 });

    // Removing in each state.
    expect(index.takeNext()).toBe(a);
    index.remove(a);
    expect(countsOf(index)).toEqual({ size: 2, pending: 0, inProgress: 0, handled: 2 });
    index.remove(b);
    expect(countsOf(index)).toEqual({ size: 1, pending: 0, inProgress: 0, handled: 1 });
    const d = index.add('d', regular(7));
    expect(countsOf(index)).toEqual({ size: 2, pending: 1, inProgress: 0, handled: 1 });
    index.remove(d);
    expect(countsOf(index)).toEqual({ size: 1, pending: 0, inProgress: 0, handled: 1 });
    index.remove(c);
    expect(countsOf(index)).toEqual({ size: 0, pending: 0, inProgress: 0, handled: 0 });
  });
});

describe('RequestQueueIndex: fetch order', () => {
  it('serves regular requests first in, first out', () => {
    const index = new RequestQueueIndex();
    for (const id of ['a', 'b', 'c', 'd']) index.add(id, regular());
    expect(drain(index)).toEqual(['a', 'b', 'c', 'd']);
    expect(index.takeNext()).toBe(-1);
  });

  it('serves forefront requests newest first, before the regular ones', () => {
    const index = new RequestQueueIndex();
    index.add('r1', regular());
    index.add('f1', forefront());
    index.add('r2', regular());
    index.add('f2', forefront());
    index.add('h', handled());
    index.add('f3', forefront());
    expect(drain(index)).toEqual(['f3', 'f2', 'f1', 'r1', 'r2']);
  });

  it('serves a forefront request added after others were taken before the remaining ones', () => {
    const index = new RequestQueueIndex();
    index.add('r1', regular());
    index.add('r2', regular());
    expect(index.idOf(index.takeNext())).toBe('r1');
    index.add('f1', forefront());
    index.add('r3', regular());
    expect(drain(index)).toEqual(['f1', 'r2', 'r3']);
  });

  it('marks the request it takes in progress and gives -1 once nothing is pending', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    const b = index.add('b', forefront());
    index.add('c', handled());
    expect(index.takeNext()).toBe(b);
    expect(index.stateOf(b)).toBe('in-progress');
    expect(index.takeNext()).toBe(a);
    expect(index.stateOf(a)).toBe('in-progress');
    expect(index.takeNext()).toBe(-1);
    expect(index.takeNext()).toBe(-1);
    expect(countsOf(index)).toEqual({ size: 3, pending: 0, inProgress: 2, handled: 1 });
  });

  it('reclaims a request to the back of the queue', () => {
    const index = new RequestQueueIndex();
    for (const id of ['a', 'b', 'c']) index.add(id, regular());
    const a = index.takeNext();
    expect(index.idOf(a)).toBe('a');
    index.makePending(a, false, 99);
    expect(index.stateOf(a)).toBe('pending');
    expect(drain(index)).toEqual(['b', 'c', 'a']);
  });

  it('reclaims a request to the front of the queue', () => {
    const index = new RequestQueueIndex();
    for (const id of ['a', 'b', 'c']) index.add(id, regular());
    index.takeNext();
    const b = index.takeNext();
    expect(index.idOf(b)).toBe('b');
    index.makePending(b, true, -1);
    expect(drain(index)).toEqual(['b', 'c']);
  });

  it('serves a request re-placed while pending once, at its newest place', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    const b = index.add('b', regular());
    index.add('c', regular());
    index.makePending(b, true, -1);
    expect(index.peek(10).map((slot) => index.idOf(slot))).toEqual(['b', 'a', 'c']);
    // Moved to the back, twice: only the last place counts.
    index.makePending(a, false, 5);
    index.makePending(a, false, 6);
    expect(index.peek(10).map((slot) => index.idOf(slot))).toEqual(['b', 'c', 'a']);
    expect(drain(index)).toEqual(['b', 'c', 'a']);
    expect(index.takeNext()).toBe(-1);
  });

  it('serves a request placed on the forefront several times once, at its newest place', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', forefront());
    const b = index.add('b', forefront());
    index.add('c', regular());
    // Stack (bottom to top): a, b, a again; then b again on top.
    index.makePending(a, true, -3);
    expect(drain(index)).toEqual(['a', 'b', 'c']);

    index.makePending(a, true, -4);
    index.makePending(b, true, -5);
    index.makePending(a, true, -6);
    index.makePending(b, false, 7);
    expect(index.forefrontSlots()).toEqual([a]);
    expect(drain(index)).toEqual(['a', 'b']);
    expect(index.takeNext()).toBe(-1);
  });

  it('does not serve a request taken and reclaimed by its stale forefront place', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', forefront());
    index.add('b', forefront());
    index.add('c', regular());
    // Take b (top), then reclaim it to the back: its forefront place is gone already.
    const b = index.takeNext();
    expect(index.idOf(b)).toBe('b');
    index.makePending(b, false, 9);
    // a's place is below; move a to the back too: its forefront place is stale.
    index.makePending(a, false, 10);
    expect(index.forefrontSlots()).toEqual([]);
    expect(drain(index)).toEqual(['c', 'b', 'a']);
  });

  it('skips the places of handled requests', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    index.add('b', regular());
    const c = index.add('c', forefront());
    index.add('d', forefront());
    index.markHandled(a);
    index.markHandled(c);
    expect(index.stateOf(a)).toBe('handled');
    expect(index.peek(10).map((slot) => index.idOf(slot))).toEqual(['d', 'b']);
    expect(index.forefrontSlots().map((slot) => index.idOf(slot))).toEqual(['d']);
    expect(drain(index)).toEqual(['d', 'b']);
    expect(index.stateOf(a)).toBe('handled');
    expect(index.stateOf(c)).toBe('handled');
    expect(countsOf(index)).toEqual({ size: 4, pending: 0, inProgress: 2, handled: 2 });
  });

  it('serves a handled request made pending again at its new place only', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    index.add('b', regular());
    index.markHandled(a);
    index.add('c', regular());
    index.makePending(a, false, 3);
    expect(drain(index)).toEqual(['b', 'c', 'a']);
  });

  it('peeks the order takeNext then gives, without taking', () => {
    const index = new RequestQueueIndex();
    const random = mulberry32(7);
    const slots: number[] = [];
    for (let i = 0; i < 200; i++) {
      const roll = random();
      slots.push(index.add(`p${i}`, roll < 0.3 ? forefront(-i) : roll < 0.4 ? handled(i) : regular(i)));
    }
    for (let i = 0; i < 60; i++) {
      const slot = slots[Math.floor(random() * slots.length)]!;
      const roll = random();
      if (roll < 0.3) index.makePending(slot, true, -1000 - i);
      else if (roll < 0.6) index.makePending(slot, false, 1000 + i);
      else if (roll < 0.8) index.markHandled(slot);
      else if (index.stateOf(slot) === 'pending') index.takeNext();
    }
    const pendingBefore = index.pendingCount;
    const all = index.peek(Number.MAX_SAFE_INTEGER);
    expect(all.length).toBe(pendingBefore);
    expect(new Set(all).size).toBe(all.length);
    for (const slot of all) expect(index.stateOf(slot)).toBe('pending');
    expect(index.peek(0)).toEqual([]);
    expect(index.peek(1)).toEqual(all.slice(0, 1));
    expect(index.peek(17)).toEqual(all.slice(0, 17));
    expect(index.peek(all.length + 50)).toEqual(all);
    // Peeking took nothing.
    expect(index.pendingCount).toBe(pendingBefore);
    expect(index.peek(Number.MAX_SAFE_INTEGER)).toEqual(all);

    const taken: number[] = [];
    for (let slot = index.takeNext(); slot !== -1; slot = index.takeNext()) {
      taken.push(slot);
      // What is left is still peeked in the same order.
      if (taken.length % 25 === 0) expect(index.peek(Number.MAX_SAFE_INTEGER)).toEqual(all.slice(taken.length));
    }
    expect(taken).toEqual(all);
    expect(index.peek(10)).toEqual([]);
  });

  it('gives the pending forefront slots with the one fetched first last', () => {
    const index = new RequestQueueIndex();
    const f1 = index.add('f1', forefront(-1));
    const f2 = index.add('f2', forefront(-2));
    const f3 = index.add('f3', forefront(-3));
    const r = index.add('r', regular(1));
    expect(index.forefrontSlots()).toEqual([f1, f2, f3]);
    index.makePending(f1, true, -4);
    expect(index.forefrontSlots()).toEqual([f2, f3, f1]);
    expect(index.peek(10)).toEqual([f1, f3, f2, r]);
    // The forefront slots read from last to first are the fetch order of the forefront.
    expect([...index.forefrontSlots()].reverse()).toEqual(index.peek(3));
    expect(index.takeNext()).toBe(f1);
    expect(index.forefrontSlots()).toEqual([f2, f3]);
    index.markHandled(f3);
    expect(index.forefrontSlots()).toEqual([f2]);
    index.makePending(r, true, -5);
    expect(index.forefrontSlots()).toEqual([f2, r]);
    index.makePending(f2, false, 6);
    expect(index.forefrontSlots()).toEqual([r]);
  });

  it('keeps a long FIFO in order while taking and adding alternately', () => {
    const index = new RequestQueueIndex();
    let next = 0;
    let expected = 0;
    const outOfOrder: string[] = [];
    const take = (): boolean => {
      const slot = index.takeNext();
      if (slot === -1) return false;
      const id = index.idOf(slot);
      if (id !== `q${expected}` && outOfOrder.length < 5) outOfOrder.push(`${id} instead of q${expected}`);
      expected++;
      return true;
    };
    for (let round = 0; round < 5000; round++) {
      for (let i = 0; i < 10; i++) index.add(`q${next++}`, regular(next));
      for (let i = 0; i < 9; i++) take();
    }
    while (take());
    expect(outOfOrder).toEqual([]);
    expect(expected).toBe(next);
    expect(index.inProgressCount).toBe(50_000);
  });

  it('keeps a deep forefront stack in order while taking and adding alternately', () => {
    const index = new RequestQueueIndex();
    const model: string[] = [];
    const outOfOrder: string[] = [];
    for (let round = 0; round < 3000; round++) {
      for (let i = 0; i < 5; i++) {
        const id = `f${round}-${i}`;
        index.add(id, forefront(-round));
        model.push(id);
      }
      for (let i = 0; i < 3; i++) {
        const id = index.idOf(index.takeNext());
        const expected = model.pop();
        if (id !== expected && outOfOrder.length < 5) outOfOrder.push(`${id} instead of ${expected}`);
      }
    }
    expect(outOfOrder).toEqual([]);
    expect(drain(index)).toEqual(model.reverse());
  });
});

describe('RequestQueueIndex: growth and hashing', () => {
  it('finds 100,000 sequential ids and 100,000 Crawlee-like ids with their slots', () => {
    const index = new RequestQueueIndex();
    const random = mulberry32(12345);
    const n = 100_000;
    const sequentialSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) sequentialSlots[i] = index.add(`req-${i}`, regular(i));
    const crawleeIds: string[] = [];
    const crawleeSet = new Set<string>();
    while (crawleeIds.length < n) {
      const id = base62Id(random);
      if (crawleeSet.has(id)) continue;
      crawleeSet.add(id);
      crawleeIds.push(id);
    }
    const crawleeSlots = crawleeIds.map((id, i) => index.add(id, i % 2 === 0 ? forefront(-i) : handled(i)));

    expect(index.size).toBe(2 * n);
    expect(index.pendingCount).toBe(n + n / 2);
    expect(index.handledCount).toBe(n / 2);
    expect(new Set([...sequentialSlots, ...crawleeSlots]).size).toBe(2 * n);

    for (let i = 0; i < n; i++) {
      const slot = index.find(`req-${i}`);
      if (slot !== sequentialSlots[i]) expect(slot).toBe(sequentialSlots[i]);
      if (index.idOf(slot) !== `req-${i}`) expect(index.idOf(slot)).toBe(`req-${i}`);
    }
    for (let i = 0; i < n; i++) {
      const slot = index.find(crawleeIds[i]!);
      if (slot !== crawleeSlots[i]) expect(slot).toBe(crawleeSlots[i]);
      if (index.idOf(slot) !== crawleeIds[i]) expect(index.idOf(slot)).toBe(crawleeIds[i]);
      if (index.orderNoOf(slot) !== (i % 2 === 0 ? -i : null)) expect(index.orderNoOf(slot)).toBe(i % 2 === 0 ? -i : null);
    }
    expect(index.orderNoOf(index.find('req-99999'))).toBe(99_999);

    // Ids that are not in the queue.
    let unknownFound = 0;
    for (let i = n; i < n + 20_000; i++) if (index.find(`req-${i}`) !== -1) unknownFound++;
    for (let i = 0; i < 20_000; i++) {
      const id = base62Id(random);
      if (!crawleeSet.has(id) && index.find(id) !== -1) unknownFound++;
    }
    for (const id of ['req-', 'req', 'req-0 ', ' req-0', 'REQ-0', 'req-00', 'req--1', crawleeIds[0]!.slice(0, 14), `${crawleeIds[0]!}x`]) {
      if (index.find(id) !== -1) unknownFound++;
    }
    expect(unknownFound).toBe(0);
  });

  it('tells apart ids that differ only in the last character', () => {
    const index = new RequestQueueIndex();
    const prefix = 'https://example.com/some/long/path?page=';
    const lastChars = [...BASE62, '-', '_', '~', '\u0000', '\u00ff', '\u0100', '\u017e', '\ud7ff', '\ue000', '\uffff'];
    const slots = new Map<string, number>();
    for (const char of lastChars) slots.set(prefix + char, index.add(prefix + char, regular()));
    slots.set(prefix, index.add(prefix, regular()));
    expect(index.size).toBe(lastChars.length + 1);
    for (const [id, slot] of slots) {
      expect(index.find(id)).toBe(slot);
      expect(index.idOf(slot)).toBe(id);
    }
    expect(index.find(`${prefix}!`)).toBe(-1);
    expect(index.find(`${prefix}00`)).toBe(-1);
    expect(index.find(prefix.slice(0, -1))).toBe(-1);
  });

  it('stores the empty string as an id', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    const empty = index.add('', forefront(-1));
    const b = index.add('b', regular());
    expect(index.find('')).toBe(empty);
    expect(index.idOf(empty)).toBe('');
    expect(index.idOf(a)).toBe('a');
    expect(index.idOf(b)).toBe('b');
    expect(index.orderNoOf(empty)).toBe(-1);
    expect(index.takeNext()).toBe(empty);
    expect(idsOf(index, index.page(10).slots)).toEqual(['', 'a', 'b']);
    expect(idsOf(index, index.page(10, '').slots)).toEqual(['a', 'b']);
    index.remove(empty);
    expect(index.find('')).toBe(-1);
    expect(index.find('a')).toBe(a);
    const again = index.add('', regular());
    expect(index.find('')).toBe(again);
    expect(index.idOf(again)).toBe('');
  });

  it('round-trips ids with non-ASCII characters exactly', () => {
    const index = new RequestQueueIndex();
    const ids = [
      'ž',
      'z',
      'Žluťoučký kůň úpěl ďábelské ódy',
      '😀',
      'a😀b',
      '👨‍👩‍👧‍👦',
      '\ud83d', // a lone high surrogate
      '\ude00', // a lone low surrogate
      '\ude00\ud83d',
      '\u0000',
      '\u0000\u0000',
      '中文请求',
      'ｚ',
      '\uffff',
      'e\u0301', // e + combining acute
      'é',
    ];
    const slots = ids.map((id) => index.add(id, regular()));
    expect(new Set(slots).size).toBe(ids.length);
    ids.forEach((id, i) => {
      expect(index.find(id)).toBe(slots[i]);
      expect(index.idOf(slots[i]!)).toBe(id);
      expect(index.idOf(slots[i]!).length).toBe(id.length);
    });
    expect(index.find('😁')).toBe(-1);
    expect(index.find('\ud83d\ude00\ud83d')).toBe(-1);
    expect(drain(index)).toEqual(ids);
  });

  it('stores long ids, even longer than one call can take as arguments', () => {
    const index = new RequestQueueIndex();
    const ids = [1000, 5000, 20_000, 300_000].map((length, i) => `${String.fromCharCode(97 + i).repeat(length - 1)}\ud83d`);
    const slots = ids.map((id) => index.add(id, regular()));
    ids.forEach((id, i) => {
      expect(index.find(id)).toBe(slots[i]);
      expect(index.idOf(slots[i]!)).toBe(id);
    });
    expect(index.find('a'.repeat(999))).toBe(-1);
    expect(index.find('a'.repeat(1001))).toBe(-1);
  });
});

describe('RequestQueueIndex: remove', () => {
  it('forgets a removed request and skips its places', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    const b = index.add('b', regular());
    const c = index.add('c', forefront());
    const d = index.add('d', forefront());
    index.add('e', regular());
    index.remove(b);
    index.remove(d);
    expect(index.find('b')).toBe(-1);
    expect(index.find('d')).toBe(-1);
    expect(index.find('a')).toBe(a);
    expect(index.find('c')).toBe(c);
    expect(countsOf(index)).toEqual({ size: 3, pending: 3, inProgress: 0, handled: 0 });
    expect(idsOf(index, index.peek(10))).toEqual(['c', 'a', 'e']);
    expect(index.forefrontSlots()).toEqual([c]);
    expect(idsOf(index, index.page(10).slots)).toEqual(['a', 'c', 'e']);
    expect(drain(index)).toEqual(['c', 'a', 'e']);
    expect(index.takeNext()).toBe(-1);
  });

  it('drops the count of the state the request was in', () => {
    const index = new RequestQueueIndex();
    index.add('a', regular());
    const b = index.add('b', regular());
    const c = index.add('c', handled());
    const a = index.takeNext();
    index.remove(a);
    expect(countsOf(index)).toEqual({ size: 2, pending: 1, inProgress: 0, handled: 1 });
    index.remove(c);
    expect(countsOf(index)).toEqual({ size: 1, pending: 1, inProgress: 0, handled: 0 });
    index.remove(b);
    expect(countsOf(index)).toEqual({ size: 0, pending: 0, inProgress: 0, handled: 0 });
    expect(index.takeNext()).toBe(-1);
  });

  it('is harmless to remove twice', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular());
    const b = index.add('b', handled());
    index.remove(a);
    index.remove(a);
    expect(countsOf(index)).toEqual({ size: 1, pending: 0, inProgress: 0, handled: 1 });
    expect(index.find('a')).toBe(-1);
    expect(index.find('b')).toBe(b);
    expect(index.takeNext()).toBe(-1);
    index.remove(b);
    index.remove(b);
    expect(countsOf(index)).toEqual({ size: 0, pending: 0, inProgress: 0, handled: 0 });
  });

  it('takes a removed id again as a new request at its new place', () => {
    const index = new RequestQueueIndex();
    const a = index.add('a', regular(1));
    index.add('b', regular(2));
    index.remove(a);
    const a2 = index.add('a', regular(3));
    expect(index.find('a')).toBe(a2);
    expect(index.orderNoOf(a2)).toBe(3);
    expect(index.stateOf(a2)).toBe('pending');
    expect(index.size).toBe(2);
    expect(drain(index)).toEqual(['b', 'a']);
    const seen: string[] = [];
    index.forEach((id) => seen.push(id));
    expect(seen).toEqual(['b', 'a']);
  });

  it('finds every remaining id after 50,000 interleaved adds and removes', () => {
    const index = new RequestQueueIndex();
    const random = mulberry32(99);
    const live: string[] = [];
    const slotOf = new Map<string, number>();
    const removed = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = `k-${i}`;
      const slot = index.add(id, i % 3 === 0 ? handled(i) : regular(i));
      slotOf.set(id, slot);
      live.push(id);
      // Remove about as many as are added, keeping the queue small so that removed entries pile up.
      const removals = live.length > 200 ? 1 + (random() < 0.5 ? 1 : 0) : random() < 0.6 ? 1 : 0;
      for (let r = 0; r < removals && live.length > 0; r++) {
        const at = Math.floor(random() * live.length);
        const gone = live[at]!;
        live[at] = live.at(-1)!;
        live.pop();
        index.remove(slotOf.get(gone)!);
        slotOf.delete(gone);
        removed.add(gone);
        if (index.find(gone) !== -1) expect(index.find(gone)).toBe(-1);
      }
      if (index.find(id) !== slotOf.get(id) && !removed.has(id)) expect(index.find(id)).toBe(slotOf.get(id));
    }
    expect(index.size).toBe(live.length);
    expect(live.length + removed.size).toBe(50_000);
    let wrong = 0;
    for (const id of live) {
      const slot = index.find(id);
      if (slot !== slotOf.get(id) || index.idOf(slot) !== id) wrong++;
    }
    for (const id of removed) if (index.find(id) !== -1) wrong++;
    expect(wrong).toBe(0);
    // The order still serves exactly the remaining pending ones, in order of addition.
    const expectedPending = live.filter((id) => Number(id.slice(2)) % 3 !== 0).sort((x, y) => Number(x.slice(2)) - Number(y.slice(2)));
    expect(drain(index)).toEqual(expectedPending);
  });

  it('stays correct through many cycles of adding and removing at a constant small size', () => {
    const index = new RequestQueueIndex();
    const window: number[] = [];
    let wrong = 0;
    for (let i = 0; i < 50_000; i++) {
      window.push(index.add(`c${i}`, regular(i)));
      if (window.length > 8) {
        const slot = window.shift()!;
        const id = index.idOf(slot);
        index.remove(slot);
        if (index.find(id) !== -1) wrong++;
      }
      if (index.find(`c${i}`) !== window.at(-1)) wrong++;
    }
    expect(wrong).toBe(0);
    expect(index.size).toBe(8);
    for (const slot of window) expect(index.find(index.idOf(slot))).toBe(slot);
    expect(drain(index)).toEqual(Array.from({ length: 8 }, (_, i) => `c${50_000 - 8 + i}`));
  });
});

describe('RequestQueueIndex: restore and placeRestored', () => {
  it('places restored requests in Crawlee order and never serves handled ones', () => {
    const random = mulberry32(2024);
    const entries: { id: string; orderNo: number | null }[] = [];
    const used = new Set<number>();
    const distinct = (make: () => number): number => {
      for (;;) {
        const value = make();
        if (!used.has(value)) {
          used.add(value);
          return value;
        }
      }
    };
    const base = 1_700_000_000_000;
    for (let i = 0; i < 600; i++) entries.push({ id: `ff-${i}`, orderNo: distinct(() => -(base + Math.floor(random() * 1e7))) });
    for (let i = 0; i < 900; i++) entries.push({ id: `rg-${i}`, orderNo: distinct(() => base + Math.floor(random() * 1e7)) });
    for (let i = 0; i < 500; i++) entries.push({ id: `hd-${i}`, orderNo: null });
    entries.push({ id: 'zero', orderNo: 0 }, { id: 'small-negative', orderNo: -1 }, { id: 'small-positive', orderNo: 1 });
    shuffle(entries, random);

    const index = new RequestQueueIndex();
    const slotOf = new Map<string, number>();
    for (const { id, orderNo } of entries) slotOf.set(id, index.restore(id, orderNo));

    expect(index.size).toBe(entries.length);
    expect(index.pendingCount).toBe(1503);
    expect(index.handledCount).toBe(500);
    // Not placed yet.
    expect(index.peek(10)).toEqual([]);

    for (const { id, orderNo } of entries) {
      const slot = slotOf.get(id)!;
      expect(index.find(id)).toBe(slot);
      expect(index.orderNoOf(slot)).toBe(orderNo);
      expect(index.stateOf(slot)).toBe(orderNo === null ? 'handled' : 'pending');
    }

    index.placeRestored();
    const pending = entries.filter((entry): entry is { id: string; orderNo: number } => entry.orderNo !== null);
    const expected = pending.sort((x, y) => x.orderNo - y.orderNo).map((entry) => entry.id);
    expect(expected[0]!.startsWith('ff-')).toBe(true);
    expect(expected.indexOf('small-negative')).toBe(600);
    expect(expected.indexOf('zero')).toBe(601);

    expect(idsOf(index, index.peek(Number.MAX_SAFE_INTEGER))).toEqual(expected);
    const negatives = pending.filter((entry) => entry.orderNo < 0).map((entry) => entry.id);
    expect(idsOf(index, index.forefrontSlots())).toEqual([...negatives].reverse());
    expect(index.pendingCount).toBe(1503);

    // Placing again places nothing twice.
    index.placeRestored();
    expect(drain(index)).toEqual(expected);
    expect(index.takeNext()).toBe(-1);
    expect(countsOf(index)).toEqual({ size: entries.length, pending: 0, inProgress: 1503, handled: 500 });
    for (let i = 0; i < 500; i++) {
      const slot = index.find(`hd-${i}`);
      expect(index.stateOf(slot)).toBe('handled');
      expect(index.orderNoOf(slot)).toBeNull();
    }
  });

  it('places forefront requests restored in a small case most negative first', () => {
    const index = new RequestQueueIndex();
    index.restore('r20', 20);
    index.restore('f-5', -5);
    index.restore('h', null);
    index.restore('r10', 10);
    index.restore('f-50', -50);
    index.restore('f-7', -7);
    expect(index.takeNext()).toBe(-1);
    index.placeRestored();
    expect(index.forefrontSlots().map((slot) => index.idOf(slot))).toEqual(['f-5', 'f-7', 'f-50']);
    expect(drain(index)).toEqual(['f-50', 'f-7', 'f-5', 'r10', 'r20']);
    expect(index.stateOf(index.find('h'))).toBe('handled');
  });

  it('serves a restored handled request once it is made pending again', () => {
    const index = new RequestQueueIndex();
    const h = index.restore('h', null);
    index.restore('r', 1);
    index.placeRestored();
    expect(index.orderNoOf(h)).toBeNull();
    index.makePending(h, true, -2);
    expect(index.orderNoOf(h)).toBe(-2);
    expect(drain(index)).toEqual(['h', 'r']);
  });
});

describe('RequestQueueIndex: page', () => {
  const mixedIds = [
    'b',
    'a',
    'B',
    'A',
    'ab',
    'a b',
    'aa',
    '0',
    '10',
    '9',
    'ž',
    'z',
    'Z',
    '😀',
    'ｚ', // U+FF5A sorts after the surrogates of 😀 by UTF-16 code units
    '\uffff',
    '\u0000',
    '',
    'req-1',
    'req-10',
    'req-2',
  ];

  it('gives the slots in JavaScript string order', () => {
    const index = new RequestQueueIndex();
    const random = mulberry32(3);
    const ids = [...mixedIds];
    for (let i = 0; i < 500; i++) ids.push(base62Id(random));
    for (const id of ids) index.add(id, random() < 0.5 ? regular() : handled());
    const sorted = [...ids].sort();
    const whole = index.page(ids.length);
    expect(idsOf(index, whole.slots)).toEqual(sorted);
    expect(whole.nextExclusiveStartId).toBeUndefined();
    expect('nextExclusiveStartId' in whole).toBe(false);
    expect(idsOf(index, index.page(ids.length + 100).slots)).toEqual(sorted);
    expect(idsOf(index, index.page(5).slots)).toEqual(sorted.slice(0, 5));
    expect(index.page(5).nextExclusiveStartId).toBe(sorted[4]);
  });

  it('visits every id once, in order, when paging through with nextExclusiveStartId', () => {
    const index = new RequestQueueIndex();
    const random = mulberry32(4);
    const ids = [...mixedIds];
    for (let i = 0; i < 979; i++) ids.push(i % 2 === 0 ? base62Id(random) : `page-${i}`);
    expect(ids.length).toBe(1000);
    for (const id of ids) index.add(id, regular());
    const sorted = [...ids].sort();
    for (const limit of [1, 7, 100, 250, 999, 1000, 1001]) {
      const pages = pageThrough(index, limit);
      expect(pages.flat()).toEqual(sorted);
      expect(pages.length).toBe(Math.ceil(1000 / limit));
      for (const page of pages) expect(page.length).toBeGreaterThan(0);
    }
  });

  it('starts after where an id not in the queue would sort', () => {
    const index = new RequestQueueIndex();
    for (const id of ['f', 'b', 'dd', 'd']) index.add(id, regular());
    const from = (start: string): string[] => idsOf(index, index.page(10, start).slots);
    expect(from('c')).toEqual(['d', 'dd', 'f']);
    expect(from('a')).toEqual(['b', 'd', 'dd', 'f']);
    expect(from('')).toEqual(['b', 'd', 'dd', 'f']);
    expect(from('d')).toEqual(['dd', 'f']);
    expect(from('d\u0000')).toEqual(['dd', 'f']);
    expect(from('dc')).toEqual(['dd', 'f']);
    expect(from('de')).toEqual(['f']);
    expect(from('f')).toEqual([]);
    expect(from('g')).toEqual([]);
    expect(from('B')).toEqual(['b', 'd', 'dd', 'f']);
    expect(index.page(2, 'c')).toEqual({ slots: [index.find('d'), index.find('dd')], nextExclusiveStartId: 'dd' });
    expect(index.page(3, 'c')).toEqual({ slots: [index.find('d'), index.find('dd'), index.find('f')] });
  });

  it('is recomputed after adds and removes, and not changed by state changes', () => {
    const index = new RequestQueueIndex();
    for (const id of ['m', 'c', 'x']) index.add(id, regular());
    expect(idsOf(index, index.page(10).slots)).toEqual(['c', 'm', 'x']);
    index.add('a', handled());
    expect(idsOf(index, index.page(10).slots)).toEqual(['a', 'c', 'm', 'x']);
    index.remove(index.find('m'));
    expect(idsOf(index, index.page(10).slots)).toEqual(['a', 'c', 'x']);
    expect(idsOf(index, index.page(10, 'c').slots)).toEqual(['x']);
    index.add('m', regular());
    index.add('d', regular());
    expect(idsOf(index, index.page(10).slots)).toEqual(['a', 'c', 'd', 'm', 'x']);
    index.takeNext();
    index.markHandled(index.find('x'));
    index.makePending(index.find('a'), true, -1);
    expect(idsOf(index, index.page(10).slots)).toEqual(['a', 'c', 'd', 'm', 'x']);
    expect(index.page(2, 'a')).toEqual({ slots: [index.find('c'), index.find('d')], nextExclusiveStartId: 'd' });
    for (const id of ['a', 'c', 'd', 'm', 'x']) index.remove(index.find(id));
    expect(index.page(10)).toEqual({ slots: [] });
  });
});

describe('RequestQueueIndex: forEach and clear', () => {
  it('visits every request that is not removed, with its order key, in the order added', () => {
    const index = new RequestQueueIndex();
    index.add('a', regular(1));
    const b = index.add('b', handled(2));
    index.add('c', forefront(-3));
    const d = index.add('d', regular(4));
    index.restore('e', 5);
    index.restore('f', null);
    index.add('g', regular(7));
    expect(index.idOf(index.takeNext())).toBe('c'); // in progress, keeps its order key
    index.markHandled(d);
    index.remove(b);
    index.makePending(index.find('f'), false, 8);

    const visited: [string, number | null][] = [];
    index.forEach((id, orderNo) => visited.push([id, orderNo]));
    expect(visited).toEqual([
      ['a', 1],
      ['c', -3],
      ['d', null],
      ['e', 5],
      ['f', 8],
      ['g', 7],
    ]);
  });

  it('visits nothing when empty', () => {
    const index = new RequestQueueIndex();
    let calls = 0;
    index.forEach(() => calls++);
    expect(calls).toBe(0);
  });

  it('has nothing to take right after clear', () => {
    const index = new RequestQueueIndex();
    index.add('a', regular());
    index.add('b', forefront());
    index.clear();
    expect(index.takeNext()).toBe(-1);
    expect(index.pendingCount).toBe(0);
  });

  it('forgets everything on clear and is usable again afterwards', () => {
    const index = new RequestQueueIndex();
    for (let i = 0; i < 1000; i++) index.add(`x${i}`, i % 2 === 0 ? forefront(-i) : regular(i));
    index.add('h', handled());
    index.takeNext();
    index.clear();

    expect(countsOf(index)).toEqual({ size: 0, pending: 0, inProgress: 0, handled: 0 });
    expect(index.find('x0')).toBe(-1);
    expect(index.find('x999')).toBe(-1);
    expect(index.find('h')).toBe(-1);
    // (takeNext is left for below: it would skip the old places, if any were kept, hiding them.)
    expect(index.peek(10)).toEqual([]);
    expect(index.forefrontSlots()).toEqual([]);
    expect(index.page(10)).toEqual({ slots: [] });
    let calls = 0;
    index.forEach(() => calls++);
    expect(calls).toBe(0);

    const y = index.add('y', regular(1));
    const w = index.add('w', regular(2));
    const v = index.add('v', regular(3));
    const x5 = index.add('x5', forefront(-1));
    const z = index.add('z', handled(4));
    expect(index.find('y')).toBe(y);
    expect(index.find('w')).toBe(w);
    expect(index.find('v')).toBe(v);
    expect(index.find('x5')).toBe(x5);
    expect(index.find('x4')).toBe(-1);
    expect(index.idOf(y)).toBe('y');
    expect(index.idOf(z)).toBe('z');
    expect(countsOf(index)).toEqual({ size: 5, pending: 4, inProgress: 0, handled: 1 });
    expect(index.forefrontSlots()).toEqual([x5]);
    expect(idsOf(index, index.page(10).slots)).toEqual(['v', 'w', 'x5', 'y', 'z']);
    // No place from before the clear comes back, even where slot numbers are used again.
    expect(idsOf(index, index.peek(10))).toEqual(['x5', 'y', 'w', 'v']);
    expect(drain(index)).toEqual(['x5', 'y', 'w', 'v']);
    expect(index.takeNext()).toBe(-1);

    const again = Array.from({ length: 5000 }, (_, i) => `again-${i}`);
    for (const id of again) index.add(id, regular());
    expect(again.filter((id) => index.find(id) === -1 || index.idOf(index.find(id)) !== id)).toEqual([]);
    expect(index.size).toBe(5005);
  });
});

describe('RequestQueueIndex against a reference model', () => {
  interface ModelRequest {
    readonly id: string;
    readonly slot: number;
    state: RequestState;
    orderNo: number;
    /** Where the request was last placed, and when (a global sequence number), or undefined if never placed. */
    place: { forefront: boolean; seq: number } | undefined;
  }

  /**
   * The fetch order, stated directly: the pending requests placed on the forefront, the last
   * placed first, then the pending regular ones, the first placed first. Only a request's last
   * placement counts.
   */
  function modelOrder(requests: Iterable<ModelRequest>): ModelRequest[] {
    const front: ModelRequest[] = [];
    const back: ModelRequest[] = [];
    for (const request of requests) {
      if (request.state !== 'pending' || !request.place) continue;
      (request.place.forefront ? front : back).push(request);
    }
    front.sort((x, y) => y.place!.seq - x.place!.seq);
    back.sort((x, y) => x.place!.seq - y.place!.seq);
    return [...front, ...back];
  }

  /** The first of {@link modelOrder}, in one pass. */
  function modelNext(requests: Iterable<ModelRequest>): ModelRequest | undefined {
    let front: ModelRequest | undefined;
    let back: ModelRequest | undefined;
    for (const request of requests) {
      if (request.state !== 'pending' || !request.place) continue;
      if (request.place.forefront) {
        if (!front || request.place.seq > front.place!.seq) front = request;
      } else if (!back || request.place.seq < back.place!.seq) back = request;
    }
    return front ?? back;
  }

  it('takes requests in the model order through 20,000 random operations', () => {
    const random = mulberry32(20240601);
    const index = new RequestQueueIndex();
    const model = new Map<string, ModelRequest>();
    const live: string[] = [];
    let seq = 0;
    let takes = 0;
    let emptyTakes = 0;
    let mismatches = 0;
    const firstMismatches: string[] = [];
    const mismatch = (what: string): void => {
      mismatches++;
      if (firstMismatches.length < 5) firstMismatches.push(what);
    };
    const pick = (): ModelRequest | undefined => {
      if (live.length === 0) return undefined;
      return model.get(live[Math.floor(random() * live.length)]!);
    };

    for (let op = 0; op < 20_000; op++) {
      const roll = random();
      if (roll < 0.4) {
        const id = `m${Math.floor(random() * 12_000)}`;
        if (model.has(id)) continue;
        const kind = roll < 0.25 ? 'regular' : roll < 0.35 ? 'forefront' : 'handled';
        const orderNo = kind === 'forefront' ? -op : op;
        const slot = index.add(id, { handled: kind === 'handled', forefront: kind === 'forefront', orderNo });
        model.set(id, {
          id,
          slot,
          state: kind === 'handled' ? 'handled' : 'pending',
          orderNo,
          place: kind === 'handled' ? undefined : { forefront: kind === 'forefront', seq: seq++ },
        });
        live.push(id);
      } else if (roll < 0.7) {
        const expected = modelNext(model.values());
        const slot = index.takeNext();
        takes++;
        if (!expected) {
          emptyTakes++;
          if (slot !== -1) mismatch(`op ${op}: took ${index.idOf(slot)}, expected none`);
        } else {
          if (slot !== expected.slot) mismatch(`op ${op}: took ${slot === -1 ? 'none' : index.idOf(slot)}, expected ${expected.id}`);
          expected.state = 'in-progress';
        }
      } else if (roll < 0.78) {
        const request = pick();
        if (!request) continue;
        index.markHandled(request.slot);
        request.state = 'handled';
      } else if (roll < 0.92) {
        const request = pick();
        if (!request) continue;
        const toFront = roll >= 0.86;
        const orderNo = toFront ? -op : op;
        index.makePending(request.slot, toFront, orderNo);
        request.state = 'pending';
        request.orderNo = orderNo;
        request.place = { forefront: toFront, seq: seq++ };
      } else {
        const at = Math.floor(random() * live.length);
        const id = live[at];
        if (id === undefined) continue;
        live[at] = live.at(-1)!;
        live.pop();
        const request = model.get(id)!;
        index.remove(request.slot);
        model.delete(id);
        if (index.find(id) !== -1) mismatch(`op ${op}: removed ${id} still found`);
      }

      // The counts after every operation.
      let pending = 0;
      let inProgress = 0;
      let handledCount = 0;
      if (op % 50 === 0 || op > 19_900) {
        for (const request of model.values()) {
          if (request.state === 'pending') pending++;
          else if (request.state === 'in-progress') inProgress++;
          else handledCount++;
        }
        if (index.size !== model.size || index.pendingCount !== pending || index.inProgressCount !== inProgress || index.handledCount !== handledCount) {
          mismatch(`op ${op}: counts`);
        }
      }

      // The whole order, the forefront and every id, now and then.
      if (op % 1000 === 999) {
        const order = modelOrder(model.values());
        const peeked = index.peek(Number.MAX_SAFE_INTEGER);
        if (peeked.join() !== order.map((request) => request.slot).join()) mismatch(`op ${op}: peek`);
        const front = order.filter((request) => request.place!.forefront).map((request) => request.slot).reverse();
        if (index.forefrontSlots().join() !== front.join()) mismatch(`op ${op}: forefrontSlots`);
        for (const request of model.values()) {
          if (index.find(request.id) !== request.slot) mismatch(`op ${op}: find ${request.id}`);
          if (index.stateOf(request.slot) !== request.state) mismatch(`op ${op}: state of ${request.id}`);
          if (index.orderNoOf(request.slot) !== (request.state === 'handled' ? null : request.orderNo)) mismatch(`op ${op}: orderNo of ${request.id}`);
        }
        const sortedIds = [...model.keys()].sort();
        if (idsOf(index, index.page(Number.MAX_SAFE_INTEGER).slots).join() !== sortedIds.join()) mismatch(`op ${op}: page`);
      }
    }

    expect(firstMismatches).toEqual([]);
    expect(mismatches).toBe(0);
    // The run did exercise the interesting cases.
    expect(takes).toBeGreaterThan(5000);
    expect(emptyTakes).toBeLessThan(takes);

    // Finally, draining follows the model to the end.
    const rest = modelOrder(model.values()).map((request) => request.id);
    expect(drain(index)).toEqual(rest);
  });
});
