import {
  createRecordSignature,
  isJsonContentType,
  isTextContentType,
  keyValueStoreMetadataSchema,
  type KeysPage,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type ListKeysOptions,
  type RecordInfo,
  type StoredRecord,
} from '@x/core';
import { segment, type ApiHttp } from './api-http.js';

interface KeysData {
  readonly items: { readonly key: string; readonly size: number; readonly contentType?: string }[];
  readonly isTruncated: boolean;
  readonly nextExclusiveStartKey?: string | null;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A key-value store on the API. */
export class CloudKeyValueStore implements KeyValueStoreClient {
  readonly #http: ApiHttp;
  readonly #id: string;
  readonly #what: string;
  readonly #urlSigningSecretKey: string | undefined;

  constructor(http: ApiHttp, id: string, urlSigningSecretKey: string | undefined) {
    this.#http = http;
    this.#id = id;
    this.#what = `Key-value store "${id}"`;
    this.#urlSigningSecretKey = urlSigningSecretKey;
  }

  #recordPath(key: string): string {
    return `key-value-stores/${segment(this.#id)}/records/${segment(key)}`;
  }

  async getMetadata(): Promise<KeyValueStoreMetadata> {
    const data = await this.#http.data<unknown>({ method: 'GET', path: `key-value-stores/${segment(this.#id)}`, what: this.#what });
    return keyValueStoreMetadataSchema.parse(data);
  }

  async getRecord(key: string): Promise<StoredRecord | undefined> {
    const response = await this.#http.call({ method: 'GET', path: this.#recordPath(key), notFound: 'absent', what: this.#what });
    if (response.statusCode === 404) return undefined;
    const contentType = headerValue(response.headers['content-type']) ?? 'application/octet-stream';
    const text = isJsonContentType(contentType) || isTextContentType(contentType);
    return { key, body: text ? response.body.toString('utf8') : response.body, contentType };
  }

  async setRecord({ key, body, contentType }: StoredRecord): Promise<void> {
    await this.#http.call({ method: 'PUT', path: this.#recordPath(key), body, contentType, what: this.#what });
  }

  async deleteRecord(key: string): Promise<void> {
    await this.#http.call({ method: 'DELETE', path: this.#recordPath(key), notFound: 'absent', what: this.#what });
  }

  async recordExists(key: string): Promise<boolean> {
    const response = await this.#http.call({ method: 'HEAD', path: this.#recordPath(key), notFound: 'absent', what: this.#what });
    return response.statusCode !== 404;
  }

  async listKeys({ exclusiveStartKey, prefix, limit }: ListKeysOptions): Promise<KeysPage> {
    const data = await this.#http.data<KeysData>({
      method: 'GET',
      path: `key-value-stores/${segment(this.#id)}/keys`,
      searchParams: { limit, exclusiveStartKey, prefix },
      what: this.#what,
    });
    const items: RecordInfo[] = [];
    for (const item of data?.items ?? []) {
      // The Apify platform lists no content types; ask for each record's then.
      let contentType = item.contentType;
      if (contentType === undefined) {
        const head = await this.#http.call({ method: 'HEAD', path: this.#recordPath(item.key), notFound: 'absent', what: this.#what });
        contentType = headerValue(head.headers['content-type']) ?? 'application/octet-stream';
      }
      items.push({ key: item.key, size: item.size, contentType });
    }
    const next = data?.nextExclusiveStartKey ?? items.at(-1)?.key;
    return data?.isTruncated && next !== undefined ? { items, isTruncated: true, nextExclusiveStartKey: next } : { items, isTruncated: false };
  }

  /** The record's API URL; signed when the store has a `urlSigningSecretKey`, so it reads without a token. */
  async getPublicUrl(key: string): Promise<string> {
    const url = new URL(`${this.#http.baseUrl}/v2/${this.#recordPath(key)}`);
    if (this.#urlSigningSecretKey !== undefined) url.searchParams.set('signature', createRecordSignature(this.#urlSigningSecretKey, key));
    return url.toString();
  }

  async drop(): Promise<void> {
    await this.#http.call({ method: 'DELETE', path: `key-value-stores/${segment(this.#id)}`, what: this.#what });
  }
}
