export { MemoryStorageClient } from './memory-storage-client.js';
