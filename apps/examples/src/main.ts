import type { StorageClient } from '@x/core';
import { crawlLocalSite, crawlLocalSiteStorages } from './crawl-local-site.js';
import { datasetExport, datasetExportStorages } from './dataset-export.js';
import { datasetPagination, datasetPaginationStorages } from './dataset-pagination.js';
import { dropNamedStore, dropNamedStoreStorages } from './drop-named-store.js';
import { helloWorld, helloWorldStorages } from './hello-world.js';
import { iterateKeys, iterateKeysStorages } from './iterate-keys.js';
import { keyValueRecords } from './key-value-records.js';
import { publicUrl } from './public-url.js';
import { requestQueue } from './request-queue.js';
import { freshStart, openLocalStorage, type Log, type NamedStorages } from './run-alone.js';
import { storagesEndToEnd, storagesEndToEndStorages } from './storages-end-to-end.js';

/** One example: its heading, what it runs, and the named storages it opens. */
export interface Example {
  readonly title: string;
  readonly run: (storageClient: StorageClient, log: Log) => Promise<unknown>;
  readonly storages?: NamedStorages;
}

/** Every example, in the order `pnpm start` runs them. */
export const EXAMPLES: readonly Example[] = [
  { title: '1. Hello world: default dataset, a store by id, a named queue', run: helloWorld, storages: helloWorldStorages },
  { title: '2. Open a named store, write, drop it', run: dropNamedStore, storages: dropNamedStoreStorages },
  { title: '3. Push 1000 items, read them in two halves', run: datasetPagination, storages: datasetPaginationStorages },
  { title: '4. Export a dataset to CSV and JSON', run: datasetExport, storages: datasetExportStorages },
  { title: '5. Key-value records: text, JSON, CSV, delete by null', run: keyValueRecords },
  { title: '6. Iterate keys with their size and content type', run: iterateKeys, storages: iterateKeysStorages },
  { title: '7. The public URL of a record', run: publicUrl },
  { title: '8. The request queue: forefront, dedupe, failures reclaimed until finished', run: (client, log) => requestQueue(client, log) },
  { title: '9. Storages end to end: a small crawl loop', run: storagesEndToEnd, storages: storagesEndToEndStorages },
  { title: '11. A Crawlee crawler on our storage (CheerioCrawler, local site)', run: (client, log) => crawlLocalSite(client, log), storages: crawlLocalSiteStorages },
];

/**
 * Runs every example, in order, on the default local storage (`@x/fs-client` in `storage/` at the
 * repository root, or `CRAWLEE_STORAGE_DIR`) and prints what each did. The default storages and the
 * examples' named storages are emptied first, so every run prints the same; what the examples
 * wrote stays in the folder to look at.
 */
async function main(): Promise<void> {
  const storageClient = openLocalStorage();
  const named = {
    datasets: EXAMPLES.flatMap((e) => e.storages?.datasets ?? []),
    keyValueStores: EXAMPLES.flatMap((e) => e.storages?.keyValueStores ?? []),
    requestQueues: EXAMPLES.flatMap((e) => e.storages?.requestQueues ?? []),
  };
  await freshStart(storageClient, named);
  console.log(`Running ${EXAMPLES.length} examples on the local storage in ${storageClient.storageDir}\n`);
  for (const example of EXAMPLES) {
    console.log(`== ${example.title} ==`);
    await example.run(storageClient, (line) => console.log(`  ${line}`));
    console.log('');
  }
  storageClient.flush();
  console.log(`All ${EXAMPLES.length} examples ran. Look at what they left in ${storageClient.storageDir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
