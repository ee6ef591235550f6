import { Actor } from '@x/actor';
import type { StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const datasetPaginationStorages: NamedStorages = { datasets: ['thousand-items'] };

/** An item of the example. */
export interface NumberedItem extends Record<string, unknown> {
  readonly index: number;
  readonly title: string;
}

/** What the pagination example did. */
export interface DatasetPaginationOutcome {
  readonly itemCount: number;
  /** The page `getData({ limit: 500 })` returned. */
  readonly firstHalf: { readonly total: number; readonly offset: number; readonly limit: number; readonly count: number; readonly indexes: number[] };
  /** The indexes `iterateItems({ offset: 500 })` yielded, in order. */
  readonly restIndexes: number[];
}

/**
 * Example 3: push 1000 items in one call, read the first half with `getData({ limit: 500 })`, and
 * iterate over the rest with `iterateItems({ offset: 500 })`.
 */
export async function datasetPagination(storageClient: StorageClient, log: Log = quiet): Promise<DatasetPaginationOutcome> {
  await Actor.init({ storageClient });
  try {
    const dataset = await Actor.openDataset({ name: 'thousand-items' });
    const items: NumberedItem[] = Array.from({ length: 1000 }, (_, index) => ({ index, title: `Item ${index}` }));
    await dataset.pushData(items);
    const { itemCount } = await dataset.getMetadata();
    log(`pushed ${items.length} items to dataset "thousand-items"; it holds ${itemCount}`);

    const page = await dataset.getData<NumberedItem>({ limit: 500 });
    const indexes = page.items.map((item) => item.index);
    log(`getData({ limit: 500 }): count=${page.count} of total=${page.total}, indexes ${indexes[0]}..${indexes.at(-1)}`);

    const restIndexes: number[] = [];
    for await (const item of dataset.iterateItems<NumberedItem>({ offset: 500 })) restIndexes.push(item.index);
    log(`iterateItems({ offset: 500 }) yielded ${restIndexes.length} items, indexes ${restIndexes[0]}..${restIndexes.at(-1)}`);

    return {
      itemCount,
      firstHalf: { total: page.total, offset: page.offset, limit: page.limit, count: page.count, indexes },
      restIndexes,
    };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('3. Push 1000 items, read them in two halves', datasetPagination, datasetPaginationStorages);
