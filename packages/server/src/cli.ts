#!/usr/bin/env node
import type { StorageClient } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { CLI_USAGE, CliUsageError, parseCliArgs } from './cli-args.js';
import { isLoopbackHost, startServer } from './start-server.js';

async function fsClient(storageDir: string): Promise<StorageClient> {
  // Loaded only when asked for: @x/fs-client is an optional peer of the server.
  const specifier = '@x/fs-client';
  let module: { FileSystemStorageClient?: new (options: { storageDir: string }) => StorageClient };
  try {
    module = (await import(specifier)) as typeof module;
  } catch {
    throw new CliUsageError('--storage-dir needs the package @x/fs-client; install it next to @x/server (npm install @x/fs-client)');
  }
  if (typeof module.FileSystemStorageClient !== 'function') throw new CliUsageError('@x/fs-client does not export FileSystemStorageClient');
  return new module.FileSystemStorageClient({ storageDir });
}

interface RedisOptions {
  readonly url: string;
  readonly prefix: string | undefined;
  readonly cluster: boolean;
}

async function redisClient({ url, prefix, cluster }: RedisOptions): Promise<StorageClient> {
  // Loaded only when asked for: @x/redis-client is an optional peer of the server.
  const specifier = '@x/redis-client';
  let module: { RedisStorageClient?: new (options: { url: string; prefix?: string; cluster: boolean }) => StorageClient };
  try {
    module = (await import(specifier)) as typeof module;
  } catch {
    throw new CliUsageError('--redis needs the package @x/redis-client; install it next to @x/server (npm install @x/redis-client)');
  }
  if (typeof module.RedisStorageClient !== 'function') throw new CliUsageError('@x/redis-client does not export RedisStorageClient');
  const client = new module.RedisStorageClient({ url, cluster, ...(prefix === undefined ? {} : { prefix }) });
  // Fail at the start, in one line, when Redis cannot be reached.
  await client.listDatasets();
  return client;
}

/** The URL without its password, for the log line. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  if (options.token === undefined && !isLoopbackHost(options.host) && !options.allowUnauthenticatedRemoteAccess) {
    throw new CliUsageError(`--host ${options.host} is not a loopback address: give --token (or X_STORAGE_SERVER_TOKEN), or --unsafe-no-token-remote to serve it to anyone`);
  }
  const storageClient = options.redis
    ? await redisClient(options.redis)
    : options.storageDir === undefined
      ? new MemoryStorageClient()
      : await fsClient(options.storageDir);
  const server = await startServer({
    storageClient,
    port: options.port,
    host: options.host,
    token: options.token,
    allowUnauthenticatedRemoteAccess: options.allowUnauthenticatedRemoteAccess,
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const where = options.redis
    ? `in Redis at ${redactedUrl(options.redis.url)}, prefix ${options.redis.prefix ?? 'x'}`
    : options.storageDir === undefined
      ? 'in memory'
      : `in ${options.storageDir}`;
  const access = options.token !== undefined ? 'token required' : isLoopbackHost(options.host) ? 'no token, this machine only' : 'NO TOKEN, OPEN TO ANYONE WHO REACHES IT';
  process.stdout.write(`x-storage-server listening on ${server.url}/v2 (storages ${where}, ${access})\n`);
  if (options.token === undefined && !isLoopbackHost(options.host)) {
    process.stderr.write('x-storage-server: WARNING: --unsafe-no-token-remote: every storage can be read and written by anyone who reaches this address\n');
  }
  const stop = (): void => {
    void server
      .close()
      .then(() => storageClient.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`x-storage-server: ${message.split('\n')[0]}\n`);
  process.exit(error instanceof CliUsageError ? 2 : 1);
});
