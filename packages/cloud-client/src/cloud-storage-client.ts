import { randomBytes } from 'node:crypto';
import {
  StorageError,
  releaseStorages,
  datasetMetadataSchema,
  keyValueStoreMetadataSchema,
  notFound,
  requestQueueMetadataSchema,
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
import type { z } from 'zod';
import { ApiHttp, segment } from './api-http.js';
import { CloudDataset } from './cloud-dataset.js';
import { CloudKeyValueStore } from './cloud-key-value-store.js';
import { CloudRequestQueue } from './cloud-request-queue.js';

/** Options of {@link CloudStorageClient}. */
export interface CloudStorageClientOptions {
  /** API token; default `APIFY_TOKEN` from the environment. Sent only in the Authorization header. */
  readonly token?: string | undefined;
  /** API base URL (without `/v2`); default `APIFY_API_BASE_URL`, else `https://api.apify.com`. */
  readonly baseUrl?: string | undefined;
  /** Timeout of one HTTP attempt in milliseconds; default 30,000. */
  readonly timeoutMs?: number | undefined;
  /** Attempts per call on 429, 5xx and network errors; default 8. */
  readonly maxAttempts?: number | undefined;
  /** Delay before the first retry in milliseconds, doubled each time and jittered; default 500. */
  readonly retryBaseDelayMs?: number | undefined;
  /**
   * How long one call keeps retrying when the server does not answer at all (connection refused,
   * host not found, connect timeout), in milliseconds; default 10,000. Then the call fails with an
   * `io` error naming the base URL. Answers of 429 and 5xx are retried `maxAttempts` times, as before.
   */
  readonly networkRetryDeadlineMs?: number | undefined;
  /** Seconds a fetched request stays locked (prolonged while in progress); default 60. */
  readonly requestLockSecs?: number | undefined;
  /** This client's key for request locks; default a random one per client object. */
  readonly clientKey?: string | undefined;
  /**
   * How many requests a `RequestQueue` on this client locks in one call when it has none left to
   * hand out: 1 to 25 (the API's most for `/head/lock`), default 25. The queue hands them out one
   * per fetch without a call, prolongs their locks while they wait and gives back the ones left on
   * `close()`; other consumers do not get them meanwhile. 1 locks one request per fetch.
   */
  readonly requestFetchBatchSize?: number | undefined;
  /**
   * Set to true when the server's queue head is strongly consistent, as `@x/server`'s is: then
   * `fetchNextRequest` returns `null` only when nothing is pending. Default false, because the
   * queue head of the Apify platform is only eventually consistent.
   */
  readonly strongQueueConsistency?: boolean | undefined;
}

const PATHS: Record<StorageKind, string> = { dataset: 'datasets', keyValueStore: 'key-value-stores', requestQueue: 'request-queues' };
const LABELS: Record<StorageKind, string> = { dataset: 'Dataset', keyValueStore: 'Key-value store', requestQueue: 'Request queue' };
const SCHEMAS = { dataset: datasetMetadataSchema, keyValueStore: keyValueStoreMetadataSchema, requestQueue: requestQueueMetadataSchema } as const;
const LIST_PAGE = 1000;

/** Most requests one `/head/lock` call of the API locks: the largest fetch batch. */
export const MAX_FETCH_BATCH_SIZE = 25;

/** How long a call retries a server that does not answer, by default: 10 s. */
export const DEFAULT_NETWORK_RETRY_DEADLINE_MS = 10_000;

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new StorageError('invalid-argument', `${what} must be a positive number`);
  return value;
}

/**
 * A storage client for remote storages over the Apify API v2: the Apify platform, or an
 * `@x/server`. Every storage lives on the server and outlives the client object.
 *
 * ```ts
 * const client = new CloudStorageClient({ token: process.env.APIFY_TOKEN });
 * const dataset = await Dataset.open({ name: 'results', storageClient: client });
 * ```
 */
export class CloudStorageClient implements StorageClient {
  readonly name = 'cloud';
  readonly capabilities: StorageClientCapabilities;
  readonly #http: ApiHttp;
  /** The consumer key the `RequestQueue` of `@x/core` locks requests under. */
  readonly clientKey: string;
  /** Seconds a request fetched through `RequestQueue` stays locked without a sign of life. */
  readonly requestLockSecs: number;
  /** How many requests a `RequestQueue` on this client locks in one call (see {@link CloudStorageClientOptions.requestFetchBatchSize}). */
  readonly requestFetchBatchSize: number;

  constructor(options: CloudStorageClientOptions = {}) {
    const token = options.token ?? (process.env['APIFY_TOKEN'] || undefined);
    let baseUrl = options.baseUrl ?? (process.env['APIFY_API_BASE_URL'] || 'https://api.apify.com');
    try {
      const parsed = new URL(baseUrl);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new StorageError('invalid-argument', `The API base URL must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`);
    }
    baseUrl = baseUrl.replace(/\/+$/, '').replace(/\/v2$/, '');
    this.#http = new ApiHttp({
      baseUrl,
      token,
      timeoutMs: positive(options.timeoutMs, 30_000, 'timeoutMs'),
      maxAttempts: Math.floor(positive(options.maxAttempts, 8, 'maxAttempts')),
      retryBaseDelayMs: positive(options.retryBaseDelayMs, 500, 'retryBaseDelayMs'),
      networkRetryDeadlineMs: positive(options.networkRetryDeadlineMs, DEFAULT_NETWORK_RETRY_DEADLINE_MS, 'networkRetryDeadlineMs'),
    });
    this.clientKey = options.clientKey ?? randomBytes(8).toString('hex');
    this.requestLockSecs = positive(options.requestLockSecs, 60, 'requestLockSecs');
    const batch = options.requestFetchBatchSize ?? MAX_FETCH_BATCH_SIZE;
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_FETCH_BATCH_SIZE) {
      throw new StorageError('invalid-argument', `requestFetchBatchSize must be an integer from 1 to ${MAX_FETCH_BATCH_SIZE}, got ${String(batch)}`);
    }
    this.requestFetchBatchSize = batch;
    this.capabilities = { strongQueueConsistency: options.strongQueueConsistency ?? false, persistent: true };
  }

  /** The API base URL this client talks to (without `/v2`). */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** Opens the target: by name it is created when missing; by id it must exist. Returns its metadata as the API gave it. */
  async #open(kind: StorageKind, target: StorageTarget): Promise<{ id: string; data: Record<string, unknown> }> {
    const path = PATHS[kind];
    let data: Record<string, unknown> | undefined;
    if (target.kind === 'name') {
      data = await this.#http.data<Record<string, unknown>>({ method: 'POST', path, searchParams: { name: target.name }, what: `${LABELS[kind]} "${target.name}"` });
    } else {
      data = await this.#http.data<Record<string, unknown>>({
        method: 'GET',
        path: `${path}/${segment(target.id)}`,
        notFound: 'absent',
        what: `${LABELS[kind]} "${target.id}"`,
      });
      if (data === undefined) throw notFound(`${LABELS[kind]} with id "${target.id}"`);
    }
    if (!data || typeof data['id'] !== 'string') throw new StorageError('internal', `${LABELS[kind]}: the API answered without an id`);
    return { id: data['id'], data };
  }

  async openDataset(target: StorageTarget): Promise<DatasetClient> {
    const { id } = await this.#open('dataset', target);
    return new CloudDataset(this.#http, id);
  }

  async openKeyValueStore(target: StorageTarget): Promise<KeyValueStoreClient> {
    const { id, data } = await this.#open('keyValueStore', target);
    const secret = data['urlSigningSecretKey'];
    return new CloudKeyValueStore(this.#http, id, typeof secret === 'string' && secret !== '' ? secret : undefined);
  }

  async openRequestQueue(target: StorageTarget): Promise<RequestQueueClient> {
    const { id } = await this.#open('requestQueue', target);
    return new CloudRequestQueue(this.#http, id);
  }

  async #list<K extends StorageKind>(kind: K): Promise<z.infer<(typeof SCHEMAS)[K]>[]> {
    const out: z.infer<(typeof SCHEMAS)[K]>[] = [];
    for (let offset = 0; ; offset += LIST_PAGE) {
      const data = await this.#http.data<{ items: unknown[]; total: number }>({
        method: 'GET',
        path: PATHS[kind],
        searchParams: { unnamed: true, offset, limit: LIST_PAGE },
        what: `${LABELS[kind]} list`,
      });
      const items = data?.items ?? [];
      for (const item of items) out.push(SCHEMAS[kind].parse(item) as z.infer<(typeof SCHEMAS)[K]>);
      if (items.length < LIST_PAGE || offset + items.length >= (data?.total ?? 0)) return out;
    }
  }

  async listDatasets(): Promise<DatasetMetadata[]> {
    return this.#list('dataset');
  }

  async listKeyValueStores(): Promise<KeyValueStoreMetadata[]> {
    return this.#list('keyValueStore');
  }

  async listRequestQueues(): Promise<RequestQueueMetadata[]> {
    return this.#list('requestQueue');
  }

  /**
   * Lets go of the storages opened on this client (request queues give back the requests they
   * locked and did not hand out yet, so other consumers get them at once) and closes the kept-alive
   * connections. Idempotent.
   */
  async close(): Promise<void> {
    await releaseStorages(this);
    await this.#http.close();
  }
}
