#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import type { StorageClient } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { CLI_USAGE, CliUsageError, parseCliArgs } from './cli-args.js';
import { startServer } from './start-server.js';

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

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  if (options.version) {
    // The package's own manifest: ../package.json from src/ and from dist/ alike.
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${manifest.version}\n`);
    return;
  }
  const storageClient = options.storageDir === undefined ? new MemoryStorageClient() : await fsClient(options.storageDir);
  const server = await startServer({ storageClient, port: options.port, host: options.host, token: options.token });
  const where = options.storageDir === undefined ? 'in memory' : `in ${options.storageDir}`;
  process.stdout.write(`x-storage-server listening on ${server.url}/v2 (storages ${where}${options.token === undefined ? ', no token' : ', token required'})\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`x-storage-server: ${message.split('\n')[0]}\n`);
  process.exit(error instanceof CliUsageError ? 2 : 1);
});
