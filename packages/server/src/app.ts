import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { StorageError, createRecordSignature, type StorageClient } from '@x/core';
import { Hono, type Context } from 'hono';
import { METHOD_NAME_ALL } from 'hono/router';
import { PatternRouter } from 'hono/router/pattern-router';
import { TrieRouter } from 'hono/router/trie-router';
import { z } from 'zod';
import { methodNotAllowedError, registerApiRoutes, type RouteContext } from './api-routes.js';
import { ApiError, bodyTooLongToDiscard, discardBody, errorResponse, invalidInput, toApiError, type DiscardLimits } from './http-utils.js';

import { QueueClients } from './queue-clients.js';
import { valid } from './schemas.js';
import { headerOf, nodeOf, type ServerEnv } from './server-env.js';
import { Storages } from './storages.js';
import { UI_DIR, UI_HEADERS, readUiAsset } from './ui-assets.js';

export { API_CSP } from './http-utils.js';

/** Options of {@link createServerApp}: what the API serves and who may call it. */
export interface ServerAppOptions {
  /** The storage client that keeps the storages served (memory, fs, …). */
  readonly storageClient: StorageClient;
  /**
   * When set, every call must carry it (`Authorization: Bearer <token>` or `?token=`), or gets 401.
   * An empty token is an error. Without a token the server answers only requests sent to a
   * loopback name (`Host` localhost, 127.0.0.1 or [::1]) and refuses those a web page of another
   * origin sends (an `Origin` other than the server's own), so that a page in a browser on the
   * same machine can neither read nor write the storages.
   */
  readonly token?: string | undefined;
  /**
   * UNSAFE: listen on a non-loopback `host` without a token, so that anyone who reaches the
   * address reads and writes every storage. Off by default; only for a trusted network.
   */
  readonly allowUnauthenticatedRemoteAccess?: boolean | undefined;
  /** Largest request body, after decompression, in bytes; default 10 MiB. Larger ones get 413. */
  readonly maxBodyBytes?: number | undefined;
  /** Storage ids created on first use, like a run's default storages; default `['default']`. */
  readonly defaultStorageIds?: readonly string[] | undefined;
  /**
   * The folder of the storage browser's built files (`index.html`, `assets/`), served at `/`;
   * default the package's own `dist/ui`.
   */
  readonly uiDir?: string | undefined;
}

/**
 * The server's Hono app: the API v2 under `/v2` and the storage browser at `/`. Serve it with
 * `@hono/node-server` (as {@link startServer} does), whose node request and response it uses for
 * bodies and streamed exports; `app.request()` works too, on the Web `Request` alone.
 */
export type ServerApp = Hono<ServerEnv>;

/** The default largest request body: 10 MiB (a 9 MiB dataset item fits with room to spare). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** After an error answer, at most this long is spent dropping the rest of an unread body. */
const DISCARD_MAX_MS = 5_000;

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** True for a loopback address or name: `localhost`, 127.0.0.0/8, `::1` (with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  if (name.startsWith('::ffff:')) return isLoopbackHost(name.slice(7));
  return isIP(name) === 4 && name.startsWith('127.');
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), or undefined when malformed. */
function hostName(header: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::\d{1,5})?$/.exec(header.trim());
  return match?.[1];
}

/** A whole positive number option, or `fallback` when it is not given. */
export function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new StorageError('invalid-argument', `${name} must be a positive whole number, got ${String(value)}`);
  return value;
}

/** A raw path under `/v2` (empty segments are no segments, as Hono routes `//v2` and `/v2/`). */
const UNDER_V2 = /^\/+v2(?:\/|$)/;

/** A path segment that is `.` or `..`, also percent-encoded. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** The path of the request target as the client sent it (before any URL normalization). */
function rawPathOf(c: Context<ServerEnv>): string {
  const node = nodeOf(c);
  let target: string;
  if (node) target = node.incoming.url ?? '/';
  else {
    const url = c.req.url;
    target = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  }
  const queryAt = target.indexOf('?');
  return queryAt === -1 ? target : target.slice(0, queryAt);
}

/**
 * Refuses a path with a malformed percent-encoding, or a `.` or `..` segment (sent as is or
 * encoded): 400, never a path resolved to another resource.
 */
function assertPlainPath(rawPath: string): void {
  if (rawPath.includes('%')) {
    for (const segment of rawPath.split('/')) {
      try {
        decodeURIComponent(segment);
      } catch {
        throw invalidInput(`Invalid percent-encoding in path segment "${segment}"`);
      }
    }
  }
  if (DOT_SEGMENT.test(rawPath)) throw invalidInput('A path must not hold "." or ".." segments');
}

/** The segments of a raw path, decoded (the path is plain: see {@link assertPlainPath}). */
function pathSegments(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => decodeURIComponent(segment));
}

/**
 * Makes the server's Hono app over `options.storageClient`: the Apify API v2 storage endpoints
 * under `/v2` (datasets, key-value stores, request queues), each route declared once with the zod
 * schemas of its path and query parameters, and the storage browser's files at `/`, `/index.html`
 * and `/assets/*` (no token needed for them: the page asks for it and sends it to `/v2`).
 *
 * ```ts
 * const app = createServerApp({ storageClient: new MemoryStorageClient(), token: 'secret' });
 * const answer = await app.request('/v2/datasets', { headers: { authorization: 'Bearer secret' } });
 * ```
 */
export function createServerApp(options: ServerAppOptions): ServerApp {
  const { storageClient, token } = options;
  if ('urlSigningSecretKey' in options) {
    throw new StorageError(
      'invalid-argument',
      'The urlSigningSecretKey option is gone: every key-value store now has its own secret in its metadata, and signed record URLs are checked against it',
    );
  }
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) {
    throw new StorageError('invalid-argument', 'The token must not be empty: leave it out to serve without one (on a loopback address only)');
  }
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  // Without a token, the server is only for this machine: no DNS rebinding through a foreign Host.
  const checkHost = token === undefined && options.allowUnauthenticatedRemoteAccess !== true;
  const discardLimits: DiscardLimits = { maxBytes: Math.max(maxBodyBytes, 64 * 1024), maxMs: DISCARD_MAX_MS };
  const uiDir = options.uiDir ?? UI_DIR;
  const storages = new Storages(storageClient, options.defaultStorageIds ?? ['default']);
  const ctx: RouteContext = { storages, queueClients: new QueueClients(), maxBodyBytes };

  /** A GET or HEAD of a record with a `signature` made with its store's own secret. */
  async function validSignature(c: Context<ServerEnv>, signature: string): Promise<boolean> {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const [v2, collection, ref, sub, key, ...more] = pathSegments(rawPathOf(c));
    if (v2 !== 'v2' || collection !== 'key-value-stores' || ref === undefined || sub !== 'records' || key === undefined || more.length > 0) return false;
    let secret: string | undefined;
    try {
      // Never creates a store: a signature cannot be valid for a store that does not exist.
      const { handle } = await storages.resolve('keyValueStore', ref, { create: false });
      secret = (await handle.getMetadata()).urlSigningSecretKey;
    } catch {
      return false;
    }
    return secret !== undefined && safeEqual(signature, createRecordSignature(secret, key));
  }

  let loopbackHostSeen: string | undefined;
  /** Without a token: only loopback `Host` names, and no `Origin` but the server's own. */
  function assertSameMachine(c: Context<ServerEnv>): void {
    const hostHeader = headerOf(c, 'host');
    if (checkHost && (hostHeader === undefined || hostHeader !== loopbackHostSeen)) {
      const name = hostHeader === undefined ? undefined : hostName(hostHeader);
      if (name === undefined || !isLoopbackHost(name)) {
        throw new ApiError(403, 'insufficient-permissions', 'This server has no token and answers only requests addressed to localhost, 127.0.0.1 or [::1]');
      }
      // Clients send the same Host on every call: the last loopback one is not parsed again.
      loopbackHostSeen = hostHeader;
    }
    const origin = headerOf(c, 'origin');
    if (origin !== undefined && (hostHeader === undefined || origin.toLowerCase() !== `http://${hostHeader.trim().toLowerCase()}`)) {
      throw new ApiError(403, 'insufficient-permissions', 'This server has no token and refuses requests that web pages of other origins send');
    }
  }

  /** The answer to an error: the API's JSON error, after dropping (or giving up on) an unread body. */
  function answerError(c: Context<ServerEnv>, error: unknown): Response {
    const node = nodeOf(c);
    // A client that went away (mid-answer) needs no answer and is no server failure.
    if (node && (node.outgoing.destroyed || node.incoming.socket.destroyed)) return RESPONSE_ALREADY_SENT;
    const apiError = toApiError(error);
    if (apiError.status >= 500) process.emitWarning(`@x/server: ${(error as Error)?.stack ?? String(error)}`);
    if (node) {
      if (node.outgoing.headersSent) {
        // Failed mid-answer (a streamed export): the client sees the connection cut, never a complete answer.
        node.outgoing.destroy();
        return RESPONSE_ALREADY_SENT;
      }
      if (!node.incoming.complete) {
        // The body was not read whole: drop the rest so the connection can carry the next request,
        // or, when that is more than we drop, say that the connection closes after this answer.
        if (bodyTooLongToDiscard(node.incoming, discardLimits)) node.outgoing.setHeader('connection', 'close');
        else discardBody(node.incoming, discardLimits);
      }
    }
    return errorResponse(apiError);
  }

  /** Whether a call carries the server's token (header or query), or a valid signature for the record it reads. */
  async function assertAuthorized(c: Context<ServerEnv>, token: string): Promise<void> {
    const header = headerOf(c, 'authorization');
    if (header !== undefined && /^Bearer /i.test(header) && safeEqual(header.slice(7).trim(), token)) return;
    const queryToken = c.req.query('token');
    if (queryToken !== undefined && safeEqual(queryToken, token)) return;
    // A signed record URL reads its record without the token.
    const signature = c.req.query('signature');
    if (signature !== undefined && (await validSignature(c, signature))) return;
    // Say which of the two it is: no token at all, or a token that is not the server's.
    const tokenGiven = header !== undefined || queryToken !== undefined;
    throw new ApiError(
      401,
      'token-not-valid',
      tokenGiven
        ? 'Authentication token is not valid: the token sent (Authorization header or ?token=) is not the one this server requires.'
        : 'Authentication token was not provided: send it as "Authorization: Bearer <token>" or as ?token=<token>.',
    );
  }

  // PatternRouter: Hono's RegExpRouter cannot hold `/requests/batch` beside `/requests/:requestId`
  // (SmartRouter would fall back to the TrieRouter), and on these routes PatternRouter matches in
  // about half the TrieRouter's time.
  const app = new Hono<ServerEnv>({ strict: false, router: new PatternRouter() });
  app.onError((error, c) => answerError(c, error));

  // Every call: the same-machine rule, a plain path, and under /v2 the token (or a signed record
  // URL) before anything else. (The headers of every answer, API_HEADERS or the storage browser's,
  // are in each answer's own.)
  app.use(async (c, next) => {
    if (token === undefined) assertSameMachine(c);
    const rawPath = rawPathOf(c);
    assertPlainPath(rawPath);
    if (token !== undefined && UNDER_V2.test(rawPath)) await assertAuthorized(c, token);
    await next();
  });

  // The API: each route with the schemas of its parameters.
  const apiRoutes = new TrieRouter<true>();
  for (const path of registerApiRoutes(app, ctx)) apiRoutes.add(METHOD_NAME_ALL, path, true);
  app.notFound((c) => {
    // A route's path with a method none of its handlers takes (HEAD of a route without GET too).
    if (apiRoutes.match(METHOD_NAME_ALL, c.req.path)[0].length > 0) return answerError(c, methodNotAllowedError(c.req.method));
    const underV2 = UNDER_V2.test(rawPathOf(c));
    return answerError(c, new ApiError(404, 'page-not-found', underV2 ? 'This API endpoint does not exist' : 'This API endpoint does not exist; the API is under /v2'));
  });

  // The storage browser: GET and HEAD of its files, no token needed.
  const uiFile = async (pathname: string): Promise<Response | undefined> => {
    const asset = await readUiAsset(pathname, uiDir);
    if (asset === undefined) return undefined;
    return new Response(asset.body, {
      status: 200,
      headers: { ...UI_HEADERS, 'content-type': asset.contentType, 'content-length': String(asset.body.length), 'cache-control': asset.cacheControl },
    });
  };
  app.get('/', async (c) => {
    const answer = await uiFile('/');
    if (answer) return answer;
    throw new ApiError(404, 'page-not-found', 'The storage browser is not built here (run the package build); the API is under /v2');
  });
  app.get('/index.html', async (c) => (await uiFile('/index.html')) ?? c.notFound());
  app.get('/assets/:name', valid({ param: z.object({ name: z.string() }) }), async (c) => (await uiFile(`/assets/${c.req.valid('param').name}`)) ?? c.notFound());
  return app;
}
