import {
  createUrlSigningSecretKey,
  notFound,
  pageOfSortedKeys,
  recordBodySize,
  type KeysPage,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type ListKeysOptions,
  type StoredRecord,
} from '@x/core';
import { MemoryStorageBase } from './memory-collection.js';

interface MemoryRecord {
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly size: number;
}

/** A key-value store in memory. Byte bodies are copied in and out, so callers never share them. */
export class MemoryKeyValueStore extends MemoryStorageBase implements KeyValueStoreClient {
  readonly #records = new Map<string, MemoryRecord>();
  #sortedKeys: string[] | undefined;
  /** This store's own secret for signed record URLs, made with the store. */
  readonly #urlSigningSecretKey = createUrlSigningSecretKey();

  async getMetadata(): Promise<KeyValueStoreMetadata> {
    this.assertLive();
    return { ...this.baseMetadata(), urlSigningSecretKey: this.#urlSigningSecretKey };
  }

  async getRecord(key: string): Promise<StoredRecord | undefined> {
    this.assertLive();
    this.accessedAt = Date.now();
    const record = this.#records.get(key);
    if (!record) return undefined;
    const body = typeof record.body === 'string' ? record.body : Buffer.from(record.body);
    return { key, body, contentType: record.contentType };
  }

  async setRecord({ key, body, contentType }: StoredRecord): Promise<void> {
    this.assertLive();
    if (!this.#records.has(key)) this.#sortedKeys = undefined;
    // The core hands over a fresh Buffer for bytes; it is ours to keep.
    this.#records.set(key, { body, contentType, size: recordBodySize(body) });
    this.modifiedAt = this.accessedAt = Date.now();
  }

  async deleteRecord(key: string): Promise<void> {
    this.assertLive();
    if (this.#records.delete(key)) {
      this.#sortedKeys = undefined;
      this.modifiedAt = this.accessedAt = Date.now();
    }
  }

  async recordExists(key: string): Promise<boolean> {
    this.assertLive();
    return this.#records.has(key);
  }

  async listKeys(options: ListKeysOptions): Promise<KeysPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    this.#sortedKeys ??= [...this.#records.keys()].sort();
    return pageOfSortedKeys(this.#sortedKeys, options, (key) => {
      const record = this.#records.get(key)!;
      return { key, size: record.size, contentType: record.contentType };
    });
  }

  /** A `data:` URL holding the record as it is now (memory has no address to serve it from). */
  async getPublicUrl(key: string): Promise<string> {
    this.assertLive();
    const record = this.#records.get(key);
    if (!record) throw notFound(`Record "${key}" in key-value store "${this.name ?? this.id}"`);
    const bytes = typeof record.body === 'string' ? Buffer.from(record.body) : record.body;
    return `data:${record.contentType.replaceAll(' ', '')};base64,${bytes.toString('base64')}`;
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.remove();
    this.#records.clear();
    this.#sortedKeys = undefined;
  }
}
