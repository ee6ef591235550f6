import { Request, StorageError, type RequestData, type StorageErrorCode } from '@x/core';
import { expect } from 'vitest';
import { RedisStorageClient, type RedisStorageClientOptions } from '../src/index.js';
import { REDIS_URL, deleteKeysOfPrefix, keysOfPrefix, uniquePrefix } from './redis-servers.js';

/**
 * Redis storage clients of one test, each on a prefix of its own (or a shared one), with every
 * key of their prefixes deleted at the end.
 */
export class ClientPool {
  readonly #clients: RedisStorageClient[] = [];
  readonly #prefixes = new Set<string>();

  constructor(private readonly nodeUrls: readonly string[] = [REDIS_URL]) {}

  /** A new client; `prefix` defaults to a fresh one. */
  create(options: RedisStorageClientOptions = {}): RedisStorageClient {
    const prefix = options.prefix ?? uniquePrefix();
    const client = new RedisStorageClient({ url: this.nodeUrls[0], ...options, prefix });
    this.#clients.push(client);
    this.#prefixes.add(prefix);
    return client;
  }

  /** Closes every client and deletes the keys of their prefixes. */
  async destroy(): Promise<void> {
    for (const client of this.#clients.splice(0)) await client.close();
    for (const prefix of this.#prefixes) await deleteKeysOfPrefix(prefix, this.nodeUrls);
    this.#prefixes.clear();
  }

  /** The keys left under `prefix`. */
  keys(prefix: string): Promise<string[]> {
    return keysOfPrefix(prefix, this.nodeUrls);
  }
}

/** A request of the test queues. */
export function requestData(n: number | string, extra: Partial<RequestData> = {}): RequestData {
  return { ...Request.fromUrl(`https://example.com/page/${n}`).toData(), ...extra };
}

/** Asserts that `action` fails with a StorageError of `code`. */
export async function expectCode(action: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  const error = await action.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(StorageError.is(error), `expected a StorageError "${code}", got ${String(error)}`).toBe(true);
  expect((error as StorageError).code, (error as StorageError).message).toBe(code);
  return error as StorageError;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
