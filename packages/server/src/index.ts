/**
 * `@x/server`: an HTTP server speaking the Apify API v2 storage endpoints over any storage client
 * of `@x/core`; the peer `@x/cloud-client` is tested against, and a storage service many crawler
 * processes can share.
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
/** The most requests one batch call takes (25, as the Apify API). */
export { MAX_BATCH } from './routes.js';
/** Parses the command line of the `x-storage-server` bin and makes its storage client. */
export { parseCliArgs, CliUsageError, CLI_USAGE, type CliOptions } from './cli-args.js';
