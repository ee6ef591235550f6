import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StorageError } from '@x/core';
import { createServerApp, isLoopbackHost, positiveInteger, type ServerAppOptions } from './app.js';

export { isLoopbackHost } from './app.js';

/** Options of {@link startServer}: those of the app ({@link ServerAppOptions}) and of the HTTP server. */
export interface ServerOptions extends ServerAppOptions {
  /** Port to listen on; 0 or omitted picks a free one. */
  readonly port?: number | undefined;
  /**
   * Address to listen on; default `127.0.0.1` (loopback only). An address other than a loopback
   * one needs a `token`, or `allowUnauthenticatedRemoteAccess: true`.
   */
  readonly host?: string | undefined;
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

export { DEFAULT_MAX_BODY_BYTES } from './app.js';
/** The default time to send the request headers: 20 s. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
/** The default time to send a whole request: 120 s (10 MiB at under 100 KB/s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** The default time an idle keep-alive connection stays open: 15 s. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 15_000;
/** The default most connections open at once: 512. */
export const DEFAULT_MAX_CONNECTIONS = 512;

/**
 * Starts an HTTP server that serves the Apify API v2 storage endpoints (datasets, key-value
 * stores, request queues) over `storageClient`, and the storage browser at `/`: the app of
 * {@link createServerApp} on a node HTTP server (Fastify's `app.routing`). Listens on 127.0.0.1
 * unless `host` says otherwise.
 *
 * ```ts
 * const server = await startServer({ storageClient: new MemoryStorageClient(), token: 'secret' });
 * const client = new CloudStorageClient({ baseUrl: server.url, token: 'secret' });
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const app = createServerApp(options);
  if (options.token === undefined && !isLoopbackHost(host) && options.allowUnauthenticatedRemoteAccess !== true) {
    throw new StorageError(
      'invalid-argument',
      `Refusing to listen on ${host} without a token: anyone reaching it could read and write every storage. ` +
        'Give a token, listen on 127.0.0.1, or pass allowUnauthenticatedRemoteAccess: true (the CLI: --unsafe-no-token-remote)',
    );
  }
  const headersTimeout = positiveInteger(options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs');
  const requestTimeout = positiveInteger(options.requestTimeoutMs, Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout), 'requestTimeoutMs');
  if (headersTimeout > requestTimeout) {
    throw new StorageError('invalid-argument', `headersTimeoutMs (${headersTimeout}) must not be above requestTimeoutMs (${requestTimeout})`);
  }
  const keepAliveTimeout = positiveInteger(options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 'keepAliveTimeoutMs');
  const maxConnections = positiveInteger(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');

  await app.ready();
  let requestCount = 0;
  const server = createServer(
    {
      headersTimeout: headersTimeout,
      requestTimeout: requestTimeout,
      keepAliveTimeout: keepAliveTimeout,
      // Node checks the two timeouts above every this often (30 s by default: too coarse for short ones).
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      requestCount++;
      app.routing(req, res);
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
      }).then(() => app.close());
      return closing;
    },
  };
}
