import { StorageError } from './errors.js';
import { itemsToCsv, itemsToJson, projectItems } from './export-format.js';
import { KeyValueStore } from './key-value-store.js';
import type { DatasetMetadata } from './models.js';
import type { DatasetClient, StorageClient } from './storage-client.js';
import { forgetStorage, openCached, type OpenStorageInput } from './storage-registry.js';
import { assertOptionalCount, assertRecordKey, serializeDatasetItems } from './validation.js';

/** A dataset item: a plain JSON object. */
export type DatasetItem = Record<string, unknown>;

/** Options of {@link Dataset.getData}. */
export interface GetDataOptions {
  /** Items to skip (from the end with `desc`). Default 0. */
  readonly offset?: number;
  /** At most this many items. Default: all. */
  readonly limit?: number;
  /** Newest first. */
  readonly desc?: boolean;
  /** Leave out fields starting with `#` and items left empty. */
  readonly clean?: boolean;
  /** Keep only these top-level fields. */
  readonly fields?: readonly string[];
  /** Leave out these top-level fields. */
  readonly omit?: readonly string[];
}

/** A page of items with where it sits in the dataset. */
export interface DatasetPage<T extends DatasetItem = DatasetItem> {
  readonly items: T[];
  /** Items in the whole dataset. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  /** Items in this page. */
  readonly count: number;
  readonly desc: boolean;
}

/** Options of {@link Dataset.iterateItems}. */
export interface IterateItemsOptions extends Omit<GetDataOptions, 'limit'> {
  /** Stop after this many items. Default: all. */
  readonly limit?: number;
  /** Items read per call to the client. Default 1000. */
  readonly pageSize?: number;
}

/** Where an export goes: a record `key` in the store of `toKvsId` or `toKvsName` (the default store otherwise). */
export interface ExportOptions {
  readonly key: string;
  readonly contentType?: 'csv' | 'json';
  readonly toKvsId?: string;
  readonly toKvsName?: string;
}

const ALL = Number.MAX_SAFE_INTEGER;
const EXPORT_CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' } as const;

/**
 * An append-only table of JSON objects: the results of a run. Open it with {@link Dataset.open}.
 */
export class Dataset {
  /** The dataset's id. */
  readonly id: string;
  /** The dataset's name, for named datasets. */
  readonly name: string | undefined;
  /** The storage client the dataset lives in. */
  readonly storageClient: StorageClient;
  readonly #client: DatasetClient;

  private constructor(client: DatasetClient, storageClient: StorageClient, metadata: DatasetMetadata) {
    this.#client = client;
    this.storageClient = storageClient;
    this.id = metadata.id;
    this.name = metadata.name;
  }

  /**
   * Opens a dataset: the run's default one, one by `id` (it must exist), or one by `name` (made
   * when missing; a plain string is a name). The same dataset opened twice is the same instance.
   */
  static async open(options?: OpenStorageInput): Promise<Dataset> {
    return openCached('dataset', options, async (storageClient, target) => {
      const client = await storageClient.openDataset(target);
      const metadata = await client.getMetadata();
      return { instance: new Dataset(client, storageClient, metadata), id: metadata.id };
    });
  }

  /**
   * Appends one item or an array of items. Every item must be a plain object of at most 9 MiB as
   * JSON; when one is not, nothing is written and the error says which.
   */
  async pushData(data: DatasetItem | readonly DatasetItem[]): Promise<void> {
    const items = serializeDatasetItems(data);
    if (items.length > 0) await this.#client.pushItems(items);
  }

  /** Reads a page of items. */
  async getData<T extends DatasetItem = DatasetItem>(options: GetDataOptions = {}): Promise<DatasetPage<T>> {
    const { offset = 0, limit = ALL, desc = false } = options;
    assertOptionalCount(offset, 'offset');
    assertOptionalCount(limit, 'limit');
    const page = await this.#client.listItems({ offset, limit, desc });
    const items = projectItems(page.items, options) as T[];
    return { items, total: page.total, offset, limit, count: items.length, desc };
  }

  /** Iterates over the items, reading them page by page. */
  async *iterateItems<T extends DatasetItem = DatasetItem>(options: IterateItemsOptions = {}): AsyncGenerator<T, void, undefined> {
    const { offset = 0, limit = ALL, pageSize = 1000, desc = false } = options;
    assertOptionalCount(offset, 'offset');
    assertOptionalCount(limit, 'limit');
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new StorageError('invalid-argument', 'pageSize must be a positive integer');
    let position = offset;
    let remaining = limit;
    while (remaining > 0) {
      const want = Math.min(pageSize, remaining);
      const page = await this.#client.listItems({ offset: position, limit: want, desc });
      if (page.items.length === 0) return;
      for (const item of projectItems(page.items, options)) yield item as T;
      position += page.items.length;
      remaining -= page.items.length;
      if (page.items.length < want) return;
    }
  }

  /** Writes every item as CSV or JSON into a key-value store record (the default store unless named). */
  async exportTo(options: ExportOptions): Promise<void> {
    const { key, contentType = 'json', toKvsId, toKvsName } = options;
    const mime = EXPORT_CONTENT_TYPES[contentType];
    if (!mime) throw new StorageError('invalid-argument', `Export content type must be "csv" or "json", got ${JSON.stringify(contentType)}`);
    if (toKvsId !== undefined && toKvsName !== undefined) {
      throw new StorageError('invalid-argument', 'Export to a store by id or by name, not both');
    }
    // Check the key before opening the store, so a bad key creates no store.
    assertRecordKey(key);
    const store = await KeyValueStore.open({ id: toKvsId, name: toKvsName, storageClient: this.storageClient });
    const items: DatasetItem[] = [];
    for await (const item of this.iterateItems()) items.push(item);
    await store.setValue(key, contentType === 'csv' ? itemsToCsv(items) : itemsToJson(items), { contentType: mime });
  }

  /** Exports every item as CSV into the record `key`. */
  async exportToCSV(key: string, options: Omit<ExportOptions, 'key' | 'contentType'> = {}): Promise<void> {
    await this.exportTo({ ...options, key, contentType: 'csv' });
  }

  /** Exports every item as a JSON array into the record `key`. */
  async exportToJSON(key: string, options: Omit<ExportOptions, 'key' | 'contentType'> = {}): Promise<void> {
    await this.exportTo({ ...options, key, contentType: 'json' });
  }

  /** The dataset's metadata (`itemCount`, dates). */
  async getMetadata(): Promise<DatasetMetadata> {
    return this.#client.getMetadata();
  }

  /** Deletes the dataset with all its items. */
  async drop(): Promise<void> {
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
