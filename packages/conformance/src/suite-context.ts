import { createHash } from 'node:crypto';
import { StorageError, type StorageClient, type StorageClientCapabilities, type StorageErrorCode } from '@x/core';
import { expect, it } from 'vitest';

/** How the conformance suite makes and disposes of the storage clients it tests. */
export interface ConformanceOptions {
  /** Makes a fresh, empty client for one test (memory: new client; fs: new temp dir). */
  createClient(): StorageClient | Promise<StorageClient>;
  /** Called after each test with the client it made (close servers, remove temp dirs). */
  destroyClient?(client: StorageClient): void | Promise<void>;
  /**
   * Optional, for persistent clients: makes a second client over the same storage as `client`
   * (the same directory, the same server), to check that storages outlive the client object.
   * The suite does not pass the new client to `destroyClient`; `client` is destroyed as usual.
   */
  reopenClient?(client: StorageClient): StorageClient | Promise<StorageClient>;
  /**
   * For `reopenClient`: true (the default) when the reopened client still sees the request locks
   * taken through the old one (they live on a server or in Redis); false when they lived in the
   * old client's process (fs), so its locked requests are pending again after a reopen.
   */
  reopenKeepsRequestLocks?: boolean;
  /**
   * How many random operation sequences each property test tries (default 40): fewer for slow
   * clients, to keep the suite quick. The `FC_NUM_RUNS` environment variable overrides it.
   */
  propertyRuns?: number;
}

/** A test body that gets a fresh client. */
export type ClientTest = (client: StorageClient) => Promise<void>;

/** What the case files share: the options, the client's capabilities and a test helper. */
export interface SuiteContext {
  readonly options: ConformanceOptions;
  /** Capabilities of the client under test, read from a probe client when the suite is collected. */
  readonly capabilities: StorageClientCapabilities;
  /** Defines a test that runs `body` with a fresh client and destroys the client afterwards. */
  test(name: string, body: ClientTest, options?: { readonly skip?: boolean }): void;
  /** Makes one more fresh client, destroyed after the current test; for tests that need two. */
  createExtraClient(): Promise<StorageClient>;
}

/** Builds the {@link SuiteContext} of one suite run. */
export function createSuiteContext(options: ConformanceOptions, capabilities: StorageClientCapabilities): SuiteContext {
  const extras: StorageClient[] = [];
  return {
    options,
    capabilities,
    test(name, body, testOptions = {}) {
      it.skipIf(testOptions.skip ?? false)(name, async () => {
        const client = await options.createClient();
        try {
          await body(client);
        } finally {
          const made = extras.splice(0);
          for (const extra of made) await options.destroyClient?.(extra);
          await options.destroyClient?.(client);
        }
      });
    },
    async createExtraClient() {
      const client = await options.createClient();
      extras.push(client);
      return client;
    },
  };
}

/**
 * Runs `action` and asserts it fails with a {@link StorageError} of `code` and a message.
 * Returns the error for further checks.
 */
export async function expectStorageError(action: Promise<unknown> | (() => unknown), code: StorageErrorCode): Promise<StorageError> {
  let threw = false;
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (caught) {
    threw = true;
    error = caught;
  }
  expect(threw, `expected a StorageError with code "${code}", but nothing was thrown`).toBe(true);
  const got = StorageError.is(error) ? `StorageError "${error.code}": ${error.message}` : String(error);
  expect(StorageError.is(error, code), `expected a StorageError with code "${code}", got ${got}`).toBe(true);
  const storageError = error as StorageError;
  expect(storageError.message.length).toBeGreaterThan(0);
  return storageError;
}

/** Most values {@link collect} takes from one iterator: more means a client that never stops paging. */
export const MAX_COLLECTED = 10_000;

/** Collects an async iterable into an array; fails (instead of hanging) past {@link MAX_COLLECTED} values. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) {
    out.push(value);
    if (out.length > MAX_COLLECTED) expect.fail(`the iterator did not end after ${MAX_COLLECTED} values: the client keeps repeating pages`);
  }
  return out;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Crawlee's request id, computed independently of `@x/core`: base64(sha256(uniqueKey)) without `+/=`, 15 characters. */
export function crawleeRequestId(uniqueKey: string): string {
  return createHash('sha256').update(uniqueKey).digest('base64').replace(/[+/=]/g, '').slice(0, 15);
}

/** An object whose JSON nests `levels` objects deep: `nestedObject(1)` is `{}`, `nestedObject(2)` is `{"a":{}}`. */
export function nestedObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

/** An object that contains itself. */
export function circularObject(): Record<string, unknown> {
  const value: Record<string, unknown> = { a: 1 };
  value['self'] = { back: value };
  return value;
}
