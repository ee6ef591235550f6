import type * as crawlee from '@crawlee/types';
import { StorageError, projectItems, serializeDatasetItems } from '@x/core';
import { iterablePromise, type IterablePromise } from './iterable-promise.js';
import { StorageHandle, countOption } from './storages.js';

type Item = Record<string, unknown>;

/** Options of `listItems` this adapter reads: Crawlee's, and the projections the Apify API has. */
interface ListItemsOptions extends crawlee.DatasetClientListOptions {
  readonly clean?: boolean;
  readonly fields?: string[];
  readonly omit?: string[];
}

/** `limit` when none is given: every item. */
const ALL = Number.MAX_SAFE_INTEGER;
/** Items read per call to our client while iterating. */
const PAGE_SIZE = 1000;

/** Turns what Crawlee's `pushItems` gets (JSON text of an item or an array, items, or their JSON texts) into our JSON items. */
function jsonItemsOf(items: unknown): string[] {
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new StorageError('invalid-item', `Dataset items given as text must be JSON: ${(cause as Error).message}`, { cause });
    }
  };
  let value = typeof items === 'string' ? parse(items) : items;
  if (Array.isArray(value)) value = value.map((item: unknown) => (typeof item === 'string' ? parse(item) : item));
  return serializeDatasetItems(value);
}

/** One of our datasets as Crawlee's `DatasetClient`. */
export class CrawleeDatasetClient implements crawlee.DatasetClient<Item> {
  readonly #storage: StorageHandle<'dataset'>;

  constructor(storage: StorageHandle<'dataset'>) {
    this.#storage = storage;
  }

  /** The dataset's info, or `undefined` when it does not exist. */
  async get(): Promise<crawlee.DatasetInfo | undefined> {
    const metadata = await this.#storage.metadata();
    return metadata && { ...this.#storage.storages.info('dataset', metadata), itemCount: metadata.itemCount };
  }

  /** Datasets cannot be renamed: gives the info when `name` is the dataset's own (or absent). */
  async update(newFields: crawlee.DatasetClientUpdateOptions = {}): Promise<Partial<crawlee.DatasetInfo>> {
    const metadata = await this.#storage.checkUpdate(newFields);
    return { ...this.#storage.storages.info('dataset', metadata), itemCount: metadata.itemCount };
  }

  /** Deletes the dataset with its items. */
  async delete(): Promise<void> {
    await this.#storage.delete();
  }

  /** Not available locally (as in Crawlee's own storage): read the items with `listItems`. */
  async downloadItems(): Promise<Buffer> {
    throw new StorageError('invalid-argument', 'downloadItems() is not supported by @x/crawlee: read the items with listItems()');
  }

  async #page(offset: number, limit: number, options: ListItemsOptions): Promise<crawlee.PaginatedList<Item>> {
    const desc = options.desc ?? false;
    const page = await this.#storage.use((client) => client.listItems({ offset, limit, desc }));
    const items = projectItems(page.items, options);
    return { items, total: page.total, offset, limit, count: items.length, desc };
  }

  async *#items(offset: number, limit: number, options: ListItemsOptions): AsyncGenerator<[number, Item], void, undefined> {
    let position = offset;
    let remaining = limit;
    while (remaining > 0) {
      const want = Math.min(PAGE_SIZE, remaining);
      const page = await this.#storage.use((client) => client.listItems({ offset: position, limit: want, desc: options.desc ?? false }));
      // Projected one by one: `clean` leaves empty items out, and the index is the item's place in the dataset.
      for (let i = 0; i < page.items.length; i++) {
        const [projected] = projectItems([page.items[i]!], options);
        if (projected) yield [position + i, projected];
      }
      position += page.items.length;
      remaining -= page.items.length;
      if (page.items.length < want) return;
    }
  }

  /**
   * A page of items (`offset`, `limit`, `desc`; also `fields`, `omit` and `clean` as the Apify API
   * has them); iterate the result with `for await` to read every item page by page.
   */
  listItems(options: ListItemsOptions = {}): IterablePromise<crawlee.PaginatedList<Item>, Item> {
    const offset = countOption(options.offset, 'offset', 0);
    const limit = countOption(options.limit, 'limit', ALL);
    const items = this.#items.bind(this);
    return iterablePromise(
      () => this.#page(offset, limit, options),
      async function* () {
        for await (const [, item] of items(offset, limit, options)) yield item;
      },
    );
  }

  /** As {@link CrawleeDatasetClient.listItems}, each item with its index in the dataset. */
  listEntries(options: ListItemsOptions = {}): IterablePromise<crawlee.PaginatedList<[number, Item]>, [number, Item]> {
    const offset = countOption(options.offset, 'offset', 0);
    const limit = countOption(options.limit, 'limit', ALL);
    return iterablePromise(
      async () => {
        const page = await this.#page(offset, limit, options);
        return { ...page, items: page.items.map((item, i): [number, Item] => [offset + i, item]) };
      },
      () => this.#items(offset, limit, options),
    );
  }

  /** Appends items: an object, an array, or their JSON text (as Crawlee's `Dataset.pushData` sends them). */
  async pushItems(items: Item | Item[] | string | string[]): Promise<void> {
    const json = jsonItemsOf(items);
    if (json.length === 0) return;
    await this.#storage.use((client) => client.pushItems(json));
  }
}
