import { z } from 'zod';

/** The three kinds of storage. */
export type StorageKind = 'dataset' | 'keyValueStore' | 'requestQueue';

const dateSchema = z.coerce.date();

/** Fields every storage's metadata has. */
export const storageMetadataSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  createdAt: dateSchema,
  modifiedAt: dateSchema,
  accessedAt: dateSchema,
});

/** Fields every storage's metadata has: id, name, and when it was made, changed and read. */
export type StorageMetadata = z.infer<typeof storageMetadataSchema>;

/** The shared metadata fields of a storage kept as timestamps (ms since the epoch), for storage clients. */
export function storageMetadataOf(storage: {
  readonly id: string;
  readonly name: string | undefined;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly accessedAt: number;
}): StorageMetadata {
  return {
    id: storage.id,
    ...(storage.name === undefined ? {} : { name: storage.name }),
    createdAt: new Date(storage.createdAt),
    modifiedAt: new Date(storage.modifiedAt),
    accessedAt: new Date(storage.accessedAt),
  };
}

/** Metadata of a dataset. */
export const datasetMetadataSchema = storageMetadataSchema.extend({
  itemCount: z.number().int().nonnegative(),
});
/** Metadata of a dataset: when it was made, changed and read, and how many items it holds. */
export type DatasetMetadata = z.infer<typeof datasetMetadataSchema>;

/** Metadata of a key-value store. */
export const keyValueStoreMetadataSchema = storageMetadataSchema.extend({
  /**
   * The store's own secret for signed record URLs (`?signature=`), as the Apify platform gives it
   * to clients that may write the store. `null` or an empty string (from an API) means none.
   */
  urlSigningSecretKey: z.preprocess((value) => (typeof value === 'string' && value !== '' ? value : undefined), z.string().optional()),
});
/** Metadata of a key-value store, with its URL-signing secret where the client has one. */
export type KeyValueStoreMetadata = z.infer<typeof keyValueStoreMetadataSchema>;

/** Metadata of a request queue. */
export const requestQueueMetadataSchema = storageMetadataSchema.extend({
  totalRequestCount: z.number().int().nonnegative(),
  handledRequestCount: z.number().int().nonnegative(),
  pendingRequestCount: z.number().int().nonnegative(),
});
/** Metadata of a request queue, with its request counts. */
export type RequestQueueMetadata = z.infer<typeof requestQueueMetadataSchema>;

/** HTTP methods a request can use. */
export const httpMethodSchema = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH']);
/** An HTTP method. */
export type HttpMethod = z.infer<typeof httpMethodSchema>;

/**
 * A request as storage clients keep it: plain JSON data, with `id` and `uniqueKey` always set.
 * The user-facing {@link Request} class wraps it.
 */
export const requestDataSchema = z.object({
  id: z.string().min(1),
  url: z.string().min(1),
  uniqueKey: z.string().min(1),
  method: httpMethodSchema,
  payload: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  userData: z.record(z.string(), z.unknown()),
  retryCount: z.number().int().nonnegative(),
  noRetry: z.boolean(),
  errorMessages: z.array(z.string()),
  loadedUrl: z.string().optional(),
  handledAt: z.string().optional(),
});
/** A request in its stored, plain-data form. */
export type RequestData = z.infer<typeof requestDataSchema>;

/** What adding one request did. */
export interface AddRequestResult {
  /** The id of the request in the queue (the existing one when it was already present). */
  readonly requestId: string;
  /** The request's unique key. */
  readonly uniqueKey: string;
  /** True when a request with the same unique key was in the queue already; nothing changed. */
  readonly wasAlreadyPresent: boolean;
  /** True when that request had been handled already. */
  readonly wasAlreadyHandled: boolean;
}

const REQUEST_DEFAULTS = { method: 'GET', userData: {}, retryCount: 0, noRetry: false, errorMessages: [] } as const;

/**
 * Reads a request stored by any writer (ours, Crawlee's, the Apify API's): `null` fields are
 * dropped and missing ones get their defaults. Gives `undefined` for something that is no request.
 */
export function parseStoredRequest(value: unknown): RequestData | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const present: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== null && field !== undefined) present[key] = field;
  const parsed = requestDataSchema.safeParse({ ...REQUEST_DEFAULTS, ...present });
  return parsed.success ? parsed.data : undefined;
}
