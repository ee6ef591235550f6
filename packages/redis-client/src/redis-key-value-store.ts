import {
  StorageError,
  createRecordSignature,
  notFound,
  type KeysPage,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type ListKeysOptions,
  type RecordInfo,
  type StoredRecord,
} from '@x/core';
import { keyValueStoreKeys, type KeyValueStoreKeys } from './redis-keys.js';
import { RedisStorage, fieldsOf, numberOf, type RedisStorageContext } from './redis-storage.js';

/**
 * A key-value store in Redis: bodies (bytes, binary-safe) and content types in two HASHes by key,
 * and the keys in a sorted set listed with ZRANGEBYLEX, so a page of keys costs O(log n + limit).
 */
export class RedisKeyValueStore extends RedisStorage implements KeyValueStoreClient {
  protected readonly kind = 'keyValueStore';
  readonly #keys: KeyValueStoreKeys;
  readonly #publicBaseUrl: string | undefined;

  constructor(context: RedisStorageContext, id: string, name: string | undefined, publicBaseUrl: string | undefined) {
    super(context, id, name);
    this.#keys = keyValueStoreKeys(context.prefix, id);
    this.#publicBaseUrl = publicBaseUrl;
  }

  protected get metaKey(): string {
    return this.#keys.meta;
  }

  protected allKeys(): readonly string[] {
    return [this.#keys.meta, this.#keys.bodies, this.#keys.types, this.#keys.keys];
  }

  get #recordKeys(): string[] {
    return [this.#keys.meta, this.#keys.bodies, this.#keys.types, this.#keys.keys];
  }

  async getMetadata(): Promise<KeyValueStoreMetadata> {
    const reply = (await this.run('storage-metadata', [this.#keys.meta], [])) as unknown[];
    const fields = fieldsOf(reply);
    const secret = fields.get('urlSigningSecretKey');
    return secret === undefined ? this.baseMetadata(fields) : { ...this.baseMetadata(fields), urlSigningSecretKey: secret };
  }

  async getRecord(key: string): Promise<StoredRecord | undefined> {
    const reply = (await this.run('get-record', [this.#keys.meta, this.#keys.bodies, this.#keys.types], [key], { buffers: true })) as Buffer[];
    if (reply.length === 0) return undefined;
    const [body, contentType] = reply;
    if (!Buffer.isBuffer(body) || !Buffer.isBuffer(contentType)) throw new StorageError('internal', `${this.label}: record "${key}" came back incomplete`);
    return { key, body, contentType: contentType.toString('utf8') };
  }

  async setRecord({ key, body, contentType }: StoredRecord): Promise<void> {
    await this.run('set-record', this.#recordKeys, [key, body, contentType]);
  }

  async deleteRecord(key: string): Promise<void> {
    await this.run('delete-record', this.#recordKeys, [key]);
  }

  async recordExists(key: string): Promise<boolean> {
    return numberOf(await this.run('record-exists', [this.#keys.meta, this.#keys.bodies], [key])) === 1;
  }

  async listKeys({ exclusiveStartKey, prefix, limit }: ListKeysOptions): Promise<KeysPage> {
    const reply = (await this.run('list-keys', this.#recordKeys, [exclusiveStartKey ?? '', prefix ?? '', String(limit)])) as unknown[];
    const items: RecordInfo[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) items.push({ key: String(reply[i]), size: numberOf(reply[i + 1]), contentType: String(reply[i + 2]) });
    const last = items.at(-1);
    return numberOf(reply[0]) === 1 && last ? { items, isTruncated: true, nextExclusiveStartKey: last.key } : { items, isTruncated: false };
  }

  /**
   * With `publicBaseUrl` (an `@x/server` serving this Redis), the record's API URL there, signed
   * with the store's own secret so that it reads without a token, always the record as it is now.
   * Without it, a `data:` URL holding the record as it is now: Redis has no address a browser or
   * an HTTP client could read a record from.
   */
  async getPublicUrl(key: string): Promise<string> {
    if (this.#publicBaseUrl !== undefined) {
      const [metadata, exists] = await Promise.all([this.getMetadata(), this.recordExists(key)]);
      if (!exists) throw notFound(`Record "${key}" in ${this.label}`);
      const url = new URL(`${this.#publicBaseUrl}/v2/key-value-stores/${encodeURIComponent(this.id)}/records/${encodeURIComponent(key)}`);
      if (metadata.urlSigningSecretKey !== undefined) url.searchParams.set('signature', createRecordSignature(metadata.urlSigningSecretKey, key));
      return url.toString();
    }
    const record = await this.getRecord(key);
    if (!record) throw notFound(`Record "${key}" in ${this.label}`);
    const bytes = typeof record.body === 'string' ? Buffer.from(record.body) : record.body;
    return `data:${record.contentType.replaceAll(' ', '')};base64,${bytes.toString('base64')}`;
  }
}
