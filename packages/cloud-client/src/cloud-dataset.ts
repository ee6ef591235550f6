import { datasetMetadataSchema, type DatasetClient, type DatasetItemsPage, type DatasetMetadata, type ListItemsOptions } from '@x/core';
import { parseJson, segment, type ApiHttp } from './api-http.js';

/** Most bytes one push call sends: a dataset push is split into calls under 9 MiB. */
export const MAX_PUSH_BYTES = 9 * 1024 * 1024 - 1024;

/** Splits serialized items into groups whose JSON array stays under `maxBytes` (an oversized item goes alone). */
export function chunkItems(jsonItems: readonly string[], maxBytes: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 2;
  for (const item of jsonItems) {
    const bytes = Buffer.byteLength(item);
    if (current.length > 0 && size + bytes + 1 > maxBytes) {
      chunks.push(current);
      current = [];
      size = 2;
    }
    current.push(item);
    size += bytes + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** A dataset on the API. */
export class CloudDataset implements DatasetClient {
  readonly #http: ApiHttp;
  readonly #id: string;
  readonly #what: string;

  constructor(http: ApiHttp, id: string) {
    this.#http = http;
    this.#id = id;
    this.#what = `Dataset "${id}"`;
  }

  async getMetadata(): Promise<DatasetMetadata> {
    const data = await this.#http.data<unknown>({ method: 'GET', path: `datasets/${segment(this.#id)}`, what: this.#what });
    return datasetMetadataSchema.parse(data);
  }

  async pushItems(jsonItems: readonly string[]): Promise<void> {
    for (const chunk of chunkItems(jsonItems, MAX_PUSH_BYTES)) {
      await this.#http.call({
        method: 'POST',
        path: `datasets/${segment(this.#id)}/items`,
        body: `[${chunk.join(',')}]`,
        contentType: 'application/json; charset=utf-8',
        what: this.#what,
        tooLargeCode: 'item-too-large',
      });
    }
  }

  async listItems({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemsPage> {
    const items: Record<string, unknown>[] = [];
    let total = 0;
    // The API may give fewer items than asked for (a page limit); read on until done.
    for (;;) {
      const want = limit - items.length;
      const response = await this.#http.call({
        method: 'GET',
        path: `datasets/${segment(this.#id)}/items`,
        searchParams: { offset: offset + items.length, limit: want, desc, format: 'json' },
        what: this.#what,
      });
      const page = parseJson<Record<string, unknown>[]>(response.body, this.#what);
      total = Number(response.headers['x-apify-pagination-total'] ?? page.length);
      for (const item of page) items.push(item);
      if (page.length === 0 || items.length >= limit || offset + items.length >= total) break;
    }
    return { items, total };
  }

  async drop(): Promise<void> {
    await this.#http.call({ method: 'DELETE', path: `datasets/${segment(this.#id)}`, what: this.#what });
  }
}
