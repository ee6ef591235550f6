import { Actor } from '@x/actor';
import { Request, type StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const storagesEndToEndStorages: NamedStorages = {
  datasets: ['example-results'],
  keyValueStores: ['example-state'],
  requestQueues: ['example-queue'],
};

/** What the end-to-end example did, for printing and for its test. */
export interface EndToEndOutcome {
  readonly handledUrls: string[];
  readonly duplicateWasReported: boolean;
  readonly datasetItemCount: number;
  readonly firstItems: Record<string, unknown>[];
  readonly state: { processed: number };
  readonly csv: string;
}

/**
 * Example 9: a small crawl loop that uses all three storages. It queues pages (one of them
 * forefront, one a duplicate), "processes" each by pushing a result to the dataset "example-results",
 * keeps a counter as an auto-saved value in a named key-value store, and exports the
 * results as CSV.
 */
export async function storagesEndToEnd(storageClient: StorageClient, log: Log = quiet): Promise<EndToEndOutcome> {
  await Actor.init({ storageClient });
  try {
    const queue = await Actor.openRequestQueue({ name: 'example-queue' });
    await queue.addRequests(['https://example.com/a', 'https://example.com/b', 'https://example.com/c']);
    await queue.addRequest(Request.fromUrl('https://example.com/start', { label: 'START' }), { forefront: true });
    const duplicate = await queue.addRequest('https://EXAMPLE.com/a#section');
    log(`queued 4 requests; re-adding https://EXAMPLE.com/a#section reported wasAlreadyPresent=${duplicate.wasAlreadyPresent}`);

    const dataset = await Actor.openDataset({ name: 'example-results' });
    const store = await Actor.openKeyValueStore({ name: 'example-state' });
    const state = await store.getAutoSavedValue('STATE', { processed: 0 });

    const handledUrls: string[] = [];
    for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
      await dataset.pushData({ url: request.url, label: request.label ?? null, title: `Page ${new URL(request.url).pathname}` });
      state.processed += 1;
      await queue.markRequestAsHandled(request);
      handledUrls.push(request.url);
    }
    log(`handled ${handledUrls.length} requests in order: ${handledUrls.join(', ')}; queue finished=${await queue.isFinished()}`);

    await store.persistAutoSavedValues();
    await dataset.exportToCSV('results-csv', { toKvsName: 'example-state' });
    const csv = (await store.getValue<string>('results-csv')) ?? '';
    const { items, total } = await dataset.getData({ limit: 2 });
    log(`dataset holds ${total} items; first: ${JSON.stringify(items[0])}`);
    log(`exported CSV to record "results-csv" (${csv.split('\r\n').filter(Boolean).length} lines); STATE=${JSON.stringify(await store.getValue('STATE'))}`);

    return {
      handledUrls,
      duplicateWasReported: duplicate.wasAlreadyPresent,
      datasetItemCount: (await dataset.getMetadata()).itemCount,
      firstItems: items,
      state: (await store.getValue<{ processed: number }>('STATE')) ?? { processed: -1 },
      csv,
    };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('9. Storages end to end: a small crawl loop', storagesEndToEnd, storagesEndToEndStorages);
