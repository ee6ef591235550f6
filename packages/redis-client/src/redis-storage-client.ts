import {
  MAX_LOCK_LIMIT,
  StorageError,
  createStorageId,
  createUrlSigningSecretKey,
  notFound,
  releaseStorages,
  type DatasetClient,
  type DatasetMetadata,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type StorageClient,
  type StorageClientCapabilities,
  type StorageKind,
  type StorageTarget,
} from '@x/core';
import { luaScript } from './lua-scripts.js';
import { RedisConnection } from './redis-connection.js';
import { RedisDataset } from './redis-dataset.js';
import { RedisKeyValueStore } from './redis-key-value-store.js';
import { datasetKeys, keyValueStoreKeys, registryKeys, requestQueueKeys } from './redis-keys.js';
import { RedisRequestQueue } from './redis-request-queue.js';
import { KIND_LABEL, type RedisStorage, type RedisStorageContext } from './redis-storage.js';

/** Options of {@link RedisStorageClient}. */
export interface RedisStorageClientOptions {
  /**
   * Where Redis is: `redis[s]://[[user][:password]@]host[:port][/db]`. Default `REDIS_URL` from the
   * environment, else `redis://127.0.0.1:6379`. With `cluster`, any one node of the cluster.
   */
  readonly url?: string | undefined;
  /** Set when `url` is a node of a Redis Cluster: the client then finds the other nodes. Default false. */
  readonly cluster?: boolean | undefined;
  /**
   * The start of every key, so that several projects (or test runs) share one Redis: letters,
   * digits and `-_.:`, up to 64 characters. Default `x`.
   */
  readonly prefix?: string | undefined;
  /**
   * Seconds a request fetched through `RequestQueue` stays locked to its consumer without a sign of
   * life (the queue prolongs the locks of requests in progress); default 60.
   */
  readonly lockSecs?: number | undefined;
  /** The consumer key `RequestQueue` locks requests under; default a random one per queue object. */
  readonly clientKey?: string | undefined;
  /**
   * How many requests a `RequestQueue` on this client locks in one script call when it has none
   * left to hand out: 1 to 1000, default 25. The queue hands them out one per fetch without a round
   * trip, prolongs their locks while they wait and gives back the ones left when its storages are
   * released (the client's `close()`). A consumer killed meanwhile holds them until `lockSecs`
   * pass; 1 locks one request per fetch.
   */
  readonly requestFetchBatchSize?: number | undefined;
  /**
   * How long one operation may take, reconnecting and retrying included, before it fails with a
   * `StorageError` of code `io`, in milliseconds; default 10,000.
   */
  readonly timeoutMs?: number | undefined;
  /**
   * The URL of an `@x/server` that serves this Redis (same `url` and `prefix`): `getPublicUrl`
   * then gives the record's URL there. Without it, `getPublicUrl` gives a `data:` URL.
   */
  readonly publicBaseUrl?: string | undefined;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Requests a `RequestQueue` locks per call by default: one round trip for 25 fetches. */
const DEFAULT_FETCH_BATCH_SIZE = 25;

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new StorageError('invalid-argument', `${what} must be a positive number`);
  return value;
}

function redisUrl(url: string | undefined): string {
  const value = url ?? (process.env['REDIS_URL'] || 'redis://127.0.0.1:6379');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new StorageError('invalid-argument', 'The Redis URL must look like redis://host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new StorageError('invalid-argument', `The Redis URL must start with redis:// or rediss://, got ${parsed.protocol}//`);
  }
  return value;
}

/**
 * A storage client that keeps datasets, key-value stores and request queues in Redis 7 (a single
 * server or a Cluster), shared by every process and machine that reaches it. Every operation is
 * one Lua script, atomic across processes; request locks expire in Redis, so consumers may die at
 * any time and their requests come back after `lockSecs`.
 *
 * ```ts
 * const storageClient = new RedisStorageClient({ url: 'redis://127.0.0.1:6379', prefix: 'my-crawl' });
 * const queue = await RequestQueue.open({ name: 'urls', storageClient });
 * // …
 * await storageClient.close();
 * ```
 */
export class RedisStorageClient implements StorageClient {
  readonly name = 'redis';
  readonly capabilities: StorageClientCapabilities = { strongQueueConsistency: true, persistent: true };
  /** Seconds a request fetched through `RequestQueue` stays locked without a sign of life. */
  readonly requestLockSecs: number;
  /** The consumer key of `RequestQueue` when set; otherwise each queue object makes its own. */
  readonly clientKey: string | undefined;
  /** How many requests a `RequestQueue` on this client locks in one call (see {@link RedisStorageClientOptions.requestFetchBatchSize}). */
  readonly requestFetchBatchSize: number;
  /** The start of every key of this client. */
  readonly prefix: string;
  readonly #connection: RedisConnection;
  readonly #context: RedisStorageContext;
  readonly #publicBaseUrl: string | undefined;

  constructor(options: RedisStorageClientOptions = {}) {
    const prefix = options.prefix ?? 'x';
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      throw new StorageError('invalid-argument', `The key prefix must be 1 to 64 letters, digits or -_.: characters, got ${JSON.stringify(prefix)}`);
    }
    if (options.clientKey !== undefined && (typeof options.clientKey !== 'string' || options.clientKey === '')) {
      throw new StorageError('invalid-argument', 'clientKey must be a non-empty string');
    }
    let publicBaseUrl = options.publicBaseUrl;
    if (publicBaseUrl !== undefined) {
      try {
        const parsed = new URL(publicBaseUrl);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        throw new StorageError('invalid-argument', `publicBaseUrl must be an absolute http(s) URL, got ${JSON.stringify(publicBaseUrl)}`);
      }
      publicBaseUrl = publicBaseUrl.replace(/\/+$/, '').replace(/\/v2$/, '');
    }
    this.prefix = prefix;
    this.requestLockSecs = positive(options.lockSecs, 60, 'lockSecs');
    this.clientKey = options.clientKey;
    const batch = options.requestFetchBatchSize ?? DEFAULT_FETCH_BATCH_SIZE;
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_LOCK_LIMIT) {
      throw new StorageError('invalid-argument', `requestFetchBatchSize must be an integer from 1 to ${MAX_LOCK_LIMIT}, got ${String(batch)}`);
    }
    this.requestFetchBatchSize = batch;
    this.#publicBaseUrl = publicBaseUrl;
    this.#connection = new RedisConnection({
      url: redisUrl(options.url),
      cluster: options.cluster ?? false,
      timeoutMs: positive(options.timeoutMs, 10_000, 'timeoutMs'),
    });
    this.#context = { connection: this.#connection, prefix };
  }

  /** Commands this client has sent to Redis (each operation is one script call; reloads and retries add to it). */
  get commandCount(): number {
    return this.#connection.commandCount;
  }

  /** Finds or creates the target in the registry, then makes sure its metadata exists. */
  async #open(kind: StorageKind, target: StorageTarget): Promise<{ id: string; name: string | undefined }> {
    const registry = registryKeys(this.prefix, kind);
    const args =
      target.kind === 'name' ? ['name', target.name, createStorageId()] : [target.kind === 'default' ? 'default' : 'id', target.id, ''];
    const what = target.kind === 'name' ? `${KIND_LABEL[kind]} "${target.name}"` : `${KIND_LABEL[kind]} with id "${target.id}"`;
    let reply: unknown;
    try {
      reply = await this.#connection.runScript(luaScript('open-storage', 2), [registry.ids, registry.names], args, what, { retry: true });
    } catch (error) {
      if (StorageError.is(error, 'not-found')) throw notFound(what);
      throw error;
    }
    const [id, name] = (reply as unknown[]).map(String) as [string, string];
    const metaKey = { dataset: datasetKeys, keyValueStore: keyValueStoreKeys, requestQueue: requestQueueKeys }[kind](this.prefix, id).meta;
    // A key-value store gets its own secret for signed record URLs when it is made (as on the platform).
    const created = kind === 'keyValueStore' ? ['urlSigningSecretKey', createUrlSigningSecretKey()] : [];
    await this.#connection.runScript(luaScript('init-storage', 1), [metaKey], [name, ...created], what, { retry: true });
    return { id, name: name === '' ? undefined : name };
  }

  async openDataset(target: StorageTarget): Promise<DatasetClient> {
    const { id, name } = await this.#open('dataset', target);
    return new RedisDataset(this.#context, id, name);
  }

  async openKeyValueStore(target: StorageTarget): Promise<KeyValueStoreClient> {
    const { id, name } = await this.#open('keyValueStore', target);
    return new RedisKeyValueStore(this.#context, id, name, this.#publicBaseUrl);
  }

  async openRequestQueue(target: StorageTarget): Promise<RequestQueueClient> {
    const { id, name } = await this.#open('requestQueue', target);
    return new RedisRequestQueue(this.#context, id, name);
  }

  /** The registered storages of a kind, as objects; those dropped meanwhile are left out of the metadata lists. */
  async #all<S extends RedisStorage>(kind: StorageKind, make: (id: string) => S): Promise<S[]> {
    const registry = registryKeys(this.prefix, kind);
    const ids = (await this.#connection.command(registry.ids, ['HKEYS', registry.ids], `${KIND_LABEL[kind]} list`, { retry: true })) as unknown[];
    return ids.map((id) => make(String(id)));
  }

  async #metadataOf<M>(storages: readonly { getMetadata(): Promise<M> }[]): Promise<M[]> {
    const all = await Promise.all(
      storages.map((storage) =>
        storage.getMetadata().catch((error: unknown) => {
          // Dropped by another process between the listing and now.
          if (StorageError.is(error, 'not-found')) return undefined;
          throw error;
        }),
      ),
    );
    return all.filter((metadata): metadata is Awaited<M> => metadata !== undefined);
  }

  async listDatasets(): Promise<DatasetMetadata[]> {
    return this.#metadataOf(await this.#all('dataset', (id) => new RedisDataset(this.#context, id, undefined)));
  }

  async listKeyValueStores(): Promise<KeyValueStoreMetadata[]> {
    return this.#metadataOf(await this.#all('keyValueStore', (id) => new RedisKeyValueStore(this.#context, id, undefined, this.#publicBaseUrl)));
  }

  async listRequestQueues(): Promise<RequestQueueMetadata[]> {
    return this.#metadataOf(await this.#all('requestQueue', (id) => new RedisRequestQueue(this.#context, id, undefined)));
  }

  /** Ends the connections to Redis (after the replies still due). Idempotent. */
  async close(): Promise<void> {
    // The queues opened on this client give back the requests they locked but did not hand out.
    await releaseStorages(this);
    await this.#connection.close();
  }
}
