import { StorageError } from './errors.js';
import type { KeyValueStoreMetadata } from './models.js';
import { assertContentType, deserializeRecordValue, readRecordStream, serializeRecordValue } from './serialization.js';
import type { KeyValueStoreClient, RecordInfo, StorageClient } from './storage-client.js';
import { eventBus, forgetStorage, openCached, type OpenStorageClientOptions, type OpenStorageInput } from './storage-registry.js';
import { assertRecordKey } from './validation.js';

/** Options of {@link KeyValueStore.setValue}. */
export interface SetValueOptions {
  /** The record's content type; chosen from the value when omitted. */
  readonly contentType?: string | undefined;
}

/** Options of {@link KeyValueStore.iterateKeys}. */
export interface IterateKeysOptions {
  /** Start after this key. */
  readonly exclusiveStartKey?: string | undefined;
  /** Only keys starting with this. */
  readonly prefix?: string | undefined;
  /** Keys read per call to the client. Default 1000. */
  readonly pageSize?: number | undefined;
}

/** Options of {@link KeyValueStore.forEachKey}: Crawlee's `KeyValueStoreIteratorOptions`. */
export interface KeyValueStoreIteratorOptions {
  /** Start after this key. */
  readonly exclusiveStartKey?: string | undefined;
  /** Only keys starting with this. */
  readonly prefix?: string | undefined;
}

/** What {@link KeyValueStore.forEachKey} tells of each record besides its key. */
export interface KeyInfo {
  /** Size of the record's body in bytes. */
  readonly size: number;
  /** The record's content type. */
  readonly contentType: string;
}

/** The function {@link KeyValueStore.forEachKey} calls with each key, its index and its record's size. */
export type KeyConsumer = (key: string, index: number, info: KeyInfo) => unknown;

/**
 * Stores a record whose body `@x/core` made itself (a dataset export), with its content type,
 * without checking or copying it again. Internal to the core: not exported from the package.
 */
export let storeMadeRecord: (store: KeyValueStore, key: string, body: Buffer, contentType: string) => Promise<void>;

/**
 * Records addressed by key, each with a content type. Strings are stored as text, bytes as
 * `application/octet-stream`, anything else as JSON; {@link KeyValueStore.getValue} gives back
 * what was stored. Open it with {@link KeyValueStore.open}.
 */
export class KeyValueStore {
  static {
    storeMadeRecord = async (store, key, body, contentType) => store.#client.setRecord({ key, body, contentType });
  }

  /** The store's id. */
  readonly id: string;
  /** The store's name, for named stores. */
  readonly name: string | undefined;
  /** The storage client the store lives in. */
  readonly storageClient: StorageClient;
  readonly #client: KeyValueStoreClient;
  readonly #autoSaved = new Map<string, unknown>();
  #persistListener: (() => Promise<void>) | undefined;

  private constructor(client: KeyValueStoreClient, storageClient: StorageClient, metadata: KeyValueStoreMetadata) {
    this.#client = client;
    this.storageClient = storageClient;
    this.id = metadata.id;
    this.name = metadata.name;
  }

  /**
   * Opens a key-value store: the run's default one, one by `id` (it must exist), or one by `name`
   * (made when missing). A plain string is an id or a name, as in Crawlee's
   * `KeyValueStore.open(idOrName, { storageClient })`: the store with that id when there is one,
   * else the one of that name. The same store opened twice is the same instance.
   */
  static async open(options?: OpenStorageInput, clientOptions?: OpenStorageClientOptions): Promise<KeyValueStore> {
    return openCached(
      'keyValueStore',
      options,
      async (storageClient, target) => {
        const client = await storageClient.openKeyValueStore(target);
        const metadata = await client.getMetadata();
        const instance = new KeyValueStore(client, storageClient, metadata);
        return { instance, id: metadata.id, release: () => instance.#stopAutoSaving() };
      },
      clientOptions,
    );
  }

  /**
   * The value of `key`: parsed JSON, a string for text, a Buffer for anything else; `defaultValue`
   * (or `null`) when there is no such record.
   */
  async getValue<T = unknown>(key: string): Promise<T | null>;
  async getValue<T>(key: string, defaultValue: T): Promise<T>;
  async getValue<T>(key: string, defaultValue?: T): Promise<T | null> {
    assertRecordKey(key);
    const record = await this.#client.getRecord(key);
    if (!record) return defaultValue === undefined ? null : defaultValue;
    return deserializeRecordValue(record.body, record.contentType) as T;
  }

  /**
   * Stores `value` under `key`; `null` or `undefined` deletes the record. The content type is the
   * given one, or text, bytes or JSON after the value: a string is text; a Buffer, typed array,
   * DataView or ArrayBuffer is stored as its bytes; a Node `Readable`, web `ReadableStream` or `Blob`
   * is read into bytes (at most 64 MiB; a Blob's own type is the default content type); anything else is JSON.
   * A value or content type that cannot be stored is refused (`invalid-value`, `invalid-argument`)
   * and nothing is written.
   */
  async setValue(key: string, value: unknown, options: SetValueOptions = {}): Promise<void> {
    assertRecordKey(key);
    if (value === null || value === undefined) {
      await this.#client.deleteRecord(key);
      return;
    }
    // A bad content type is refused before a stream is read.
    if (options.contentType !== undefined) assertContentType(options.contentType, key);
    const read = await readRecordStream(key, value);
    const { body, contentType } = serializeRecordValue(key, read.value, options.contentType ?? read.contentType);
    await this.#client.setRecord({ key, body, contentType });
  }

  /** True when a record of `key` exists. */
  async recordExists(key: string): Promise<boolean> {
    assertRecordKey(key);
    return this.#client.recordExists(key);
  }

  /** Iterates over the keys in ascending order, with each record's size and content type. */
  async *iterateKeys(options: IterateKeysOptions = {}): AsyncGenerator<RecordInfo, void, undefined> {
    const { prefix, pageSize = 1000 } = options;
    let exclusiveStartKey = options.exclusiveStartKey;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new StorageError('invalid-argument', 'pageSize must be a positive integer');
    for (;;) {
      const page = await this.#client.listKeys({
        limit: pageSize,
        ...(exclusiveStartKey === undefined ? {} : { exclusiveStartKey }),
        ...(prefix === undefined ? {} : { prefix }),
      });
      yield* page.items;
      const last = page.items.at(-1);
      if (!page.isTruncated || !last) return;
      exclusiveStartKey = page.nextExclusiveStartKey ?? last.key;
    }
  }

  /**
   * Calls `iteratee` with each key in ascending order, its index from 0 (whatever
   * `exclusiveStartKey` is) and `{ size, contentType }` of its record, one at a time, awaiting what it
   * returns; a throw stops the iteration and rejects. Crawlee's and the Apify SDK's `forEachKey`,
   * walking the keys as {@link KeyValueStore.iterateKeys} does.
   */
  async forEachKey(iteratee: KeyConsumer, options: KeyValueStoreIteratorOptions = {}): Promise<void> {
    if (typeof iteratee !== 'function') throw new StorageError('invalid-argument', 'forEachKey() takes a function');
    const { exclusiveStartKey, prefix } = options ?? {};
    let index = 0;
    for await (const { key, size, contentType } of this.iterateKeys({ exclusiveStartKey, prefix })) {
      await iteratee(key, index++, { size, contentType });
    }
  }

  /** A URL the record of `key` can be read from (what it is depends on the storage client). */
  async getPublicUrl(key: string): Promise<string> {
    assertRecordKey(key);
    return this.#client.getPublicUrl(key);
  }

  /**
   * A value that is saved for you: the stored value of `key` (or `defaultValue`), kept in memory
   * and written back on every `persistState` event and on {@link KeyValueStore.persistAutoSavedValues}.
   * Mutate the object you get; calling again gives the same object. `defaultValue` is `{}` when
   * omitted, as in Crawlee.
   */
  async getAutoSavedValue<T>(key: string, defaultValue: T = {} as T): Promise<T> {
    assertRecordKey(key);
    if (this.#autoSaved.has(key)) return this.#autoSaved.get(key) as T;
    const value = await this.getValue<T>(key, defaultValue);
    if (this.#autoSaved.has(key)) return this.#autoSaved.get(key) as T;
    this.#autoSaved.set(key, value);
    if (!this.#persistListener) {
      this.#persistListener = () => this.persistAutoSavedValues();
      eventBus.on('persistState', this.#persistListener);
    }
    return value;
  }

  /** Writes every auto-saved value now. */
  async persistAutoSavedValues(): Promise<void> {
    await Promise.all([...this.#autoSaved].map(([key, value]) => this.setValue(key, value)));
  }

  /** The store's metadata. */
  async getMetadata(): Promise<KeyValueStoreMetadata> {
    return this.#client.getMetadata();
  }

  /** Stops saving the auto-saved values on `persistState`. */
  #stopAutoSaving(): void {
    if (this.#persistListener) eventBus.off('persistState', this.#persistListener);
    this.#persistListener = undefined;
    this.#autoSaved.clear();
  }

  /** Deletes the store with all its records; auto-saved values of it are no longer saved. */
  async drop(): Promise<void> {
    this.#stopAutoSaving();
    await this.#client.drop();
    forgetStorage(this.storageClient, this);
  }
}
