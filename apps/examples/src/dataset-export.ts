import { Actor } from '@x/actor';
import type { StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const datasetExportStorages: NamedStorages = { datasets: ['products'], keyValueStores: ['exports'] };

/** The items the example exports: nested values show how CSV flattens them. */
export const PRODUCTS = [
  { name: 'Kettle', price: 25, address: { city: 'Prague' }, tags: ['kitchen', 'steel'] },
  { name: 'Toaster, 2 slots', price: 32.5, address: { city: 'Brno' }, tags: ['kitchen'] },
  { name: 'Lamp "Aurora"', price: 48, inStock: false },
] as const;

/** What the export example did. */
export interface DatasetExportOutcome {
  /** The CSV record as read back, and its content type in the store. */
  readonly csv: string;
  readonly csvContentType: string | undefined;
  /** The JSON record as read back (parsed), and its content type in the store. */
  readonly json: unknown;
  readonly jsonContentType: string | undefined;
}

/**
 * Example 4: export a dataset to CSV (`exportToCSV`) and to JSON (`exportTo({ contentType: 'json' })`)
 * into a named key-value store, and read both records back.
 */
export async function datasetExport(storageClient: StorageClient, log: Log = quiet): Promise<DatasetExportOutcome> {
  await Actor.init({ storageClient });
  try {
    const dataset = await Actor.openDataset({ name: 'products' });
    await dataset.pushData(PRODUCTS.map((item) => ({ ...item })));
    log(`pushed ${PRODUCTS.length} products to dataset "products"`);

    await dataset.exportToCSV('products-csv', { toKvsName: 'exports' });
    await dataset.exportTo({ key: 'products-json', contentType: 'json', toKvsName: 'exports' });
    const store = await Actor.openKeyValueStore({ name: 'exports' });
    const contentTypes = new Map<string, string>();
    for await (const { key, contentType } of store.iterateKeys()) contentTypes.set(key, contentType);

    const csv = (await store.getValue<string>('products-csv')) ?? '';
    const json = await store.getValue('products-json');
    log(`store "exports" holds ${[...contentTypes].map(([key, type]) => `${key} (${type})`).join(', ')}`);
    for (const line of csv.split('\r\n').filter(Boolean)) log(`  csv | ${line}`);
    log(`products-json read back: ${Array.isArray(json) ? json.length : 0} items, the first ${JSON.stringify((json as unknown[])[0])}`);

    return { csv, csvContentType: contentTypes.get('products-csv'), json, jsonContentType: contentTypes.get('products-json') };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('4. Export a dataset to CSV and JSON', datasetExport, datasetExportStorages);
