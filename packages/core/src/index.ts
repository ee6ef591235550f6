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
export { csvLine, flattenItem, itemsToCsv, itemsToJson, projectItems, type ItemProjectionOptions } from './export-format.js';
export {
  DATASET_EXPORT_CONTENT_TYPES,
  DATASET_EXPORT_FORMATS,
  DEFAULT_EXPORT_PAGE_SIZE,
  DatasetExport,
  MAX_EXPORT_COLUMNS,
  MAX_EXPORT_COLUMN_NAME_LENGTH,
  MAX_XLSX_CELL_LENGTH,
  MAX_XLSX_SHEET_ROWS,
  exportDatasetItems,
  isDatasetExportFormat,
  xmlNameOf,
  type DatasetExportFormat,
  type DatasetExportInfo,
  type DatasetExportOptions,
  type DatasetExportProgress,
} from './dataset-export.js';
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
  DatasetItemTextsPage,
  KeyValueStoreClient,
  KeysPage,
  ListItemsOptions,
  ListRequestsOptions,
  RequestStateFilter,
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
  type OpenStorageClientOptions,
  type OpenStorageInput,
  type OpenStorageOptions,
} from './storage-registry.js';
export {
  Dataset,
  type DatasetConsumer,
  type DatasetItem,
  type DatasetIteratorOptions,
  type DatasetMapper,
  type DatasetPage,
  type DatasetReducer,
  type ExportOptions,
  type ExportToOptions,
  type GetDataOptions,
  type IterateItemsOptions,
} from './dataset.js';
export { KeyValueStore, type IterateKeysOptions, type KeyConsumer, type KeyInfo, type KeyValueStoreIteratorOptions, type SetValueOptions } from './key-value-store.js';
export { RequestQueue, type AddRequestsBatchedOptions, type AddRequestsBatchedResult, type RequestPlacementOptions, type RequestsLike } from './request-queue.js';
export { createStorageId } from './storage-ids.js';
export { RequestQueueIndex, placementOrder, type RequestSlotsPage, type RequestState } from './request-queue-index.js';
export {
  ANONYMOUS_CLIENT_KEY,
  MAX_LOCK_LIMIT,
  MAX_LOCK_SECS,
  RequestQueueLocks,
  assertClientKey,
  assertListAndLockHeadOptions,
  assertListRequestsOptions,
  assertLockSecs,
  REQUEST_STATE_FILTERS,
  requestLockedError,
  requestNotLockedError,
} from './request-locks.js';
export { lowerBound, pageOfSortedKeys } from './key-pages.js';
export { purgeDefaultStorages, type PurgeOptions } from './purge.js';
export { createRecordSignature, createUrlSigningSecretKey } from './record-signature.js';
export { CollectionStorageClient, type StorageCollection, type StorageCollections } from './collection-storage-client.js';
