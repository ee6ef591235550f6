/**
 * `@x/cloud-client`: the storage client of `@x/core` for remote storages over the Apify API v2
 * (the Apify platform, or an `@x/server`).
 *
 * @packageDocumentation
 */

/** The storage client over HTTP, and its options. */
export { CloudStorageClient, DEFAULT_NETWORK_RETRY_DEADLINE_MS, MAX_FETCH_BATCH_SIZE, type CloudStorageClientOptions } from './cloud-storage-client.js';
/** Most requests one batch call adds (25). */
export { BATCH_SIZE } from './cloud-request-queue.js';
/** Most bytes of one dataset push call (just under 9 MiB), and how items are split to stay under it. */
export { MAX_PUSH_BYTES, chunkItems } from './cloud-dataset.js';
/** A dataset on the API (what `openDataset` gives), with `downloadItems(format, options)` in any export format. */
export { CloudDataset, type DownloadItemsOptions } from './cloud-dataset.js';
/** Request bodies of this many bytes or more are gzip-compressed (1 KiB). */
export { COMPRESS_MIN_BYTES } from './api-http.js';
