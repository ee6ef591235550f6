/**
 * `@x/server`: an HTTP server speaking the Apify API v2 storage endpoints over any storage client
 * of `@x/core`; the peer `@x/cloud-client` is tested against, and a storage service many crawler
 * processes can share. It is a Fastify app ({@link createServerApp}) on a node HTTP server
 * ({@link startServer}).
 *
 * @packageDocumentation
 */

/** Starts the server; see {@link ServerOptions} and {@link RunningServer}; the defaults of its limits. */
export {
  startServer,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  type ServerOptions,
  type RunningServer,
} from './start-server.js';
/** The server's Fastify app, to test (`app.inject()`) or to serve on a server of your own; the CSP of every API answer. */
export { createServerApp, API_CSP, type ServerApp, type ServerAppOptions } from './app.js';
/** Fastify's type provider for the zod schemas of the app's routes. */
export type { ZodTypeProvider } from './schemas.js';
/** The most requests one batch call takes (25, as the Apify API). */
export { MAX_BATCH } from './api-routes.js';
/** Parses the command line of the `x-storage-server` bin and makes its storage client. */
export { parseCliArgs, CliUsageError, CLI_USAGE, type CliOptions } from './cli-args.js';
