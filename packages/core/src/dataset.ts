import { DATASET_EXPORT_CONTENT_TYPES, exportDatasetItems, isDatasetExportFormat, type DatasetExport, type DatasetExportFormat, type DatasetExportOptions } from './dataset-export.js';
import { StorageError } from './errors.js';
import { projectItems, type ItemProjectionOptions } from './export-format.js';
import { KeyValueStore, storeMadeRecord } from './key-value-store.js';
import type { DatasetMetadata } from './models.js';
import type { DatasetClient, StorageClient } from './storage-client.js';
import { forgetStorage, openCached, type OpenStorageClientOptions, type OpenStorageInput } from './storage-registry.js';
import { assertOptionalCount, assertRecordKey, serializeDatasetItems } from './validation.js';

/** A dataset item: a plain JSON object. */
export type DatasetItem = Record<string, unknown>;

/** Options of {@link Dataset.getData} (the fields of Crawlee's `DatasetDataOptions` too). */
export interface GetDataOptions extends ItemProjectionOptions {
  /** Items to skip (from the end with `desc`). Default 0. */
  readonly offset?: number;
  /** At most this many items. Default: all. */
  readonly limit?: number;
  /** Newest first. */
  readonly desc?: boolean;
  /** Leave out fields starting with `#` and items left empty (`skipHidden` and `skipEmpty`). */
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

/**
 * Options of {@link Dataset.forEach}, {@link Dataset.map} and {@link Dataset.reduce}: Crawlee's
 * `DatasetIteratorOptions` (`desc`, `fields`, `unwind`, and `offset`, `clean`, `skipHidden`,
 * `skipEmpty`, `format`) and the options of {@link Dataset.iterateItems}. `limit` stops after that
 * many items, as in {@link Dataset.getData} (Crawlee's internal `limit` is a page size: use
 * `pageSize` for that).
 */
export interface DatasetIteratorOptions extends IterateItemsOptions {
  /** The format of the items: only `json` (the default), as in Crawlee. */
  readonly format?: string;
}

/** The function {@link Dataset.forEach} calls with each item and its index. */
export type DatasetConsumer<T> = (item: T, index: number) => unknown;

/** The function {@link Dataset.map} calls with each item and its index. */
export type DatasetMapper<T, R> = (item: T, index: number) => R | Promise<R>;

/** The function {@link Dataset.reduce} calls with the value so far, each item and its index. */
export type DatasetReducer<M, T> = (memo: M, item: T, index: number) => M | Promise<M>;

/** Where an export goes (a record in a key-value store) and how it is made: the options of the export engine ({@link DatasetExportOptions}). */
export interface ExportToOptions extends Omit<DatasetExportOptions, 'format'> {
  /** The format: any of the Apify API's (`json`, `jsonl`, `csv`, `xlsx`, `xml`, `html`, `rss`); default `json`. */
  readonly format?: DatasetExportFormat | undefined;
  /** The former name of `format`, for `csv` and `json` only. */
  readonly contentType?: 'csv' | 'json' | undefined;
  /** The store by id (else the default store). */
  readonly toKvsId?: string | undefined;
  /** The store by name, created when missing. */
  readonly toKvsName?: string | undefined;
  /** Crawlee's name: the store by id or name (a name is created when missing). */
  readonly toKVS?: string | undefined;
}

/** {@link ExportToOptions} with the record's `key`: the object form of {@link Dataset.exportTo}. */
export interface ExportOptions extends ExportToOptions {
  readonly key: string;
}

/** Crawlee's content types for the third argument of `exportTo(key, options, contentType)`. */
const CRAWLEE_CONTENT_TYPES: Readonly<Record<string, DatasetExportFormat>> = { 'text/csv': 'csv', 'application/json': 'json' };

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
   * when missing). A plain string is an id or a name, as in Crawlee's `Dataset.open(idOrName,
   * { storageClient })`: the dataset with that id when there is one, else the one of that name.
   * The same dataset opened twice is the same instance.
   */
  static async open(options?: OpenStorageInput, clientOptions?: OpenStorageClientOptions): Promise<Dataset> {
    return openCached(
      'dataset',
      options,
      async (storageClient, target) => {
        const client = await storageClient.openDataset(target);
        const metadata = await client.getMetadata();
        return { instance: new Dataset(client, storageClient, metadata), id: metadata.id };
      },
      clientOptions,
    );
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

  /**
   * Calls `iteratee` with each item and its index (from `index`, default 0), one at a time, awaiting
   * what it returns; a throw stops the iteration and rejects. Crawlee's and the Apify SDK's
   * `forEach`, with the same arguments; the items are read page by page, as {@link Dataset.iterateItems} reads them.
   */
  async forEach<T extends DatasetItem = DatasetItem>(iteratee: DatasetConsumer<T>, options: DatasetIteratorOptions = {}, index = 0): Promise<void> {
    if (typeof iteratee !== 'function') throw new StorageError('invalid-argument', 'forEach() takes a function');
    const { format, ...iterateOptions } = options ?? {};
    if (format !== undefined && format !== 'json') {
      throw new StorageError('invalid-argument', `Dataset.forEach/map/reduce() support only the "json" format, got ${JSON.stringify(format)}`);
    }
    if (!Number.isInteger(index)) throw new StorageError('invalid-argument', 'forEach() index must be an integer');
    let position = index;
    for await (const item of this.iterateItems<T>(iterateOptions)) await iteratee(item, position++);
  }

  /**
   * The results of `iteratee` for each item (with its index), in order; a returned promise is
   * awaited before the next call. Crawlee's and the Apify SDK's `map`.
   */
  async map<R, T extends DatasetItem = DatasetItem>(iteratee: DatasetMapper<T, R>, options: DatasetIteratorOptions = {}): Promise<R[]> {
    if (typeof iteratee !== 'function') throw new StorageError('invalid-argument', 'map() takes a function');
    const results: R[] = [];
    await this.forEach<T>(async (item, index) => {
      results.push(await iteratee(item, index));
    }, options);
    return results;
  }

  /**
   * Folds the items into one value, as Crawlee's and the Apify SDK's `reduce`: `iteratee(memo, item,
   * index)` gives the next memo. Without `memo`, the first item is the memo and `iteratee` starts
   * at the second (index 1); an empty dataset then gives `undefined`.
   */
  async reduce<T extends DatasetItem = DatasetItem>(iteratee: DatasetReducer<T, T>): Promise<T | undefined>;
  async reduce<T extends DatasetItem = DatasetItem>(iteratee: DatasetReducer<T, T>, memo: undefined, options: DatasetIteratorOptions): Promise<T | undefined>;
  async reduce<M, T extends DatasetItem = DatasetItem>(iteratee: DatasetReducer<M, T>, memo: M, options?: DatasetIteratorOptions): Promise<M>;
  async reduce<M, T extends DatasetItem = DatasetItem>(iteratee: DatasetReducer<M, T>, memo?: M, options: DatasetIteratorOptions = {}): Promise<M | undefined> {
    if (typeof iteratee !== 'function') throw new StorageError('invalid-argument', 'reduce() takes a function');
    let current = memo;
    await this.forEach<T>(async (item, index) => {
      if (index === 0 && current === undefined) current = item as unknown as M;
      else current = await iteratee(current as M, item, index);
    }, options);
    return current;
  }

  /**
   * Exports the items in any format of the Apify API (see {@link DatasetExportOptions}), as a
   * stream read page by page from the storage as it is consumed: a dataset of any size exports in
   * bounded memory. Resolves once the export is known to be possible (for CSV, XLSX and HTML, once
   * the columns are found); bad options reject with `invalid-argument`.
   *
   * ```ts
   * const exported = await dataset.exportStream({ format: 'xlsx', clean: true });
   * await pipeline(exported.toReadable(), createWriteStream(`items.${exported.extension}`));
   * ```
   */
  async exportStream(options: DatasetExportOptions = {}): Promise<DatasetExport> {
    return exportDatasetItems(this.#client, options);
  }

  /**
   * Writes the items in any format of the Apify API into a key-value store record (the default
   * store unless `toKvsId`, `toKvsName` or `toKVS` names one), with the format's content type.
   * Two forms: `exportTo({ key, format, … })`, and Crawlee's `exportTo(key, options?, contentType?)`
   * (`contentType` `text/csv` or `application/json`). The record holds the whole export: for a
   * large dataset, prefer {@link Dataset.exportStream}. No byte order mark unless `bom: true`.
   * Bad options, or a bad key or store name, reject before any store is made or written.
   */
  async exportTo(options: ExportOptions): Promise<void>;
  async exportTo(key: string, options?: ExportToOptions, contentType?: string): Promise<void>;
  async exportTo(keyOrOptions: string | ExportOptions, maybeOptions: ExportToOptions = {}, crawleeContentType?: string): Promise<void> {
    const { key, ...options } = typeof keyOrOptions === 'string' ? { ...maybeOptions, key: keyOrOptions } : keyOrOptions;
    const { contentType, toKvsId, toKvsName, toKVS, ...exportOptions } = options;
    let format = exportOptions.format;
    if (crawleeContentType !== undefined) {
      const crawleeFormat = CRAWLEE_CONTENT_TYPES[crawleeContentType];
      if (!crawleeFormat) throw new StorageError('invalid-argument', `Export content type must be "text/csv" or "application/json", got ${JSON.stringify(crawleeContentType)}`);
      format ??= crawleeFormat;
    }
    if (contentType !== undefined) {
      if (contentType !== 'csv' && contentType !== 'json') {
        throw new StorageError('invalid-argument', `Export content type must be "csv" or "json" (or use "format"), got ${JSON.stringify(contentType)}`);
      }
      format ??= contentType;
    }
    format ??= 'json';
    if (!isDatasetExportFormat(format)) throw new StorageError('invalid-argument', `Export format must be one of json, jsonl, csv, xlsx, xml, html, rss; got ${JSON.stringify(format)}`);
    if ([toKvsId, toKvsName, toKVS].filter((target) => target !== undefined).length > 1) {
      throw new StorageError('invalid-argument', 'Export to a store by id or by name, not both');
    }
    // Check the key before opening the store or reading any item, so a bad key creates no store.
    assertRecordKey(key);
    const exported = await exportDatasetItems(this.#client, { ...exportOptions, format });
    const body = await exported.toBuffer();
    const target = toKVS !== undefined ? toKVS : { id: toKvsId, name: toKvsName };
    const store = await KeyValueStore.open(target, { storageClient: this.storageClient });
    // The engine made the body: valid in its format (JSON of items checked when pushed), so it is not parsed again.
    await storeMadeRecord(store, key, body, DATASET_EXPORT_CONTENT_TYPES[format]);
  }

  /** Exports every item as CSV into the record `key` (RFC 4180, CRLF, no byte order mark; see {@link Dataset.exportTo} for the options). */
  async exportToCSV(key: string, options: Omit<ExportToOptions, 'format' | 'contentType'> = {}): Promise<void> {
    await this.exportTo(key, { ...options, format: 'csv' });
  }

  /** Exports every item as a JSON array into the record `key` (see {@link Dataset.exportTo} for the options). */
  async exportToJSON(key: string, options: Omit<ExportToOptions, 'format' | 'contentType'> = {}): Promise<void> {
    await this.exportTo(key, { ...options, format: 'json' });
  }

  /** The dataset's metadata (`itemCount`, dates). */
  async getMetadata(): Promise<DatasetMetadata> {
    return this.#client.getMetadata();
  }

  /** The dataset's metadata: Crawlee's and the Apify SDK's name for {@link Dataset.getMetadata}, the same call. */
  async getInfo(): Promise<DatasetMetadata> {
    return this.getMetadata();
  }

  /** Deletes the dataset with all its items. */
  async drop(): Promise<void> {
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
