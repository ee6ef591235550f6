import type { RedisArgument } from '@redis/client';
import { StorageError, notFound, storageMetadataOf, type StorageKind, type StorageMetadata } from '@x/core';
import { luaScript } from './lua-scripts.js';
import type { RedisConnection } from './redis-connection.js';
import { registryKeys } from './redis-keys.js';

/** Labels of the kinds in messages. */
export const KIND_LABEL: Readonly<Record<StorageKind, string>> = {
  dataset: 'Dataset',
  keyValueStore: 'Key-value store',
  requestQueue: 'Request queue',
};

/** What a storage object needs from its client. */
export interface RedisStorageContext {
  readonly connection: RedisConnection;
  readonly prefix: string;
}

/** Reads a flat `field, value, …` list (a Lua script's HGETALL) into a map. */
export function fieldsOf(flat: readonly unknown[], from = 0): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = from; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  return fields;
}

/** A number a script returned (RESP integers arrive as numbers, strings as strings). */
export function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/**
 * What every Redis storage has: its identity, its keys (one Cluster slot), and the calls of its
 * Lua scripts. The metadata hash doubles as the sign of life: once another process dropped the
 * storage, every script answers `not-found`.
 */
export abstract class RedisStorage {
  protected abstract readonly kind: StorageKind;

  constructor(
    protected readonly context: RedisStorageContext,
    readonly id: string,
    readonly name: string | undefined,
  ) {}

  /** The storage's metadata hash key. */
  protected abstract get metaKey(): string;
  /** Every key of the storage, the metadata first. */
  protected abstract allKeys(): readonly string[];

  /** `Dataset "name"`, for messages. */
  protected get label(): string {
    return `${KIND_LABEL[this.kind]} "${this.name ?? this.id}"`;
  }

  /** Runs `src/commands/<name>-<keys.length>.lua` on this storage's keys. */
  protected run(
    name: string,
    keys: readonly string[],
    args: readonly RedisArgument[],
    options: { readonly buffers?: boolean; readonly retryArgs?: readonly RedisArgument[] } = {},
  ): Promise<unknown> {
    return this.context.connection.runScript(luaScript(name, keys.length), keys, args, this.label, { retry: true, ...options });
  }

  /** The shared metadata fields from a metadata hash as a script gave it. */
  protected baseMetadata(fields: ReadonlyMap<string, string>): StorageMetadata {
    const time = (field: string): number => Number(fields.get(field) ?? 0);
    return storageMetadataOf({ id: this.id, name: fields.get('name') ?? this.name, createdAt: time('createdAt'), modifiedAt: time('modifiedAt'), accessedAt: time('accessedAt') });
  }

  /**
   * Deletes the storage: first from the registry (nobody opens it any more; a new storage of the
   * same name gets a new id), then every key of it. Another process still holding it gets
   * `not-found` from then on. Throws `not-found` when it was dropped already.
   */
  async drop(): Promise<void> {
    const registry = registryKeys(this.context.prefix, this.kind);
    const forgotten = await this.context.connection.runScript(luaScript('forget-storage', 2), [registry.ids, registry.names], [this.id], this.label, {
      retry: true,
    });
    const [metaKey, ...rest] = this.allKeys();
    const unlinked = await this.context.connection.command(metaKey!, ['UNLINK', metaKey!, ...rest], this.label, { retry: true });
    if (numberOf(forgotten) === 0 && numberOf(unlinked) === 0) throw notFound(this.label);
  }
}

/** Checks a whole number at least `min`; throws `invalid-argument` otherwise. */
export function assertCount(value: unknown, min: number, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new StorageError('invalid-argument', `${what} must be a whole number of at least ${min}, got ${String(value)}`);
  }
}
