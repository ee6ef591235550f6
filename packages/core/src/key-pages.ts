import type { KeysPage, ListKeysOptions, RecordInfo } from './storage-client.js';

/** Index of the first of the sorted `keys` greater than `key` (greater or equal when `inclusive`). */
export function lowerBound(keys: readonly string[], key: string, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < key || (!inclusive && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of a key listing, for storage clients that keep their keys sorted: the keys after
 * `exclusiveStartKey` that start with `prefix`, at most `limit` of them, described by `describe`.
 */
export function pageOfSortedKeys(
  keys: readonly string[],
  { exclusiveStartKey, prefix, limit }: ListKeysOptions,
  describe: (key: string) => RecordInfo,
): KeysPage {
  let index = exclusiveStartKey === undefined ? 0 : lowerBound(keys, exclusiveStartKey, false);
  if (prefix !== undefined) index = Math.max(index, lowerBound(keys, prefix, true));
  const items: RecordInfo[] = [];
  for (; index < keys.length && items.length < limit; index++) {
    const key = keys[index]!;
    if (prefix !== undefined && !key.startsWith(prefix)) break;
    items.push(describe(key));
  }
  const next = keys[index];
  const isTruncated = items.length === limit && next !== undefined && (prefix === undefined || next.startsWith(prefix));
  const last = items.at(-1);
  return isTruncated && last ? { items, isTruncated, nextExclusiveStartKey: last.key } : { items, isTruncated: false };
}
