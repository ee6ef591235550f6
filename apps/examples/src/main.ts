import { MemoryStorageClient } from '@x/memory-client';
import { storagesEndToEnd } from './storages-end-to-end.js';

/** Runs every example on the default storage and prints what each did. */
async function main(): Promise<void> {
  const storageClient = new MemoryStorageClient();
  console.log('== storages end to end (memory client) ==');
  await storagesEndToEnd(storageClient, (line) => console.log(`  ${line}`));
  console.log('All examples ran.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
