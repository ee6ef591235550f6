import {
  StorageError,
  httpMethodSchema,
  normalizeUrl,
  parseRequestUrl,
  requestIdFromUniqueKey,
  type DatasetMetadata,
  type KeyValueStoreMetadata,
  type RequestData,
  type RequestQueueMetadata,
} from '@x/core';
import { z } from 'zod';
import { invalidInput } from './http-utils.js';

function common(metadata: DatasetMetadata | KeyValueStoreMetadata | RequestQueueMetadata): Record<string, unknown> {
  return {
    id: metadata.id,
    ...(metadata.name === undefined ? {} : { name: metadata.name }),
    createdAt: metadata.createdAt.toISOString(),
    modifiedAt: metadata.modifiedAt.toISOString(),
    accessedAt: metadata.accessedAt.toISOString(),
  };
}

/** A dataset's metadata as the API gives it. */
export function datasetJson(metadata: DatasetMetadata): Record<string, unknown> {
  return { ...common(metadata), itemCount: metadata.itemCount, cleanItemCount: metadata.itemCount };
}

/**
 * A key-value store's metadata as the API gives it, with the store's own `urlSigningSecretKey`
 * (as the platform gives it to clients that may write the store: here, every authorized client).
 */
export function keyValueStoreJson(metadata: KeyValueStoreMetadata): Record<string, unknown> {
  const { urlSigningSecretKey } = metadata;
  return { ...common(metadata), ...(urlSigningSecretKey === undefined ? {} : { urlSigningSecretKey }) };
}

/** A request queue's metadata as the API gives it. */
export function requestQueueJson(metadata: RequestQueueMetadata, hadMultipleClients: boolean): Record<string, unknown> {
  return {
    ...common(metadata),
    totalRequestCount: metadata.totalRequestCount,
    handledRequestCount: metadata.handledRequestCount,
    pendingRequestCount: metadata.pendingRequestCount,
    hadMultipleClients,
  };
}

const apiRequestSchema = z.object({
  id: z.string().min(1).nullish(),
  url: z.string(),
  uniqueKey: z.string().min(1).nullish(),
  method: z
    .string()
    .transform((method) => method.toUpperCase())
    .pipe(httpMethodSchema)
    .nullish(),
  payload: z.string().nullish(),
  headers: z.record(z.string(), z.string()).nullish(),
  userData: z.record(z.string(), z.unknown()).nullish(),
  retryCount: z.number().int().nonnegative().nullish(),
  noRetry: z.boolean().nullish(),
  errorMessages: z.array(z.string()).nullish(),
  loadedUrl: z.string().nullish(),
  handledAt: z.union([z.string(), z.date()]).nullish(),
});

/**
 * Turns a request of an API body into the stored form: defaults filled in, `uniqueKey` from the
 * normalized URL when missing, and the id derived from the unique key, as Crawlee and the server's
 * clients compute it. A client cannot choose the id: an `id` that is not the one of the unique key
 * is refused (400), since it names the request's file on disk. For an update, `pathId` is the id
 * in the URL: the body's `id` must be it, and so must the id of the body's `uniqueKey` when given.
 * Throws 400 for anything malformed.
 */
export function toRequestData(value: unknown, where = 'request', pathId?: string): RequestData {
  const parsed = apiRequestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`Invalid ${where}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const r = parsed.data;
  let uniqueKey: string;
  try {
    parseRequestUrl(r.url);
    uniqueKey = r.uniqueKey ?? normalizeUrl(r.url);
  } catch (error) {
    throw invalidInput(`Invalid ${where}: ${StorageError.is(error) ? error.message : 'bad URL'}`);
  }
  let id: string;
  if (pathId === undefined) {
    id = requestIdFromUniqueKey(uniqueKey);
    if (r.id != null && r.id !== id) {
      throw invalidInput(`Invalid ${where}: its id must be the one of its uniqueKey ("${id}"), or be left out; the server computes it`);
    }
  } else {
    if (r.id != null && r.id !== pathId) throw invalidInput(`Invalid ${where}: the id in the body is not the id in the URL`);
    // Without a uniqueKey the one of the URL is taken: it must be the request's, or the update
    // would store the request under a uniqueKey that is not its own.
    if (requestIdFromUniqueKey(uniqueKey) !== pathId) {
      throw invalidInput(
        r.uniqueKey == null
          ? `Invalid ${where}: give its uniqueKey (the one of its URL is not the one of the id in the URL)`
          : `Invalid ${where}: the id in the URL is not the one of its uniqueKey ("${requestIdFromUniqueKey(uniqueKey)}")`,
      );
    }
    id = pathId;
  }
  const handledAt = r.handledAt instanceof Date ? r.handledAt.toISOString() : r.handledAt;
  return {
    id,
    url: r.url,
    uniqueKey,
    method: r.method ?? 'GET',
    ...(r.payload == null ? {} : { payload: r.payload }),
    ...(r.headers == null ? {} : { headers: r.headers }),
    userData: r.userData ?? {},
    retryCount: r.retryCount ?? 0,
    noRetry: r.noRetry ?? false,
    errorMessages: r.errorMessages ?? [],
    ...(r.loadedUrl == null ? {} : { loadedUrl: r.loadedUrl }),
    ...(handledAt == null ? {} : { handledAt }),
  };
}
