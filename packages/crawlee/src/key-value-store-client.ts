import { Readable } from 'node:stream';
import type * as crawlee from '@crawlee/types';
import { assertRecordKey, isValidRecordKey, readRecordStream, serializeRecordValue, type RecordBody } from '@x/core';
import { iterablePromise, type IterablePromise } from './iterable-promise.js';
import { StorageHandle, countOption } from './storages.js';

/** Keys per page when `limit` is not given, as Crawlee's storage and the Apify API have it. */
const DEFAULT_KEYS_LIMIT = 1000;

function mediaTypeOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * A record's value as Crawlee's storage gives it: `application/json` parsed, `text/*` and
 * `application/*xml` as a string, anything else as a Buffer.
 */
function crawleeValueOf(body: RecordBody, contentType: string): unknown {
  const type = mediaTypeOf(contentType);
  const text = (): string => (typeof body === 'string' ? body : body.toString('utf8'));
  if (type === 'application/json') return JSON.parse(text()) as unknown;
  if (type.startsWith('text/') || /^application\/.*xml$/.test(type)) return text();
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** One of our key-value stores as Crawlee's `KeyValueStoreClient`. */
export class CrawleeKeyValueStoreClient implements crawlee.KeyValueStoreClient {
  readonly #storage: StorageHandle<'keyValueStore'>;

  constructor(storage: StorageHandle<'keyValueStore'>) {
    this.#storage = storage;
  }

  /** The store's info, or `undefined` when it does not exist. */
  async get(): Promise<crawlee.KeyValueStoreInfo | undefined> {
    const metadata = await this.#storage.metadata();
    return metadata && this.#storage.storages.info('keyValueStore', metadata);
  }

  /** Stores cannot be renamed: gives the info when `name` is the store's own (or absent). */
  async update(newFields: crawlee.KeyValueStoreClientUpdateOptions = {}): Promise<Partial<crawlee.KeyValueStoreInfo>> {
    return this.#storage.storages.info('keyValueStore', await this.#storage.checkUpdate(newFields));
  }

  /** Deletes the store with its records. */
  async delete(): Promise<void> {
    await this.#storage.delete();
  }

  async #keysPage(exclusiveStartKey: string | undefined, limit: number, prefix: string | undefined): Promise<crawlee.KeyValueStoreClientListData> {
    const page = await this.#storage.use((client) =>
      client.listKeys({
        limit,
        ...(exclusiveStartKey === undefined ? {} : { exclusiveStartKey }),
        ...(prefix === undefined ? {} : { prefix }),
      }),
    );
    return {
      count: page.items.length,
      limit,
      ...(exclusiveStartKey === undefined ? {} : { exclusiveStartKey }),
      isTruncated: page.isTruncated,
      ...(page.nextExclusiveStartKey === undefined ? {} : { nextExclusiveStartKey: page.nextExclusiveStartKey }),
      items: page.items.map(({ key, size }) => ({ key, size })),
    };
  }

  /** Every key from `exclusiveStartKey` on (at most `limit` of them, when given), page by page. */
  async *#allKeys(options: crawlee.KeyValueStoreClientListOptions): AsyncGenerator<crawlee.KeyValueStoreItemData, void, undefined> {
    let remaining = options.limit === undefined ? Infinity : countOption(options.limit, 'limit', DEFAULT_KEYS_LIMIT);
    let from = options.exclusiveStartKey;
    while (remaining > 0) {
      const page = await this.#keysPage(from, Math.min(DEFAULT_KEYS_LIMIT, remaining), options.prefix);
      for (const item of page.items) yield item;
      remaining -= page.items.length;
      if (!page.isTruncated || page.nextExclusiveStartKey === undefined || page.items.length === 0) return;
      from = page.nextExclusiveStartKey;
    }
  }

  /** A page of keys in ascending order; iterate the result with `for await` to read every key. */
  listKeys(options: crawlee.KeyValueStoreClientListOptions = {}): IterablePromise<crawlee.KeyValueStoreClientListData, crawlee.KeyValueStoreItemData> {
    const limit = countOption(options.limit, 'limit', DEFAULT_KEYS_LIMIT);
    return iterablePromise(
      () => this.#keysPage(options.exclusiveStartKey, limit, options.prefix),
      () => this.#allKeys(options),
    );
  }

  /** As {@link CrawleeKeyValueStoreClient.listKeys}; iterating it gives the keys as strings. */
  keys(options: crawlee.KeyValueStoreClientListOptions = {}): IterablePromise<crawlee.KeyValueStoreClientListData, string> {
    const all = this.#allKeys.bind(this);
    return iterablePromise(
      () => this.#keysPage(options.exclusiveStartKey, countOption(options.limit, 'limit', DEFAULT_KEYS_LIMIT), options.prefix),
      async function* () {
        for await (const { key } of all(options)) yield key;
      },
    );
  }

  /** The values of the records of the first page of keys; iterating it gives every value. */
  values(options: crawlee.KeyValueStoreClientListOptions = {}): IterablePromise<unknown[], unknown> {
    const entries = this.entries(options);
    return iterablePromise(
      async () => (await entries).map(([, value]) => value),
      async function* () {
        for await (const [, value] of entries) yield value;
      },
    );
  }

  /** `[key, value]` of the records of the first page of keys; iterating it gives every record. */
  entries(options: crawlee.KeyValueStoreClientListOptions = {}): IterablePromise<[string, unknown][], [string, unknown]> {
    const all = this.#allKeys.bind(this);
    const getRecord = this.getRecord.bind(this);
    return iterablePromise(
      async () => {
        const page = await this.#keysPage(options.exclusiveStartKey, countOption(options.limit, 'limit', DEFAULT_KEYS_LIMIT), options.prefix);
        const out: [string, unknown][] = [];
        for (const { key } of page.items) {
          const record = await getRecord(key);
          if (record) out.push([key, record.value]);
        }
        return out;
      },
      async function* () {
        for await (const { key } of all(options)) {
          const record = await getRecord(key);
          if (record) yield [key, record.value];
        }
      },
    );
  }

  /** True when the record exists (never for a key no record can have). */
  async recordExists(key: string): Promise<boolean> {
    if (!isValidRecordKey(key)) return false;
    return this.#storage.use((client) => client.recordExists(key));
  }

  /**
   * The record of `key`, or `undefined`: its value parsed as Crawlee's storage does (see
   * `crawleeValueOf`), or as a Buffer with `{ buffer: true }`, or a Readable with `{ stream: true }`.
   */
  async getRecord(key: string, options: crawlee.KeyValueStoreClientGetRecordOptions = {}): Promise<crawlee.KeyValueStoreRecord | undefined> {
    if (!isValidRecordKey(key)) return undefined;
    const record = await this.#storage.use((client) => client.getRecord(key));
    if (!record) return undefined;
    const bytes = (): Buffer => (typeof record.body === 'string' ? Buffer.from(record.body, 'utf8') : record.body);
    let value: unknown;
    if (options.stream) value = Readable.from([bytes()]);
    else if (options.buffer) value = bytes();
    else value = crawleeValueOf(record.body, record.contentType);
    return { key: record.key, value, contentType: record.contentType };
  }

  /**
   * Stores a record. A value without a content type is stored as our `KeyValueStore.setValue` stores it
   * (text, bytes or JSON); streams are read first. A bad key, content type or value is a
   * `StorageError` and writes nothing.
   */
  async setRecord(record: crawlee.KeyValueStoreRecord, _options?: crawlee.KeyValueStoreRecordOptions): Promise<void> {
    const { key, contentType } = record;
    assertRecordKey(key);
    const read = await readRecordStream(key, record.value);
    const serialized = serializeRecordValue(key, read.value, contentType ?? read.contentType);
    await this.#storage.use((client) => client.setRecord({ key, ...serialized }));
  }

  /** Deletes the record of `key`; nothing happens when there is none. */
  async deleteRecord(key: string): Promise<void> {
    if (!isValidRecordKey(key)) return;
    await this.#storage.use((client) => client.deleteRecord(key));
  }
}
