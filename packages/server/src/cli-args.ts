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
  readonly help: boolean;
}

/** A bad command line; the bin prints its message on one line and exits with 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The help text of the bin. */
export const CLI_USAGE = `Usage: x-storage-server [--port N] [--host ADDR] [--memory | --storage-dir DIR | --redis URL] [--token TOKEN]

Serves the Apify API v2 storage endpoints (datasets, key-value stores, request queues) under /v2.

Options:
  --port N            port to listen on (default 8787; 0 picks a free one)
  --host ADDR         address to listen on (default 127.0.0.1)
  --memory            keep storages in memory (the default)
  --storage-dir DIR   keep storages on disk in DIR, Crawlee's layout (needs @x/fs-client)
  --redis URL         keep storages in Redis at URL, e.g. redis://127.0.0.1:6379 (needs @x/redis-client);
                      any number of servers may serve one Redis
  --redis-prefix P    the start of every Redis key (default x), to share one Redis between projects
  --redis-cluster     URL is a node of a Redis Cluster
  --token TOKEN       require this token (Authorization: Bearer TOKEN); also from X_STORAGE_SERVER_TOKEN
  -h, --help          this help`;

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
  const token = values.token ?? (env['X_STORAGE_SERVER_TOKEN'] || undefined);
  if (token !== undefined && token === '') throw new CliUsageError('--token must not be empty');
  return { port: Number(portText), host, storageDir, ...(redis === undefined ? {} : { redis }), token, help: values.help ?? false };
}
