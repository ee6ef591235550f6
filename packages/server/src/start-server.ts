import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { StorageError, createRecordSignature, type StorageClient } from '@x/core';
import { ApiError, bodyTooLongToDiscard, discardBody, invalidInput, sendError, toApiError, type DiscardLimits } from './http-utils.js';
import { UI_HEADERS, readUiAsset } from './ui-assets.js';
import { QueueClients } from './queue-clients.js';
import { route, type Call, type RouteContext } from './routes.js';
import { Storages } from './storages.js';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** The storage client that keeps the storages served (memory, fs, …). */
  readonly storageClient: StorageClient;
  /** Port to listen on; 0 or omitted picks a free one. */
  readonly port?: number | undefined;
  /**
   * Address to listen on; default `127.0.0.1` (loopback only). An address other than a loopback
   * one needs a `token`, or `allowUnauthenticatedRemoteAccess: true`.
   */
  readonly host?: string | undefined;
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
  /** Time a client has to send the request headers, in ms; default 20 s (Node's `headersTimeout`). */
  readonly headersTimeoutMs?: number | undefined;
  /** Time a client has to send a whole request, body included, in ms; default 120 s (Node's `requestTimeout`); then 408. */
  readonly requestTimeoutMs?: number | undefined;
  /** Time an idle keep-alive connection is kept open, in ms; default 15 s. */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** Most connections open at once; further ones are closed as they come; default 512. */
  readonly maxConnections?: number | undefined;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, such as `http://127.0.0.1:8787`; the API is under `${url}/v2`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** HTTP requests answered so far (for request counts per operation). */
  readonly requestCount: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The default largest request body: 10 MiB (a 9 MiB dataset item fits with room to spare). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The default time to send the request headers: 20 s. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
/** The default time to send a whole request: 120 s (10 MiB at under 100 KB/s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** The default time an idle keep-alive connection stays open: 15 s. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 15_000;
/** The default most connections open at once: 512. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** After an error answer, at most this long is spent dropping the rest of an unread body. */
const DISCARD_MAX_MS = 5_000;

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Splits the raw path into decoded segments; dot segments are kept, so they fail validation. */
function splitPath(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw invalidInput(`Invalid percent-encoding in path segment "${segment}"`);
      }
    });
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

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new StorageError('invalid-argument', `${name} must be a positive whole number, got ${String(value)}`);
  return value;
}

/**
 * Starts an HTTP server that serves the Apify API v2 storage endpoints (datasets, key-value
 * stores, request queues) over `storageClient`. Listens on 127.0.0.1 unless `host` says otherwise.
 *
 * ```ts
 * const server = await startServer({ storageClient: new MemoryStorageClient(), token: 'secret' });
 * const client = new CloudStorageClient({ baseUrl: server.url, token: 'secret' });
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { storageClient, token } = options;
  const host = options.host ?? '127.0.0.1';
  if ('urlSigningSecretKey' in options) {
    throw new StorageError(
      'invalid-argument',
      'The urlSigningSecretKey option is gone: every key-value store now has its own secret in its metadata, and signed record URLs are checked against it',
    );
  }
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) {
    throw new StorageError('invalid-argument', 'The token must not be empty: leave it out to serve without one (on a loopback address only)');
  }
  if (token === undefined && !isLoopbackHost(host) && options.allowUnauthenticatedRemoteAccess !== true) {
    throw new StorageError(
      'invalid-argument',
      `Refusing to listen on ${host} without a token: anyone reaching it could read and write every storage. ` +
        'Give a token, listen on 127.0.0.1, or pass allowUnauthenticatedRemoteAccess: true (the CLI: --unsafe-no-token-remote)',
    );
  }
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const headersTimeout = positiveInteger(options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs');
  const requestTimeout = positiveInteger(options.requestTimeoutMs, Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout), 'requestTimeoutMs');
  if (headersTimeout > requestTimeout) {
    throw new StorageError('invalid-argument', `headersTimeoutMs (${headersTimeout}) must not be above requestTimeoutMs (${requestTimeout})`);
  }
  const keepAliveTimeout = positiveInteger(options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 'keepAliveTimeoutMs');
  const maxConnections = positiveInteger(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');
  // Without a token, the server is only for this machine: no DNS rebinding through a foreign Host.
  const checkHost = token === undefined && options.allowUnauthenticatedRemoteAccess !== true;
  const discardLimits: DiscardLimits = { maxBytes: Math.max(maxBodyBytes, 64 * 1024), maxMs: DISCARD_MAX_MS };

  const storages = new Storages(storageClient, options.defaultStorageIds ?? ['default']);
  const ctx: RouteContext = { storages, queueClients: new QueueClients(), maxBodyBytes };
  let requestCount = 0;

  /** A GET or HEAD of a record with a `signature` made with its store's own secret. */
  async function validSignature(query: URLSearchParams, segments: readonly string[], method: string): Promise<boolean> {
    const signature = query.get('signature');
    const [collection, ref, sub, key] = segments;
    if (signature === null || (method !== 'GET' && method !== 'HEAD')) return false;
    if (collection !== 'key-value-stores' || ref === undefined || sub !== 'records' || key === undefined || segments.length !== 4) return false;
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

  async function authorized(req: IncomingMessage, query: URLSearchParams, segments: readonly string[], method: string): Promise<boolean> {
    if (token === undefined) return true;
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer /i.test(header) && safeEqual(header.slice(7).trim(), token)) return true;
    const queryToken = query.get('token');
    if (queryToken !== null && safeEqual(queryToken, token)) return true;
    // A signed record URL reads its record without the token.
    return validSignature(query, segments, method);
  }

  /** Without a token: only loopback `Host` names, and no `Origin` but the server's own. */
  function assertSameMachine(req: IncomingMessage): void {
    if (token !== undefined) return;
    const hostHeader = req.headers.host;
    if (checkHost) {
      const name = hostHeader === undefined ? undefined : hostName(hostHeader);
      if (name === undefined || !isLoopbackHost(name)) {
        throw new ApiError(403, 'insufficient-permissions', 'This server has no token and answers only requests addressed to localhost, 127.0.0.1 or [::1]');
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined && (hostHeader === undefined || origin.toLowerCase() !== `http://${hostHeader.trim().toLowerCase()}`)) {
      throw new ApiError(403, 'insufficient-permissions', 'This server has no token and refuses requests that web pages of other origins send');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requestCount++;
    // Nothing served here is to be sniffed into another type (a JSON or text body read as HTML).
    res.setHeader('x-content-type-options', 'nosniff');
    try {
      assertSameMachine(req);
      const rawUrl = req.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
      const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
      const segments = splitPath(rawPath);
      const method = (req.method ?? 'GET').toUpperCase();
      if (segments[0] !== 'v2' && (method === 'GET' || method === 'HEAD')) {
        // The storage browser: its files need no token (the page asks for it and sends it to /v2).
        const asset = await readUiAsset(rawPath);
        if (asset !== undefined) {
          res.writeHead(200, { ...UI_HEADERS, 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': asset.cacheControl });
          res.end(method === 'HEAD' ? undefined : asset.body);
          return;
        }
        if (rawPath === '/') {
          throw new ApiError(404, 'page-not-found', 'The storage browser is not built here (run the package build); the API is under /v2');
        }
      }
      if (segments[0] !== 'v2') throw new ApiError(404, 'page-not-found', 'This API endpoint does not exist; the API is under /v2');
      const rest = segments.slice(1);
      if (!(await authorized(req, query, rest, method))) {
        // Say which of the two it is: no token at all, or a token that is not the server's.
        const tokenGiven = req.headers.authorization !== undefined || query.has('token');
        throw new ApiError(
          401,
          'token-not-valid',
          tokenGiven
            ? 'Authentication token is not valid: the token sent (Authorization header or ?token=) is not the one this server requires.'
            : 'Authentication token was not provided: send it as "Authorization: Bearer <token>" or as ?token=<token>.',
        );
      }
      const call: Call = { req, res, method, segments: rest, query };
      await route(ctx, call);
    } catch (error) {
      // A client that went away (mid-answer) needs no answer and is no server failure.
      if (res.destroyed || req.socket.destroyed) return;
      const apiError = toApiError(error);
      if (apiError.status >= 500) process.emitWarning(`@x/server: ${(error as Error)?.stack ?? String(error)}`);
      if (!req.complete) {
        // The body was not read whole: drop the rest so the connection can carry the next request,
        // or, when that is more than we drop, say that the connection closes after this answer.
        if (bodyTooLongToDiscard(req, discardLimits)) res.setHeader('connection', 'close');
        else discardBody(req, discardLimits);
      }
      sendError(res, apiError);
    }
  }

  const server = createServer(
    {
      headersTimeout: headersTimeout,
      requestTimeout: requestTimeout,
      keepAliveTimeout: keepAliveTimeout,
      // Node checks the two timeouts above every this often (30 s by default: too coarse for short ones).
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.maxConnections = maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    get requestCount() {
      return requestCount;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
