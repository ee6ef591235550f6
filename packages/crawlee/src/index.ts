export { CrawleeStorageClient, toCrawleeStorageClient, type CrawleeStorageClientOptions } from './crawlee-storage-client.js';
