import { parseArgs } from 'node:util';

/** What the `x-storage-server` command line asks for. */
export interface CliOptions {
  readonly port: number;
  readonly host: string;
  /** Keep storages on disk here (`@x/fs-client`); undefined: in memory. */
  readonly storageDir: string | undefined;
  readonly token: string | undefined;
  readonly help: boolean;
  /** Print the version of `@x/server` and exit. */
  readonly version: boolean;
}

/** A bad command line; the bin prints its message on one line and exits with 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The help text of the bin. */
export const CLI_USAGE = `Usage: x-storage-server [--port N] [--host ADDR] [--memory | --storage-dir DIR] [--token TOKEN]

Serves the Apify API v2 storage endpoints (datasets, key-value stores, request queues) under /v2.

Options:
  --port N            port to listen on (default 8787; 0 picks a free one)
  --host ADDR         address to listen on (default 127.0.0.1)
  --memory            keep storages in memory (the default)
  --storage-dir DIR   keep storages on disk in DIR, Crawlee's layout (needs @x/fs-client)
  --token TOKEN       require this token (Authorization: Bearer TOKEN); also from X_STORAGE_SERVER_TOKEN
  -h, --help          this help
  -v, --version       the version of @x/server`;

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
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
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
  if (values.memory && values['storage-dir'] !== undefined) throw new CliUsageError('use --memory or --storage-dir, not both');
  const storageDir = values['storage-dir'];
  if (storageDir !== undefined && storageDir.trim() === '') throw new CliUsageError('--storage-dir must not be empty');
  const token = values.token ?? (env['X_STORAGE_SERVER_TOKEN'] || undefined);
  if (token !== undefined && token === '') throw new CliUsageError('--token must not be empty');
  return { port: Number(portText), host, storageDir, token, help: values.help ?? false, version: values.version ?? false };
}
