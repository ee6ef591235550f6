import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { StorageError, createRecordSignature, type StorageClient } from '@x/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from 'fastify';
import FindMyWay from 'find-my-way';
import { z } from 'zod';
import { methodNotAllowedError, registerApiRoutes, type RouteContext } from './api-routes.js';
import { ApiError, bodyTooLongToDiscard, discardBody, invalidInput, sendError, sendWhole, setBodyHeadersAside, toApiError, type DiscardLimits } from './http-utils.js';
import { QueueClients } from './queue-clients.js';
import { parseQueryString, zodValidatorCompiler, type ZodTypeProvider } from './schemas.js';
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
 * The server's Fastify app: the API v2 under `/v2` and the storage browser at `/`.
 * {@link startServer} serves it on a node HTTP server (`app.routing`); `app.inject()` answers a
 * request without one, as tests do.
 */
export type ServerApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

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

/** A raw path under `/v2` (empty segments are no segments, as the router takes `//v2` and `/v2/`). */
const UNDER_V2 = /^\/+v2(?:\/|$)/;

/** A path segment that is `.` or `..`, also percent-encoded. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** The path of the request target as the client sent it (before any URL normalization). */
function rawPathOf(request: FastifyRequest): string {
  const target = request.raw.url ?? '/';
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
 * Makes the server's Fastify app over `options.storageClient`: the Apify API v2 storage endpoints
 * under `/v2` (datasets, key-value stores, request queues), each route declared once with the zod
 * schemas of its path and query parameters, and the storage browser's files at `/`, `/index.html`
 * and `/assets/*` (no token needed for them: the page asks for it and sends it to `/v2`).
 *
 * ```ts
 * const app = createServerApp({ storageClient: new MemoryStorageClient(), token: 'secret' });
 * const answer = await app.inject({ url: '/v2/datasets', headers: { authorization: 'Bearer secret' } });
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
  async function validSignature(request: FastifyRequest, signature: string): Promise<boolean> {
    const method = request.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const [v2, collection, ref, sub, key, ...more] = pathSegments(rawPathOf(request));
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
  function assertSameMachine(request: FastifyRequest): void {
    const hostHeader = request.headers.host;
    if (checkHost && (hostHeader === undefined || hostHeader !== loopbackHostSeen)) {
      const name = hostHeader === undefined ? undefined : hostName(hostHeader);
      if (name === undefined || !isLoopbackHost(name)) {
        throw new ApiError(403, 'insufficient-permissions', 'This server has no token and answers only requests addressed to localhost, 127.0.0.1 or [::1]');
      }
      // Clients send the same Host on every call: the last loopback one is not parsed again.
      loopbackHostSeen = hostHeader;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && (hostHeader === undefined || origin.toLowerCase() !== `http://${hostHeader.trim().toLowerCase()}`)) {
      throw new ApiError(403, 'insufficient-permissions', 'This server has no token and refuses requests that web pages of other origins send');
    }
  }

  /** Answers an error: the API's JSON error, after dropping (or giving up on) an unread body. */
  function answerError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply | undefined {
    const { raw: incoming } = request;
    const outgoing = reply.raw;
    // A client that went away (mid-answer) needs no answer and is no server failure.
    if (outgoing.destroyed || incoming.socket.destroyed) return undefined;
    const apiError = frameworkApiError(error) ?? toApiError(error);
    if (apiError.status >= 500) process.emitWarning(`@x/server: ${(error as Error)?.stack ?? String(error)}`);
    if (outgoing.headersSent) {
      // Failed mid-answer: the client sees the connection cut, never a complete answer.
      outgoing.destroy();
      return undefined;
    }
    if (!incoming.complete) {
      // The body was not read whole: drop the rest so the connection can carry the next request,
      // or, when that is more than we drop, say that the connection closes after this answer.
      if (bodyTooLongToDiscard(incoming, discardLimits)) outgoing.setHeader('connection', 'close');
      else discardBody(incoming, discardLimits);
    }
    return sendError(reply, apiError);
  }

  /** Whether a call carries the server's token (header or query), or a valid signature for the record it reads. */
  async function assertAuthorized(request: FastifyRequest, token: string): Promise<void> {
    const header = request.headers.authorization;
    if (header !== undefined && /^Bearer /i.test(header) && safeEqual(header.slice(7).trim(), token)) return;
    const query = request.query as Record<string, string | undefined>;
    const queryToken = query['token'];
    if (queryToken !== undefined && safeEqual(queryToken, token)) return;
    // A signed record URL reads its record without the token.
    const signature = query['signature'];
    if (signature !== undefined && (await validSignature(request, signature))) return;
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

  const app: ServerApp = Fastify({
    // No logger: errors of the storage are emitted as process warnings (see answerError).
    logger: false,
    // HEAD only where it is declared (records, the storage browser's files); elsewhere 405.
    exposeHeadRoutes: false,
    routerOptions: {
      // `/v2/datasets/` and `//v2/datasets` are `/v2/datasets`.
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      // Path parameters are record keys and request ids; node's header limit bounds the URL.
      maxParamLength: 64 * 1024,
      // A repeated query parameter counts with its last value.
      querystringParser: parseQueryString,
    },
    // Answers of the router itself (a malformed percent-encoding): the API's 400.
    frameworkErrors: (error, request, reply) => {
      answerError(request, reply, error);
    },
  }).withTypeProvider();
  app.setValidatorCompiler(zodValidatorCompiler);
  // Bodies are read by the routes themselves (decoded, within maxBodyBytes): Fastify's parsers never
  // see one (see setBodyHeadersAside), and none is registered.
  app.removeAllContentTypeParsers();
  app.setErrorHandler((error, request, reply) => {
    answerError(request, reply, error);
  });

  // Every call: the same-machine rule, a plain path, and under /v2 the token (or a signed record
  // URL) before anything else. (The headers of every answer, API_HEADERS or the storage browser's,
  // are in each answer's own.)
  app.addHook('onRequest', (request, _reply, done) => {
    setBodyHeadersAside(request.raw);
    try {
      if (token === undefined) assertSameMachine(request);
      const rawPath = rawPathOf(request);
      assertPlainPath(rawPath);
      if (token !== undefined && UNDER_V2.test(rawPath)) {
        assertAuthorized(request, token).then(() => done(), done);
        return;
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });

  // The API: each route with the schemas of its parameters.
  const apiRoutes = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 64 * 1024 });
  for (const path of registerApiRoutes(app, ctx)) apiRoutes.on('GET', path, () => {});
  app.setNotFoundHandler((request, reply) => {
    // A route's path with a method none of its handlers takes (HEAD of a route without GET too).
    const path = rawPathOf(request);
    if (apiRoutes.find('GET', path) !== null) return answerError(request, reply, methodNotAllowedError(request.method));
    const underV2 = UNDER_V2.test(path);
    return answerError(request, reply, new ApiError(404, 'page-not-found', underV2 ? 'This API endpoint does not exist' : 'This API endpoint does not exist; the API is under /v2'));
  });

  // The storage browser: GET and HEAD of its files, no token needed.
  const sendUiFile = async (pathname: string, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const asset = await readUiAsset(pathname, uiDir);
    if (asset === undefined) return undefined;
    return sendWhole(reply, 200, { ...UI_HEADERS, 'content-type': asset.contentType, 'cache-control': asset.cacheControl }, asset.body);
  };
  app.route({
    method: ['GET', 'HEAD'],
    url: '/',
    handler: async (_request, reply) => {
      const answer = await sendUiFile('/', reply);
      if (answer) return answer;
      throw new ApiError(404, 'page-not-found', 'The storage browser is not built here (run the package build); the API is under /v2');
    },
  });
  // A file that is not there gets the app's not-found answer.
  app.route({ method: ['GET', 'HEAD'], url: '/index.html', handler: async (_request, reply) => (await sendUiFile('/index.html', reply)) ?? reply.callNotFound() });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/assets/:name',
    schema: { params: z.object({ name: z.string() }) },
    handler: async (request, reply) => (await sendUiFile(`/assets/${request.params.name}`, reply)) ?? reply.callNotFound(),
  });
  return app;
}

/** The API error of an error Fastify itself raises (a 4xx of its own), if it is one. */
function frameworkApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return undefined;
  const { code, statusCode, message } = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  return new ApiError(statusCode, 'invalid-input', `Invalid request: ${String(message)}`);
}
