import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Dataset, KeyValueStore, RequestQueue, purgeDefaultStorages, type StorageClient } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';

/** Where an example writes a line of what it did. */
export type Log = (line: string) => void;

/** A log that drops every line (the default when an example's caller does not want them). */
export const quiet: Log = () => {};

/**
 * The local storage folder of the examples: `CRAWLEE_STORAGE_DIR` when set, else `storage/` at the
 * root of the repository, wherever the program is started from (`pnpm start` runs it in `apps/examples`).
 */
export function examplesStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['CRAWLEE_STORAGE_DIR'] || fileURLToPath(new URL('../../../storage', import.meta.url));
}

/** The named storages an example opens, which purging the default storages keeps. */
export interface NamedStorages {
  readonly datasets?: readonly string[];
  readonly keyValueStores?: readonly string[];
  readonly requestQueues?: readonly string[];
}

/**
 * Makes a rerun start as the first run did: purges the default storages (keeping `INPUT`) and drops
 * the named storages the examples use (named storages outlive a purge, by design).
 */
export async function freshStart(storageClient: StorageClient, named: NamedStorages = {}): Promise<void> {
  await purgeDefaultStorages(storageClient);
  for (const name of named.datasets ?? []) await (await Dataset.open({ name, storageClient })).drop();
  for (const name of named.keyValueStores ?? []) await (await KeyValueStore.open({ name, storageClient })).drop();
  for (const name of named.requestQueues ?? []) await (await RequestQueue.open({ name, storageClient })).drop();
}

/** The default local storage: `@x/fs-client` in {@link examplesStorageDir}. */
export function openLocalStorage(): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir: examplesStorageDir() });
}

/** True when the module of `moduleUrl` is the program being run (`tsx src/<example>.ts`), not imported. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}

/**
 * Runs one example on its own, on the default local storage, printing what it did:
 * `npx tsx --conditions=@x/source src/<example>.ts` in `apps/examples`.
 */
export function runAlone<T>(
  title: string,
  example: (storageClient: StorageClient, log: Log) => Promise<T>,
  named: NamedStorages = {},
): void {
  void (async () => {
    const storageClient = openLocalStorage();
    await freshStart(storageClient, named);
    console.log(`== ${title} ==`);
    await example(storageClient, (line) => console.log(`  ${line}`));
    console.log(`Storage folder: ${storageClient.storageDir}`);
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
