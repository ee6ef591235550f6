import { validateHeaderValue, type ServerResponse } from 'node:http';
import {
  ANONYMOUS_CLIENT_KEY,
  DATASET_EXPORT_FORMATS,
  MAX_JSON_DEPTH,
  REQUEST_STATE_FILTERS,
  StorageError,
  assertContentType,
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { datasetJson, keyValueStoreJson, requestQueueJson, toRequestData } from './api-models.js';
import { API_HEADERS, ApiError, bodyHeadersOf, invalidInput, parseJsonBody, readBody, recordNotFound, sendData, sendEmpty, sendWhole } from './http-utils.js';
import type { ServerApp } from './app.js';
import { queryBoolean, queryCount, queryList, queryOptionalBoolean, querySeconds, recordKey, storageRef } from './schemas.js';
import type { QueueClients } from './queue-clients.js';
import type { Storages } from './storages.js';

/** What the route handlers share. */
export interface RouteContext {
  readonly storages: Storages;
  readonly queueClients: QueueClients;
  readonly maxBodyBytes: number;
}

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



/** 405 `method-not-allowed`: the path is a route's, the method none of its. */
export function methodNotAllowedError(method: string): ApiError {
  return new ApiError(405, 'method-not-allowed', `${method} is not allowed on this resource`);
}

/** The `Content-Type` the request came with (see {@link setBodyHeadersAside}). */
function bodyContentType(request: FastifyRequest): string | undefined {
  return bodyHeadersOf(request.raw).contentType;
}

/** The request's body, read whole (decoded, within `limit` bytes: see {@link readBody}). */
function requestBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  return readBody(request.raw, limit);
}

// Path parameters of each level.
const storageParams = z.object({ storageId: storageRef });
const recordParams = z.object({ storageId: storageRef, key: recordKey });
const requestParams = z.object({ storageId: storageRef, requestId: z.string() });

// Query parameters of each route.
const listQuery = z.object({ offset: queryCount, limit: queryCount, desc: queryBoolean, unnamed: queryBoolean });
const createQuery = z.object({ name: z.string().optional() });
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
const keysQuery = z.object({ exclusiveStartKey: z.string().optional(), prefix: z.string().optional(), limit: queryCount });
const clientQuery = z.object({ clientKey: z.string().optional() }).loose();
const placementQuery = z.object({ forefront: queryBoolean, clientKey: z.string().optional() }).loose();
const headQuery = z.object({ limit: queryCount, clientKey: z.string().optional() }).loose();
const lockQuery = z.object({ lockSecs: querySeconds, limit: queryCount, forefront: queryBoolean, clientKey: z.string().optional() }).loose();
const listRequestsQuery = z
  .object({ limit: queryCount, exclusiveStartId: z.string().optional(), cursor: z.string().optional(), filter: queryList, clientKey: z.string().optional() })
  .loose();

const COLLECTIONS: readonly (readonly [string, StorageKind])[] = [
  ['datasets', 'dataset'],
  ['key-value-stores', 'keyValueStore'],
  ['request-queues', 'requestQueue'],
];

/**
 * Declares every route of the API v2 on `app`, each with the schemas of its parameters. Returns
 * the routes' paths: another method on one of them is a 405 (see the app's not-found answer).
 */
export function registerApiRoutes(app: ServerApp, ctx: RouteContext): string[] {
  const paths = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v2/')) paths.add(route.url);
  });
  async function metadataJson(kind: StorageKind, id: string, metadata: unknown): Promise<Record<string, unknown>> {
    switch (kind) {
      case 'dataset':
        return datasetJson(metadata as Parameters<typeof datasetJson>[0]);
      case 'keyValueStore':
        return keyValueStoreJson(metadata as Parameters<typeof keyValueStoreJson>[0]);
      default:
        return requestQueueJson(metadata as Parameters<typeof requestQueueJson>[0], ctx.queueClients.hadMultipleClients(id));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Collections and storages

  for (const [segment, kind] of COLLECTIONS) {
    const collection = `/v2/${segment}`;
    app.get(
      collection,
      { schema: { querystring: listQuery } },
      async (request, reply) => {
        const { offset = 0, limit: asked = MAX_LIST_LIMIT, desc, unnamed } = request.query;
        const limit = Math.min(asked, MAX_LIST_LIMIT);
        let all = await ctx.storages.list(kind);
        if (!unnamed) all = all.filter((m) => m.name !== undefined);
        all.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
        if (desc) all.reverse();
        const page = all.slice(offset, offset + limit);
        const items = await Promise.all(page.map((m) => metadataJson(kind, m.id, m)));
        return sendData(reply, 200, { total: all.length, offset, limit, count: items.length, desc, items });
      },
    );
    app.post(collection, { schema: { querystring: createQuery } }, async (request, reply) => {
      const { name } = request.query;
      const handle = name === undefined || name === '' ? await ctx.storages.create(kind, createStorageId()) : await ctx.storages.getOrCreate(kind, name);
      const metadata = await handle.getMetadata();
      return sendData(reply, 201, await metadataJson(kind, metadata.id, metadata));
    });

    const storage = `${collection}/:storageId`;
    app.get(
      storage,
      { schema: { params: storageParams } },
      async (request, reply) => {
        const { id, handle } = await ctx.storages.resolve(kind, request.params.storageId);
        return sendData(reply, 200, await metadataJson(kind, id, await handle.getMetadata()));
      },
    );
    app.delete(storage, { schema: { params: storageParams } }, async (request, reply) => {
      const { id, handle } = await ctx.storages.resolve(kind, request.params.storageId);
      await handle.drop();
      ctx.storages.forget(kind, id);
      if (kind === 'requestQueue') ctx.queueClients.forget(id);
      return sendEmpty(reply);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Datasets

  const items = '/v2/datasets/:storageId/items';
  app.get(
    items,
    { schema: { params: storageParams, querystring: itemsQuery } },
    async (request, reply) => {
      const { id, handle } = await ctx.storages.resolve('dataset', request.params.storageId);
      return datasetItemsAnswer(reply, handle, id, request.query);
    },
  );
  app.post(items, { schema: { params: storageParams } }, async (request, reply) => {
    const { handle } = await ctx.storages.resolve('dataset', request.params.storageId);
    const jsonItems = serializeDatasetItems(parseJsonBody(await requestBody(request, ctx.maxBodyBytes)));
    if (jsonItems.length > 0) await handle.pushItems(jsonItems);
    return sendEmpty(reply, 201);
  });

  // -------------------------------------------------------------------------------------------
  // Key-value stores

  const keys = '/v2/key-value-stores/:storageId/keys';
  app.get(
    keys,
    { schema: { params: storageParams, querystring: keysQuery } },
    async (request, reply) => {
      const { handle } = await ctx.storages.resolve('keyValueStore', request.params.storageId);
      const q = request.query;
      const limit = Math.min(Math.max(q.limit ?? 1000, 1), 1000);
      const page = await handle.listKeys({
      limit,
      ...(q.exclusiveStartKey === undefined ? {} : { exclusiveStartKey: q.exclusiveStartKey }),
      ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
      });
      return sendData(reply, 200, {
      items: page.items.map((item) => ({ key: item.key, size: item.size, contentType: item.contentType })),
      count: page.items.length,
      limit,
      exclusiveStartKey: q.exclusiveStartKey ?? null,
      isTruncated: page.isTruncated,
      nextExclusiveStartKey: page.nextExclusiveStartKey ?? null,
      });
    },
  );

  const record = '/v2/key-value-stores/:storageId/records/:key';
  // GET and HEAD (node sends a HEAD answer's headers without the body). HEAD is declared only
  // here and on the storage browser's files; elsewhere it is a 405.
  app.route({ method: ['GET', 'HEAD'], url: record, schema: { params: recordParams }, handler: async (request, reply) => {
    const { storageId, key } = request.params;
    const { handle } = await ctx.storages.resolve('keyValueStore', storageId);
    const found = await handle.getRecord(key);
    if (!found) throw recordNotFound(`Record "${key}" was not found`);
    const body = typeof found.body === 'string' ? Buffer.from(found.body, 'utf8') : found.body;
    // A stored page (text/html, image/svg+xml, …) runs nothing: every /v2 answer carries the API's sandboxing CSP.
    return sendWhole(reply, 200, { ...API_HEADERS, 'content-type': servableContentType(found.contentType) }, body);
  } });
  app.route({ method: ['PUT', 'POST'], url: record, schema: { params: recordParams }, handler: async (request, reply) => {
    const { storageId, key } = request.params;
    const { handle } = await ctx.storages.resolve('keyValueStore', storageId);
    const given = bodyContentType(request);
    // The same check as setValue's: a type that is no media type is refused before the body is read.
    const contentType = given === undefined || given.trim() === '' ? 'application/octet-stream' : assertContentType(given, key);
    const raw = await requestBody(request, ctx.maxBodyBytes);
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
    return sendEmpty(reply, 201);
  } });
  app.delete(record, { schema: { params: recordParams } }, async (request, reply) => {
    const { storageId, key } = request.params;
    const { handle } = await ctx.storages.resolve('keyValueStore', storageId);
    await handle.deleteRecord(key);
    return sendEmpty(reply);
  });

  // -------------------------------------------------------------------------------------------
  // Request queues

  /**
   * The queue of a call, and the client key it gave: noted for `hadMultipleClients`; callers
   * without a key share the anonymous one (they may change what they locked, not what others hold).
   */
  async function openQueue(ref: string, givenClientKey: string | undefined) {
    const { id, handle } = await ctx.storages.resolve('requestQueue', ref);
    ctx.queueClients.note(id, givenClientKey);
    return { id, handle, givenClientKey, clientKey: givenClientKey ?? ANONYMOUS_CLIENT_KEY };
  }
  const queueModifiedAt = async (handle: { getMetadata(): Promise<{ modifiedAt: Date }> }): Promise<string> => (await handle.getMetadata()).modifiedAt.toISOString();

  const head = '/v2/request-queues/:storageId/head';
  app.get(
    head,
    { schema: { params: storageParams, querystring: headQuery } },
    async (request, reply) => {
      const { id, handle } = await openQueue(request.params.storageId, request.query.clientKey);
      const limit = Math.min(request.query.limit ?? 100, MAX_HEAD_LIMIT);
      const listed = await handle.listHead({ limit });
      return sendData(reply, 200, {
      limit,
      queueModifiedAt: await queueModifiedAt(handle),
      hadMultipleClients: ctx.queueClients.hadMultipleClients(id),
      queueHasLockedRequests: await handle.hasLockedRequests(),
      items: listed,
      });
    },
  );

  const headLock = '/v2/request-queues/:storageId/head/lock';
  app.post(headLock, { schema: { params: storageParams, querystring: lockQuery } }, async (request, reply) => {
    const { id, handle, givenClientKey, clientKey } = await openQueue(request.params.storageId, request.query.clientKey);
    const q = request.query;
    const limit = Math.min(q.limit ?? 25, MAX_LOCK_HEAD_LIMIT);
    const lockSecs = q.lockSecs ?? DEFAULT_LOCK_SECS;
    const locked = limit === 0 ? undefined : await handle.listAndLockHead({ limit, lockSecs, clientKey });
    const lockExpiresAt = locked?.lockExpiresAt.toISOString();
    return sendData(reply, 201, {
      limit,
      lockSecs,
      queueModifiedAt: await queueModifiedAt(handle),
      hadMultipleClients: ctx.queueClients.hadMultipleClients(id),
      queueHasLockedRequests: locked?.queueHasLockedRequests ?? (await handle.hasLockedRequests()),
      clientKey: givenClientKey ?? null,
      items: (locked?.items ?? []).map((request) => ({ ...request, lockExpiresAt })),
    });
  });

  const requests = '/v2/request-queues/:storageId/requests';
  app.post(requests, { schema: { params: storageParams, querystring: placementQuery } }, async (request, reply) => {
    const { handle } = await openQueue(request.params.storageId, request.query.clientKey);
    const { forefront } = request.query;
    const added = toRequestData(parseJsonBody(await requestBody(request, ctx.maxBodyBytes)));
    const { processedRequests } = await handle.addRequests([added], { forefront });
    const result = processedRequests[0];
    if (!result) throw new ApiError(500, 'internal-server-error', 'The request was not added');
    return sendData(reply, result.wasAlreadyPresent ? 200 : 201, result);
  });
  app.get(
    requests,
    { schema: { params: storageParams, querystring: listRequestsQuery } },
    async (request, reply) => {
      const { handle } = await openQueue(request.params.storageId, request.query.clientKey);
      const q = request.query;
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
      return sendData(reply, 200, {
      items: collected,
      count: collected.length,
      limit,
      exclusiveStartId: startId ?? null,
      ...(more && last ? { nextCursor: String(last['id']) } : {}),
      });
    },
  );

  /** The body of a batch call: a JSON array of at most {@link MAX_BATCH} values. */
  async function batchBody(request: FastifyRequest): Promise<unknown[]> {
    const body = parseJsonBody(await requestBody(request, ctx.maxBodyBytes));
    if (!Array.isArray(body)) throw invalidInput('The body must be a JSON array of requests');
    if (body.length > MAX_BATCH) throw invalidInput(`A batch holds at most ${MAX_BATCH} requests, got ${body.length}`);
    return body;
  }

  const batch = '/v2/request-queues/:storageId/requests/batch';
  app.post(batch, { schema: { params: storageParams, querystring: placementQuery } }, async (request, reply) => {
    const { handle } = await openQueue(request.params.storageId, request.query.clientKey);
    const body = await batchBody(request);
    const { forefront } = request.query;
    const added = body.map((value, index) => toRequestData(value, `request at index ${index}`));
    return sendData(reply, 201, await handle.addRequests(added, { forefront }));
  });
  app.delete(batch, { schema: { params: storageParams, querystring: clientQuery } }, async (request, reply) => {
    const { handle, clientKey } = await openQueue(request.params.storageId, request.query.clientKey);
    const body = await batchBody(request);
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
    return sendData(reply, 200, { processedRequests, unprocessedRequests });
  });

  const unlock = '/v2/request-queues/:storageId/requests/unlock';
  app.post(unlock, { schema: { params: storageParams, querystring: clientQuery } }, async (request, reply) => {
    const { handle, clientKey } = await openQueue(request.params.storageId, request.query.clientKey);
    return sendData(reply, 200, { unlockedCount: await handle.unlockRequests({ clientKey }) });
  });

  const requestLock = '/v2/request-queues/:storageId/requests/:requestId/lock';
  app.put(requestLock, { schema: { params: requestParams, querystring: lockQuery } }, async (request, reply) => {
    const { storageId, requestId } = request.params;
    const { handle, clientKey } = await openQueue(storageId, request.query.clientKey);
    const q = request.query;
    const { lockExpiresAt } = await handle.prolongRequestLock(requestId, { clientKey, lockSecs: q.lockSecs ?? DEFAULT_LOCK_SECS, forefront: q.forefront });
    return sendData(reply, 200, { lockExpiresAt: lockExpiresAt.toISOString() });
  });
  app.delete(requestLock, { schema: { params: requestParams, querystring: lockQuery } }, async (request, reply) => {
    const { storageId, requestId } = request.params;
    const { handle, clientKey } = await openQueue(storageId, request.query.clientKey);
    await handle.deleteRequestLock(requestId, { clientKey, forefront: request.query.forefront });
    return sendEmpty(reply);
  });

  const requestPath = '/v2/request-queues/:storageId/requests/:requestId';
  app.get(
    requestPath,
    { schema: { params: requestParams, querystring: clientQuery } },
    async (request, reply) => {
      const { storageId, requestId } = request.params;
      const { handle } = await openQueue(storageId, request.query.clientKey);
      const found = await handle.getRequest(requestId);
      if (!found) throw recordNotFound(`Request "${requestId}" was not found`);
      return sendData(reply, 200, found);
    },
  );
  app.put(requestPath, { schema: { params: requestParams, querystring: placementQuery } }, async (request, reply) => {
    const { storageId, requestId } = request.params;
    const { handle, clientKey } = await openQueue(storageId, request.query.clientKey);
    const { forefront } = request.query;
    const updated = toRequestData(parseJsonBody(await requestBody(request, ctx.maxBodyBytes)), 'request', requestId);
    return sendData(reply, 200, await handle.updateRequest(updated, { forefront, clientKey }));
  });
  app.delete(requestPath, { schema: { params: requestParams, querystring: clientQuery } }, async (request, reply) => {
    const { storageId, requestId } = request.params;
    const { handle, clientKey } = await openQueue(storageId, request.query.clientKey);
    await handle.deleteRequest(requestId, { clientKey });
    return sendEmpty(reply);
  });

  return [...paths];
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

const CLIENT_GONE = 'The client closed the connection';

/** Writes `chunk`, waiting while the client is slow to read; throws when the client went away. */
async function writeChunk(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.destroyed) throw new Error(CLIENT_GONE);
  if (res.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error(CLIENT_GONE));
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
async function datasetItemsAnswer(reply: FastifyReply, handle: DatasetClient, id: string, q: z.output<typeof itemsQuery>): Promise<FastifyReply> {
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
  // Every value is escaped, and every /v2 answer carries the API's sandboxing CSP: an HTML or
  // RSS export opened in the server's origin runs nothing it holds.
  const headers: Record<string, string> = {
    ...API_HEADERS,
    'content-type': exported.contentType,
    'x-apify-pagination-offset': String(exported.offset),
    'x-apify-pagination-limit': String(q.limit ?? NO_LIMIT),
    'x-apify-pagination-count': String(exported.count),
    'x-apify-pagination-total': String(exported.total),
    'x-apify-pagination-desc': String(exported.desc),
    ...(q.attachment ? { 'content-disposition': `attachment; filename="dataset_${label}_${fileTimestamp(new Date())}.${exported.extension}"` } : {}),
  };
  if (exported.count <= DATASET_PAGE) {
    // One page: sent whole, with its length.
    return sendWhole(reply, 200, headers, await exported.toBuffer());
  }
  // Written straight to the node response: backpressure, and a client that goes away ends the
  // export. A failure mid-answer cuts the connection: the client never sees a complete answer.
  reply.hijack();
  const res = reply.raw;
  try {
    res.writeHead(200, headers);
    for await (const chunk of exported) await writeChunk(res, chunk);
    res.end();
  } catch (error) {
    res.destroy();
    if (!(error instanceof Error && error.message === CLIENT_GONE)) process.emitWarning(`@x/server: ${(error as Error)?.stack ?? String(error)}`);
  }
  return reply;
}
