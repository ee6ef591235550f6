import { parseArgs } from 'node:util';

/** What the `x-storage-server` command line asks for. */
export interface CliOptions {
  readonly port: number;
  readonly host: string;
  /** Keep storages on disk here (`@x/fs-client`); undefined: in memory. */
  readonly storageDir: string | undefined;
  /** Keep storages in this Redis (`@x/redis-client`), under `prefix`; several servers may share it. */
  readonly redis?: { readonly url: string; readonly prefix: string | undefined; readonly cluster: boolean } | undefined;
  readonly token: string | undefined;
  /** `--unsafe-no-token-remote`: listen on a non-loopback address without a token. */
  readonly allowUnauthenticatedRemoteAccess: boolean;
  readonly headersTimeoutMs: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly keepAliveTimeoutMs: number | undefined;
  readonly maxConnections: number | undefined;
  readonly help: boolean;
}

/** A bad command line; the bin prints its message on one line and exits with 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The help text of the bin. */
export const CLI_USAGE = `Usage: x-storage-server [--port N] [--host ADDR] [--memory | --storage-dir DIR | --redis URL] [--token TOKEN] [options]

Serves the Apify API v2 storage endpoints (datasets, key-value stores, request queues) under /v2.

Options:
  --port N                   port to listen on (default 8787; 0 picks a free one)
  --host ADDR                address to listen on (default 127.0.0.1); another than a loopback
                             address needs --token (or --unsafe-no-token-remote)
  --memory                   keep storages in memory (the default)
  --storage-dir DIR          keep storages on disk in DIR, Crawlee's layout (needs @x/fs-client)
  --redis URL                keep storages in Redis at URL, e.g. redis://127.0.0.1:6379 (needs
                             @x/redis-client); any number of servers may serve one Redis
  --redis-prefix P           the start of every Redis key (default x), to share one Redis
  --redis-cluster            URL is a node of a Redis Cluster
  --token TOKEN              require this token (Authorization: Bearer TOKEN); also from
                             X_STORAGE_SERVER_TOKEN; an empty token is an error. Without one the
                             server answers only requests to localhost from no foreign web page
  --unsafe-no-token-remote   UNSAFE: listen on a non-loopback --host without a token (anyone who
                             reaches it reads and writes every storage)
  --headers-timeout-ms MS    time to send the request headers (default 20000)
  --request-timeout-ms MS    time to send a whole request, body included (default 120000)
  --keep-alive-timeout-ms MS time an idle connection is kept open (default 15000)
  --max-connections N        most connections open at once (default 512)
  -h, --help                 this help`;

function positiveOption(values: Record<string, unknown>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text) || Number(text) === 0) throw new CliUsageError(`--${name} must be a positive whole number, got "${String(text)}"`);
  return Number(text);
}

/** Parses the bin's arguments; throws {@link CliUsageError} for a bad command line. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        memory: { type: 'boolean' },
        'storage-dir': { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'redis-cluster': { type: 'boolean' },
        token: { type: 'string' },
        'unsafe-no-token-remote': { type: 'boolean' },
        'headers-timeout-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'keep-alive-timeout-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const portText = values.port ?? '8787';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new CliUsageError(`--port must be a port number (0-65535), got "${portText}"`);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new CliUsageError('--host must not be empty');
  const stores = [values.memory ? '--memory' : undefined, values['storage-dir'] === undefined ? undefined : '--storage-dir', values.redis === undefined ? undefined : '--redis'];
  const given = stores.filter((store) => store !== undefined);
  if (given.length > 1) throw new CliUsageError(`use one of --memory, --storage-dir and --redis, not ${given.join(' and ')}`);
  const storageDir = values['storage-dir'];
  if (storageDir !== undefined && storageDir.trim() === '') throw new CliUsageError('--storage-dir must not be empty');
  const redisUrl = values.redis;
  if (redisUrl !== undefined && !/^rediss?:\/\/./.test(redisUrl)) throw new CliUsageError(`--redis must be a redis:// or rediss:// URL, got "${redisUrl}"`);
  if (redisUrl === undefined && (values['redis-prefix'] !== undefined || values['redis-cluster'])) {
    throw new CliUsageError('--redis-prefix and --redis-cluster go with --redis');
  }
  const redis = redisUrl === undefined ? undefined : { url: redisUrl, prefix: values['redis-prefix'], cluster: values['redis-cluster'] ?? false };
  const envToken = env['X_STORAGE_SERVER_TOKEN'];
  if (values.token === undefined && envToken !== undefined && envToken.trim() === '') {
    throw new CliUsageError('X_STORAGE_SERVER_TOKEN is set but empty: give a token, or unset it to serve without one (loopback only)');
  }
  const token = values.token ?? envToken;
  if (token !== undefined && token.trim() === '') throw new CliUsageError('--token must not be empty');
  const allowUnauthenticatedRemoteAccess = values['unsafe-no-token-remote'] ?? false;
  return {
    port: Number(portText),
    host,
    storageDir,
    ...(redis === undefined ? {} : { redis }),
    token,
    allowUnauthenticatedRemoteAccess,
    headersTimeoutMs: positiveOption(values, 'headers-timeout-ms'),
    requestTimeoutMs: positiveOption(values, 'request-timeout-ms'),
    keepAliveTimeoutMs: positiveOption(values, 'keep-alive-timeout-ms'),
    maxConnections: positiveOption(values, 'max-connections'),
    help: values.help ?? false,
  };
}
