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
  RECORD_KEY_PATTERN,
  STORAGE_NAME_PATTERN,
  assertRecordKey,
  assertStorageId,
  assertStorageName,
  serializeDatasetItems,
} from './validation.js';
export {
  BINARY_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
  deserializeRecordValue,
  isJsonContentType,
  isTextContentType,
  recordBodySize,
  serializeRecordValue,
  type RecordBody,
  type SerializedRecord,
} from './serialization.js';
export { REQUEST_ID_LENGTH, normalizeUrl, parseRequestUrl, requestIdFromUniqueKey } from './request-keys.js';
export { Request, computeUniqueKey, requestOptionsSchema, toRequest, type RequestLike, type RequestOptions } from './request.js';
export { csvLine, flattenItem, itemsToCsv, itemsToJson, projectItems } from './export-format.js';
export { EventBus, type StorageEventName, type StorageEvents } from './events.js';
export type {
  AddRequestsResult,
  DatasetClient,
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
export { lowerBound, pageOfSortedKeys } from './key-pages.js';
export { purgeDefaultStorages, type PurgeOptions } from './purge.js';
export { createRecordSignature, createUrlSigningSecretKey } from './record-signature.js';
export { CollectionStorageClient, type StorageCollection, type StorageCollections } from './collection-storage-client.js';
