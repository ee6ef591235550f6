import { validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  ANONYMOUS_CLIENT_KEY,
  DATASET_EXPORT_FORMATS,
  MAX_JSON_DEPTH,
  REQUEST_STATE_FILTERS,
  StorageError,
  assertContentType,
  assertRecordKey,
  createStorageId,
  isJsonContentType,
  isTextContentType,
  exportDatasetItems,
  jsonTextExceedsDepth,
  serializeDatasetItems,
  type DatasetClient,
  type RequestStateFilter,
  type StorageKind,
} from '@x/core';
import { z } from 'zod';
import { datasetJson, keyValueStoreJson, requestQueueJson, toRequestData } from './api-models.js';
import { ApiError, invalidInput, parseJsonBody, readBody, recordNotFound, sendData, sendEmpty } from './http-utils.js';
import { parseQuery, queryBoolean, queryCount, queryList, queryOptionalBoolean, querySeconds } from './query.js';
import type { QueueClients } from './queue-clients.js';
import type { Storages } from './storages.js';

/** What the route handlers share. */
export interface RouteContext {
  readonly storages: Storages;
  readonly queueClients: QueueClients;
  readonly maxBodyBytes: number;
}

/** One API call being answered. */
export interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** Path segments after `/v2`, decoded. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

const COLLECTIONS: Record<string, StorageKind> = {
  datasets: 'dataset',
  'key-value-stores': 'keyValueStore',
  'request-queues': 'requestQueue',
};

/** Most requests in one batch call. */
export const MAX_BATCH = 25;
/** Most storages one list call gives (the API's default and maximum). */
const MAX_LIST_LIMIT = 1000;
/** Most requests one `/head` call gives. */
const MAX_HEAD_LIMIT = 1000;
/** Most requests one `/head/lock` call locks (the API's maximum). */
const MAX_LOCK_HEAD_LIMIT = 25;
/** Dataset items are read, and written to the answer, this many at a time. */
const DATASET_PAGE = 1000;
/** The `limit` the API reports when none was asked for. */
const NO_LIMIT = 999_999_999_999;
/** Lock length when a lock call gives none. */
const DEFAULT_LOCK_SECS = 60;

function methodNotAllowed(call: Call): never {
  throw new ApiError(405, 'method-not-allowed', `${call.method} is not allowed on this resource`);
}

function notFoundRoute(): never {
  throw new ApiError(404, 'page-not-found', 'This API endpoint does not exist');
}

const listQuery = z.object({ offset: queryCount, limit: queryCount, desc: queryBoolean, unnamed: queryBoolean });

async function metadataJson(ctx: RouteContext, kind: StorageKind, id: string, metadata: unknown): Promise<Record<string, unknown>> {
  switch (kind) {
    case 'dataset':
      return datasetJson(metadata as Parameters<typeof datasetJson>[0]);
    case 'keyValueStore':
      return keyValueStoreJson(metadata as Parameters<typeof keyValueStoreJson>[0]);
    default:
      return requestQueueJson(metadata as Parameters<typeof requestQueueJson>[0], ctx.queueClients.hadMultipleClients(id));
  }
}

/** Answers one API call under `/v2`. */
export async function route(ctx: RouteContext, call: Call): Promise<void> {
  const [collection, ref, ...rest] = call.segments;
  const kind = collection === undefined ? undefined : COLLECTIONS[collection];
  if (kind === undefined) notFoundRoute();
  if (ref === undefined) return collectionRoute(ctx, call, kind);
  if (rest.length === 0) return storageRoute(ctx, call, kind, ref);
  if (kind === 'dataset') return datasetRoute(ctx, call, ref, rest);
  if (kind === 'keyValueStore') return keyValueStoreRoute(ctx, call, ref, rest);
  return requestQueueRoute(ctx, call, ref, rest);
}

async function collectionRoute(ctx: RouteContext, call: Call, kind: StorageKind): Promise<void> {
  if (call.method === 'GET') {
    const { offset = 0, limit: asked = MAX_LIST_LIMIT, desc, unnamed } = parseQuery(listQuery, call.query);
    const limit = Math.min(asked, MAX_LIST_LIMIT);
    let all = await ctx.storages.list(kind);
    if (!unnamed) all = all.filter((m) => m.name !== undefined);
    all.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    if (desc) all.reverse();
    const page = all.slice(offset, offset + limit);
    const items = await Promise.all(page.map((m) => metadataJson(ctx, kind, m.id, m)));
    sendData(call.res, 200, { total: all.length, offset, limit, count: items.length, desc, items });
    return;
  }
  if (call.method === 'POST') {
    const name = call.query.get('name');
    const handle = name === null || name === '' ? await ctx.storages.create(kind, createStorageId()) : await ctx.storages.getOrCreate(kind, name);
    const metadata = await handle.getMetadata();
    sendData(call.res, 201, await metadataJson(ctx, kind, metadata.id, metadata));
    return;
  }
  methodNotAllowed(call);
}

async function storageRoute(ctx: RouteContext, call: Call, kind: StorageKind, ref: string): Promise<void> {
  const { id, handle } = await ctx.storages.resolve(kind, ref);
  if (call.method === 'GET') {
    const metadata = await handle.getMetadata();
    sendData(call.res, 200, await metadataJson(ctx, kind, id, metadata));
    return;
  }
  if (call.method === 'DELETE') {
    await handle.drop();
    ctx.storages.forget(kind, id);
    if (kind === 'requestQueue') ctx.queueClients.forget(id);
    sendEmpty(call.res);
    return;
  }
  methodNotAllowed(call);
}

// ---------------------------------------------------------------------------------------------
// Datasets

const itemsQuery = z.object({
  offset: queryCount,
  limit: queryCount,
  desc: queryBoolean,
  clean: queryBoolean,
  skipHidden: queryBoolean,
  skipEmpty: queryBoolean,
  fields: queryList,
  omit: queryList,
  unwind: queryList,
  flatten: queryList,
  format: z.enum(DATASET_EXPORT_FORMATS).optional(),
  attachment: queryBoolean,
  bom: queryOptionalBoolean,
  delimiter: z.string().optional(),
  skipHeaderRow: queryBoolean,
  xmlRoot: z.string().optional(),
  xmlRow: z.string().optional(),
  escapeFormulas: queryOptionalBoolean,
});

async function datasetRoute(ctx: RouteContext, call: Call, ref: string, rest: readonly string[]): Promise<void> {
  if (rest.length !== 1 || rest[0] !== 'items') notFoundRoute();
  const { id, handle } = await ctx.storages.resolve('dataset', ref);
  if (call.method === 'GET') {
    await sendDatasetItems(call, handle, id, parseQuery(itemsQuery, call.query));
    return;
  }
  if (call.method === 'POST') {
    const body = parseJsonBody(await readBody(call.req, ctx.maxBodyBytes));
    const jsonItems = serializeDatasetItems(body);
    if (jsonItems.length > 0) await handle.pushItems(jsonItems);
    sendEmpty(call.res, 201);
    return;
  }
  methodNotAllowed(call);
}

/**
 * The content type a record is served with: its own, or `application/octet-stream` when it cannot
 * be an HTTP header (a control or non-Latin-1 character, stored by another writer or before such
 * content types were refused): a stored record must not make every read of it a 500.
 */
function servableContentType(contentType: string): string {
  try {
    validateHeaderValue('content-type', contentType);
    return contentType;
  } catch {
    return 'application/octet-stream';
  }
}

/** Writes `chunk`, waiting while the client is slow to read; throws when the client went away. */
async function writeChunk(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.destroyed) throw new Error('The client closed the connection');
  if (res.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error('The client closed the connection'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** `2024-05-01_12-30-45-123`: a moment as a file name can hold it. */
function fileTimestamp(date: Date): string {
  return date.toISOString().replace('T', '_').replace(/[:.]/g, '-').replace(/Z$/, '');
}

/**
 * Answers a dataset items call in any format of the API (`format`: json, jsonl, csv, xlsx, xml,
 * html, rss, with every option of the API), through the export engine of `@x/core`. The items are
 * read a page at a time; an answer of more than one page is written as it is read (chunked), with
 * backpressure and a turn of the event loop between pages, so one large read neither holds every
 * item in memory nor keeps other clients waiting. Bad options, and items with too many columns for
 * CSV, XLSX or HTML, are a 400 before anything is sent. `X-Apify-Pagination-Count` is the number of
 * dataset positions the answer covers (as the Apify API counts it: items `clean`/`skipEmpty` drop
 * are counted). `attachment=1` adds `Content-Disposition: attachment` with a file name.
 */
async function sendDatasetItems(call: Call, handle: DatasetClient, id: string, q: z.output<typeof itemsQuery>): Promise<void> {
  const format = q.format ?? 'json';
  const named = q.attachment || format === 'html' || format === 'rss' ? await handle.getMetadata() : undefined;
  const label = named?.name ?? id;
  const exported = await exportDatasetItems(handle, {
    format,
    offset: q.offset,
    limit: q.limit,
    desc: q.desc,
    clean: q.clean,
    skipHidden: q.skipHidden,
    skipEmpty: q.skipEmpty,
    fields: q.fields,
    omit: q.omit,
    unwind: q.unwind,
    flatten: q.flatten,
    // The API's default: a byte order mark for CSV only.
    bom: q.bom ?? format === 'csv',
    delimiter: q.delimiter,
    skipHeaderRow: q.skipHeaderRow,
    xmlRoot: q.xmlRoot,
    xmlRow: q.xmlRow,
    escapeFormulas: q.escapeFormulas,
    title: `Dataset ${label}`,
    pageSize: DATASET_PAGE,
  });
  const headers: Record<string, string> = {
    'content-type': exported.contentType,
    'x-apify-pagination-offset': String(exported.offset),
    'x-apify-pagination-limit': String(q.limit ?? NO_LIMIT),
    'x-apify-pagination-count': String(exported.count),
    'x-apify-pagination-total': String(exported.total),
    'x-apify-pagination-desc': String(exported.desc),
    // Every value is escaped; a page of the server's origin still runs nothing it holds.
    ...(format === 'json' || format === 'jsonl' ? {} : { 'content-security-policy': 'sandbox' }),
    ...(q.attachment ? { 'content-disposition': `attachment; filename="dataset_${label}_${fileTimestamp(new Date())}.${exported.extension}"` } : {}),
  };
  const { res } = call;
  if (exported.count <= DATASET_PAGE) {
    // One page: sent whole, with its length.
    const body = await exported.toBuffer();
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(body);
    return;
  }
  res.writeHead(200, headers);
  for await (const chunk of exported) await writeChunk(res, chunk);
  res.end();
}

// ---------------------------------------------------------------------------------------------
// Key-value stores

const keysQuery = z.object({ exclusiveStartKey: z.string().optional(), prefix: z.string().optional(), limit: queryCount });

async function keyValueStoreRoute(ctx: RouteContext, call: Call, ref: string, rest: readonly string[]): Promise<void> {
  const [sub, key, ...more] = rest;
  if (sub === 'keys' && key === undefined) {
    if (call.method !== 'GET') methodNotAllowed(call);
    const { handle } = await ctx.storages.resolve('keyValueStore', ref);
    const q = parseQuery(keysQuery, call.query);
    const limit = Math.min(Math.max(q.limit ?? 1000, 1), 1000);
    const page = await handle.listKeys({
      limit,
      ...(q.exclusiveStartKey === undefined ? {} : { exclusiveStartKey: q.exclusiveStartKey }),
      ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
    });
    sendData(call.res, 200, {
      items: page.items.map((item) => ({ key: item.key, size: item.size, contentType: item.contentType })),
      count: page.items.length,
      limit,
      exclusiveStartKey: q.exclusiveStartKey ?? null,
      isTruncated: page.isTruncated,
      nextExclusiveStartKey: page.nextExclusiveStartKey ?? null,
    });
    return;
  }
  if (sub !== 'records' || key === undefined || more.length > 0) notFoundRoute();
  try {
    assertRecordKey(key);
  } catch (error) {
    throw invalidInput((error as Error).message);
  }
  const { handle } = await ctx.storages.resolve('keyValueStore', ref);
  switch (call.method) {
    case 'GET':
    case 'HEAD': {
      const record = await handle.getRecord(key);
      if (!record) throw recordNotFound(`Record "${key}" was not found`);
      const body = typeof record.body === 'string' ? Buffer.from(record.body, 'utf8') : record.body;
      call.res.writeHead(200, {
        'content-type': servableContentType(record.contentType),
        'content-length': body.length,
        // A stored page (text/html, image/svg+xml, …) never runs script with this server's origin.
        'content-security-policy': 'sandbox',
      });
      call.res.end(call.method === 'HEAD' ? undefined : body);
      return;
    }
    case 'PUT':
    case 'POST': {
      const given = call.req.headers['content-type'];
      // The same check as setValue's: a type that is no media type is refused before the body is read.
      const contentType = given === undefined || given.trim() === '' ? 'application/octet-stream' : assertContentType(given, key);
      const raw = await readBody(call.req, ctx.maxBodyBytes);
      let body: string | Buffer = raw;
      if (isJsonContentType(contentType) || isTextContentType(contentType)) body = raw.toString('utf8');
      if (isJsonContentType(contentType)) {
        try {
          JSON.parse(body as string);
        } catch (error) {
          throw invalidInput(`The body of record "${key}" is not valid JSON, but its content type is JSON: ${(error as Error).message}`);
        }
        if (jsonTextExceedsDepth(body as string)) {
          throw invalidInput(`The body of record "${key}" is JSON that nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
        }
      }
      await handle.setRecord({ key, body, contentType });
      sendEmpty(call.res, 201);
      return;
    }
    case 'DELETE':
      await handle.deleteRecord(key);
      sendEmpty(call.res);
      return;
    default:
      methodNotAllowed(call);
  }
}

// ---------------------------------------------------------------------------------------------
// Request queues

const placementQuery = z.object({ forefront: queryBoolean, clientKey: z.string().optional() }).loose();
const headQuery = z.object({ limit: queryCount, clientKey: z.string().optional() }).loose();
const lockQuery = z.object({ lockSecs: querySeconds, limit: queryCount, forefront: queryBoolean, clientKey: z.string().optional() }).loose();
const listRequestsQuery = z
  .object({ limit: queryCount, exclusiveStartId: z.string().optional(), cursor: z.string().optional(), filter: queryList, clientKey: z.string().optional() })
  .loose();

async function requestQueueRoute(ctx: RouteContext, call: Call, ref: string, rest: readonly string[]): Promise<void> {
  const { id: queueId, handle } = await ctx.storages.resolve('requestQueue', ref);
  const givenClientKey = call.query.get('clientKey') ?? undefined;
  ctx.queueClients.note(queueId, givenClientKey);
  // Callers without a key share the anonymous one: they may change what they locked, not what others hold.
  const clientKey = givenClientKey ?? ANONYMOUS_CLIENT_KEY;
  const [sub, requestId, action, ...more] = rest;
  const { res } = call;
  const queueModifiedAt = async (): Promise<string> => (await handle.getMetadata()).modifiedAt.toISOString();

  if (sub === 'head' && requestId === undefined && call.method === 'GET') {
    const q = parseQuery(headQuery, call.query);
    const limit = Math.min(q.limit ?? 100, MAX_HEAD_LIMIT);
    const items = await handle.listHead({ limit });
    sendData(res, 200, {
      limit,
      queueModifiedAt: await queueModifiedAt(),
      hadMultipleClients: ctx.queueClients.hadMultipleClients(queueId),
      queueHasLockedRequests: await handle.hasLockedRequests(),
      items,
    });
    return;
  }
  if (sub === 'head' && requestId === 'lock' && action === undefined) {
    if (call.method !== 'POST') methodNotAllowed(call);
    const q = parseQuery(lockQuery, call.query);
    const limit = Math.min(q.limit ?? 25, MAX_LOCK_HEAD_LIMIT);
    const lockSecs = q.lockSecs ?? DEFAULT_LOCK_SECS;
    const locked = limit === 0 ? undefined : await handle.listAndLockHead({ limit, lockSecs, clientKey });
    const lockExpiresAt = locked?.lockExpiresAt.toISOString();
    sendData(res, 201, {
      limit,
      lockSecs,
      queueModifiedAt: await queueModifiedAt(),
      hadMultipleClients: ctx.queueClients.hadMultipleClients(queueId),
      queueHasLockedRequests: locked?.queueHasLockedRequests ?? (await handle.hasLockedRequests()),
      clientKey: givenClientKey ?? null,
      items: (locked?.items ?? []).map((request) => ({ ...request, lockExpiresAt })),
    });
    return;
  }
  if (sub !== 'requests') notFoundRoute();

  if (requestId === undefined) {
    if (call.method === 'POST') {
      const { forefront } = parseQuery(placementQuery, call.query);
      const request = toRequestData(parseJsonBody(await readBody(call.req, ctx.maxBodyBytes)));
      const { processedRequests } = await handle.addRequests([request], { forefront });
      const result = processedRequests[0];
      if (!result) throw new ApiError(500, 'internal-server-error', 'The request was not added');
      sendData(res, result.wasAlreadyPresent ? 200 : 201, result);
      return;
    }
    if (call.method === 'GET') {
      const q = parseQuery(listRequestsQuery, call.query);
      const limit = Math.min(q.limit ?? 100, 10_000);
      const startId = q.cursor ?? q.exclusiveStartId;
      const filter = q.filter && [...new Set(q.filter)];
      for (const value of filter ?? []) {
        if (!(REQUEST_STATE_FILTERS as readonly string[]).includes(value)) {
          throw invalidInput(`filter takes ${REQUEST_STATE_FILTERS.join(', ')} (comma-separated), got ${JSON.stringify(value.slice(0, 40))}`);
        }
      }
      // One state (or all three, which is every request) is paged by the client itself; two are
      // read from the pages of every request and kept when they match.
      const only = filter?.length === 1 ? (filter[0] as RequestStateFilter) : undefined;
      const keepSome = filter !== undefined && filter.length === 2 ? filter : undefined;
      const collected: Record<string, unknown>[] = [];
      let after = startId;
      let more = true;
      // A filter can drop items of a page, so read on until the page is full or the queue ends.
      while (collected.length < limit && more) {
        const page = await handle.listRequests({
          limit: limit - collected.length,
          ...(after === undefined ? {} : { exclusiveStartId: after }),
          ...(only === undefined ? {} : { filter: only }),
        });
        for (const request of page.items) {
          const lockExpiresAt = page.lockExpiresAt.get(request.id);
          if (keepSome) {
            const state = request.handledAt !== undefined ? 'handled' : lockExpiresAt !== undefined ? 'locked' : 'pending';
            if (!keepSome.includes(state)) continue;
          }
          collected.push(lockExpiresAt ? { ...request, lockExpiresAt: lockExpiresAt.toISOString() } : { ...request });
        }
        after = page.nextExclusiveStartId;
        more = after !== undefined;
      }
      const last = collected.at(-1);
      sendData(res, 200, {
        items: collected,
        count: collected.length,
        limit,
        exclusiveStartId: startId ?? null,
        ...(more && last ? { nextCursor: String(last['id']) } : {}),
      });
      return;
    }
    methodNotAllowed(call);
  }

  if (requestId === 'batch' && action === undefined) {
    const body = parseJsonBody(await readBody(call.req, ctx.maxBodyBytes));
    if (!Array.isArray(body)) throw invalidInput('The body must be a JSON array of requests');
    if (body.length > MAX_BATCH) throw invalidInput(`A batch holds at most ${MAX_BATCH} requests, got ${body.length}`);
    if (call.method === 'POST') {
      const { forefront } = parseQuery(placementQuery, call.query);
      const requests = body.map((value, index) => toRequestData(value, `request at index ${index}`));
      const result = await handle.addRequests(requests, { forefront });
      sendData(res, 201, result);
      return;
    }
    if (call.method === 'DELETE') {
      const processedRequests: { id: string; uniqueKey: string }[] = [];
      const unprocessedRequests: unknown[] = [];
      for (const value of body) {
        const ref = value as { id?: unknown; uniqueKey?: unknown };
        let id = typeof ref?.id === 'string' ? ref.id : undefined;
        if (id === undefined && typeof ref?.uniqueKey === 'string') id = toRequestData({ url: 'https://x.invalid', uniqueKey: ref.uniqueKey }).id;
        if (id === undefined) {
          unprocessedRequests.push(value);
          continue;
        }
        const stored = await handle.getRequest(id);
        try {
          await handle.deleteRequest(id, { clientKey });
        } catch (error) {
          // A request another client holds stays; the caller learns which.
          if (!StorageError.is(error, 'locked')) throw error;
          unprocessedRequests.push(value);
          continue;
        }
        processedRequests.push({ id, uniqueKey: stored?.uniqueKey ?? String(ref.uniqueKey ?? '') });
      }
      sendData(res, 200, { processedRequests, unprocessedRequests });
      return;
    }
    methodNotAllowed(call);
  }

  if (requestId === 'unlock' && action === undefined) {
    if (call.method !== 'POST') methodNotAllowed(call);
    const unlockedCount = await handle.unlockRequests({ clientKey });
    sendData(res, 200, { unlockedCount });
    return;
  }

  if (more.length > 0) notFoundRoute();

  if (action === 'lock') {
    const q = parseQuery(lockQuery, call.query);
    if (call.method === 'PUT') {
      const { lockExpiresAt } = await handle.prolongRequestLock(requestId, { clientKey, lockSecs: q.lockSecs ?? DEFAULT_LOCK_SECS, forefront: q.forefront });
      sendData(res, 200, { lockExpiresAt: lockExpiresAt.toISOString() });
      return;
    }
    if (call.method === 'DELETE') {
      await handle.deleteRequestLock(requestId, { clientKey, forefront: q.forefront });
      sendEmpty(res);
      return;
    }
    methodNotAllowed(call);
  }
  if (action !== undefined) notFoundRoute();

  switch (call.method) {
    case 'GET': {
      const request = await handle.getRequest(requestId);
      if (!request) throw recordNotFound(`Request "${requestId}" was not found`);
      sendData(res, 200, request);
      return;
    }
    case 'PUT': {
      const { forefront } = parseQuery(placementQuery, call.query);
      const body = parseJsonBody(await readBody(call.req, ctx.maxBodyBytes));
      const request = toRequestData(body, 'request', requestId);
      sendData(res, 200, await handle.updateRequest(request, { forefront, clientKey }));
      return;
    }
    case 'DELETE':
      await handle.deleteRequest(requestId, { clientKey });
      sendEmpty(res);
      return;
    default:
      methodNotAllowed(call);
  }
}
