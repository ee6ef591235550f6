export { FileSystemStorageClient, defaultStorageDir, type FileSystemStorageClientOptions } from './fs-storage-client.js';
export type { WarningLogger } from './metadata-file.js';
