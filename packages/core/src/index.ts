export { StorageError, notFound, type StorageErrorCode } from './errors.js';
export {
  datasetMetadataSchema,
  httpMethodSchema,
  keyValueStoreMetadataSchema,
  parseStoredRequest,
  requestDataSchema,
  requestQueueMetadataSchema,
  storageMetadataOf,
  storageMetadataSchema,
  type AddRequestResult,
  type DatasetMetadata,
  type HttpMethod,
  type KeyValueStoreMetadata,
  type RequestData,
  type RequestQueueMetadata,
  type StorageKind,
  type StorageMetadata,
} from './models.js';
export {
  MAX_ITEM_BYTES,
  MAX_JSON_DEPTH,
  RECORD_KEY_PATTERN,
  RESERVED_STORAGE_NAME,
  STORAGE_NAME_PATTERN,
  assertRecordKey,
  assertStorageId,
  assertStorageName,
  isValidRecordKey,
  jsonTextExceedsDepth,
  serializeDatasetItems,
  serializeJson,
  storageNameTakenError,
} from './validation.js';
export {
  BINARY_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  MAX_CONTENT_TYPE_LENGTH,
  MAX_STREAMED_RECORD_BYTES,
  TEXT_CONTENT_TYPE,
  assertContentType,
  deserializeRecordValue,
  isJsonContentType,
  isTextContentType,
  isValidContentType,
  readRecordStream,
  recordBodySize,
  serializeRecordValue,
  type RecordBody,
  type SerializedRecord,
} from './serialization.js';
export { REQUEST_ID_LENGTH, normalizeUrl, parseRequestUrl, requestIdFromUniqueKey } from './request-keys.js';
export { Request, computeUniqueKey, requestOptionsSchema, serializeRequestData, toRequest, type RequestLike, type RequestOptions } from './request.js';
export { csvLine, flattenItem, itemsToCsv, itemsToJson, projectItems } from './export-format.js';
export { EventBus, type StorageEventName, type StorageEvents } from './events.js';
export type {
  AddRequestsResult,
  DatasetClient,
  DeleteRequestLockOptions,
  ListAndLockHeadOptions,
  LockedHead,
  ProlongRequestLockOptions,
  RequestChangeOptions,
  DatasetItemsPage,
  KeyValueStoreClient,
  KeysPage,
  ListItemsOptions,
  ListRequestsOptions,
  ListKeysOptions,
  PlacementOptions,
  RecordInfo,
  RequestQueueClient,
  RequestsPage,
  StorageClient,
  StorageClientCapabilities,
  StorageTarget,
  StoredRecord,
} from './storage-client.js';
export {
  eventBus,
  getDefaultStorageClient,
  getDefaultStorageIds,
  releaseStorages,
  resolveOpenInput,
  setDefaultStorageClient,
  setDefaultStorageIds,
  type OpenStorageInput,
  type OpenStorageOptions,
} from './storage-registry.js';
export { Dataset, type DatasetItem, type DatasetPage, type ExportOptions, type GetDataOptions, type IterateItemsOptions } from './dataset.js';
export { KeyValueStore, type IterateKeysOptions, type SetValueOptions } from './key-value-store.js';
export { RequestQueue, type RequestPlacementOptions } from './request-queue.js';
export { createStorageId } from './storage-ids.js';
export { RequestQueueIndex, type RequestSlotsPage, type RequestState } from './request-queue-index.js';
export {
  ANONYMOUS_CLIENT_KEY,
  MAX_LOCK_LIMIT,
  MAX_LOCK_SECS,
  RequestQueueLocks,
  assertClientKey,
  assertListAndLockHeadOptions,
  assertLockSecs,
  requestLockedError,
  requestNotLockedError,
} from './request-locks.js';
export { lowerBound, pageOfSortedKeys } from './key-pages.js';
export { purgeDefaultStorages, type PurgeOptions } from './purge.js';
export { createRecordSignature, createUrlSigningSecretKey } from './record-signature.js';
export { CollectionStorageClient, type StorageCollection, type StorageCollections } from './collection-storage-client.js';
