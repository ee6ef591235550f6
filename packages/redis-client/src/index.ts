export { RedisStorageClient, type RedisStorageClientOptions } from './redis-storage-client.js';
