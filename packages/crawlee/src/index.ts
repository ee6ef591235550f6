export { CrawleeStorageClient, toCrawleeStorageClient, type CrawleeStorageClientOptions } from './crawlee-storage-client.js';
export { CrawleeDatasetClient } from './dataset-client.js';
export { CrawleeKeyValueStoreClient } from './key-value-store-client.js';
export { CrawleeRequestQueueClient } from './request-queue-client.js';
export type { IterablePromise } from './iterable-promise.js';
