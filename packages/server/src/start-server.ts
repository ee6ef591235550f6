import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRecordSignature, type StorageClient } from '@x/core';
import { ApiError, invalidInput, sendError, toApiError } from './http-utils.js';
import { QueueClients } from './queue-clients.js';
import { route, type Call, type RouteContext } from './routes.js';
import { Storages } from './storages.js';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** The storage client that keeps the storages served (memory, fs, …). */
  readonly storageClient: StorageClient;
  /** Port to listen on; 0 or omitted picks a free one. */
  readonly port?: number | undefined;
  /** Address to listen on; default `127.0.0.1` (loopback only). */
  readonly host?: string | undefined;
  /** When set, every call must carry it (`Authorization: Bearer <token>` or `?token=`), or gets 401. */
  readonly token?: string | undefined;
  /** Largest request body, after decompression, in bytes; default 10 MiB. Larger ones get 413. */
  readonly maxBodyBytes?: number | undefined;
  /** Storage ids created on first use, like a run's default storages; default `['default']`. */
  readonly defaultStorageIds?: readonly string[] | undefined;
  /**
   * When set, key-value stores report it as their `urlSigningSecretKey`, and a record URL with a
   * valid `signature` (as `getPublicUrl` of the cloud client makes them) is readable without the token.
   */
  readonly urlSigningSecretKey?: string | undefined;
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
  const { storageClient, token, urlSigningSecretKey } = options;
  const host = options.host ?? '127.0.0.1';
  const ctx: RouteContext = {
    storages: new Storages(storageClient, options.defaultStorageIds ?? ['default']),
    queueClients: new QueueClients(),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    urlSigningSecretKey,
  };
  let requestCount = 0;

  function authorized(req: IncomingMessage, query: URLSearchParams, segments: readonly string[], method: string): boolean {
    if (token === undefined) return true;
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer /i.test(header) && safeEqual(header.slice(7).trim(), token)) return true;
    const queryToken = query.get('token');
    if (queryToken !== null && safeEqual(queryToken, token)) return true;
    // A signed record URL reads its record without the token.
    const signature = query.get('signature');
    const [collection, , sub, key] = segments;
    if (urlSigningSecretKey !== undefined && signature !== null && (method === 'GET' || method === 'HEAD')) {
      if (collection === 'key-value-stores' && sub === 'records' && key !== undefined && segments.length === 4) {
        return safeEqual(signature, createRecordSignature(urlSigningSecretKey, key));
      }
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requestCount++;
    try {
      const rawUrl = req.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
      const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
      const segments = splitPath(rawPath);
      const method = (req.method ?? 'GET').toUpperCase();
      if (segments[0] !== 'v2') throw new ApiError(404, 'page-not-found', 'This API endpoint does not exist; the API is under /v2');
      const rest = segments.slice(1);
      if (!authorized(req, query, rest, method)) {
        req.resume();
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
      const apiError = toApiError(error);
      if (apiError.status >= 500) process.emitWarning(`@x/server: ${(error as Error)?.stack ?? String(error)}`);
      // Drain what is left of the body, so the connection stays usable.
      if (!req.readableEnded) req.resume();
      sendError(res, apiError);
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
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
