import {
  StorageError,
  datasetMetadataSchema,
  isDatasetExportFormat,
  type DatasetClient,
  type DatasetExportFormat,
  type DatasetExportOptions,
  type DatasetItemsPage,
  type DatasetMetadata,
  type ListItemsOptions,
} from '@x/core';
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

/**
 * Options of {@link CloudDataset.downloadItems}: the parameters of the API's dataset items
 * endpoint, as the official client's `downloadItems` takes them.
 */
export type DownloadItemsOptions = Pick<
  DatasetExportOptions,
  'offset' | 'limit' | 'desc' | 'fields' | 'omit' | 'unwind' | 'flatten' | 'clean' | 'skipHidden' | 'skipEmpty' | 'bom' | 'delimiter' | 'skipHeaderRow' | 'xmlRoot' | 'xmlRow'
> & {
  /** Ask for `Content-Disposition: attachment` (it changes nothing of the bytes). */
  readonly attachment?: boolean | undefined;
};

function listParameter(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/** A dataset on the API: what `CloudStorageClient.openDataset` gives. */
export class CloudDataset implements DatasetClient {
  readonly #http: ApiHttp;
  readonly #id: string;
  readonly #what: string;

  /** @internal Made by `CloudStorageClient.openDataset`. */
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

  /**
   * The items in a format of the API (`json`, `jsonl`, `csv`, `xlsx`, `xml`, `html`, `rss`), made
   * by the server (the Apify platform, or an `@x/server` through the export engine of `@x/core`)
   * with the API's defaults (a byte order mark for CSV unless `bom: false`), as one Buffer: the
   * same call as the official client's `dataset(id).downloadItems(format, options)`. The whole
   * answer is held in memory; to stream a large export, open the dataset with `Dataset.open` on
   * this client and use `exportStream()`, which reads the items page by page.
   */
  async downloadItems(format: DatasetExportFormat, options: DownloadItemsOptions = {}): Promise<Buffer> {
    if (!isDatasetExportFormat(format)) throw new StorageError('invalid-argument', `${this.#what}: unknown export format ${JSON.stringify(format)}`);
    const response = await this.#http.call({
      method: 'GET',
      path: `datasets/${segment(this.#id)}/items`,
      searchParams: {
        format,
        offset: options.offset,
        limit: options.limit,
        desc: options.desc,
        fields: listParameter(options.fields),
        omit: listParameter(options.omit),
        unwind: listParameter(options.unwind),
        flatten: listParameter(options.flatten),
        clean: options.clean,
        skipHidden: options.skipHidden,
        skipEmpty: options.skipEmpty,
        bom: options.bom,
        delimiter: options.delimiter,
        skipHeaderRow: options.skipHeaderRow,
        xmlRoot: options.xmlRoot,
        xmlRow: options.xmlRow,
        attachment: options.attachment,
      },
      what: this.#what,
    });
    return response.body;
  }

  async drop(): Promise<void> {
    await this.#http.call({ method: 'DELETE', path: `datasets/${segment(this.#id)}`, what: this.#what });
  }
}
