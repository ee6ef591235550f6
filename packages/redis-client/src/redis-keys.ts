import type { StorageKind } from '@x/core';

/** The name of each kind of storage in keys. */
export const KIND_SEGMENT: Readonly<Record<StorageKind, string>> = {
  dataset: 'datasets',
  keyValueStore: 'key-value-stores',
  requestQueue: 'request-queues',
};

/** The two registry keys of one kind: every storage's id, and the named ones by name. One Cluster slot per prefix. */
export interface RegistryKeys {
  /** HASH id → name (empty for unnamed storages). */
  readonly ids: string;
  /** HASH name → id. */
  readonly names: string;
}

/** Registry keys of a kind: `{prefix}:<kind>:ids` and `{prefix}:<kind>:names`, all in the slot of `{prefix}`. */
export function registryKeys(prefix: string, kind: StorageKind): RegistryKeys {
  const base = `{${prefix}}:${KIND_SEGMENT[kind]}`;
  return { ids: `${base}:ids`, names: `${base}:names` };
}

/**
 * The common start of every key of one storage: `{prefix:kind:id}`. The braces are a Redis
 * Cluster hash tag, so all keys of a storage live in one slot and every script can touch them all.
 */
export function storageTag(prefix: string, kind: StorageKind, id: string): string {
  return `{${prefix}:${KIND_SEGMENT[kind]}:${id}}`;
}

/** Keys of a dataset. */
export interface DatasetKeys {
  /** HASH: name, createdAt, modifiedAt, accessedAt (ms). */
  readonly meta: string;
  /** LIST of the items' JSON, oldest first. */
  readonly items: string;
  /** ZSET of the tokens of recent pushes by time (ms): a push sent again after a lost reply is not appended twice. */
  readonly pushes: string;
}

export function datasetKeys(prefix: string, id: string): DatasetKeys {
  const tag = storageTag(prefix, 'dataset', id);
  return { meta: `${tag}:meta`, items: `${tag}:items`, pushes: `${tag}:pushes` };
}

/** Keys of a key-value store. */
export interface KeyValueStoreKeys {
  /** HASH: name, createdAt, modifiedAt, accessedAt (ms). */
  readonly meta: string;
  /** HASH key → body bytes. */
  readonly bodies: string;
  /** HASH key → content type. */
  readonly types: string;
  /** ZSET of the keys, all with score 0: listed in byte order with ZRANGEBYLEX. */
  readonly keys: string;
}

export function keyValueStoreKeys(prefix: string, id: string): KeyValueStoreKeys {
  const tag = storageTag(prefix, 'keyValueStore', id);
  return { meta: `${tag}:meta`, bodies: `${tag}:bodies`, types: `${tag}:types`, keys: `${tag}:keys` };
}

/** Keys of a request queue, in the order the queue scripts take them. */
export interface RequestQueueKeys {
  /** HASH: name, createdAt, modifiedAt, accessedAt (ms), and the order counters `seq` and `fseq`. */
  readonly meta: string;
  /** HASH request id → request JSON (every request: pending, locked and handled). */
  readonly requests: string;
  /** ZSET of the pending requests by fetch order: forefront ones negative, newest most negative. */
  readonly pending: string;
  /** ZSET of the locked requests by when their lock expires (ms, Redis time). */
  readonly locks: string;
  /** HASH request id → its lock: `1` or `0` (back to the forefront when it expires), the order it was taken in, `|`, the clientKey. */
  readonly holders: string;
  /** ZSET of the ids of the requests not handled (pending and locked), all with score 0: listed in id order with ZRANGEBYLEX. */
  readonly ids: string;
  /** ZSET of the ids of the handled requests, all with score 0 (each request is in `ids` or here). */
  readonly handled: string;
}

export function requestQueueKeys(prefix: string, id: string): RequestQueueKeys {
  const tag = storageTag(prefix, 'requestQueue', id);
  return {
    meta: `${tag}:meta`,
    requests: `${tag}:requests`,
    pending: `${tag}:pending`,
    locks: `${tag}:locks`,
    holders: `${tag}:holders`,
    ids: `${tag}:ids`,
    handled: `${tag}:handled`,
  };
}
