import type {
  AddRequestResult,
  DatasetMetadata,
  KeyValueStoreMetadata,
  RequestData,
  RequestQueueMetadata,
} from './models.js';
import type { RecordBody } from './serialization.js';

/**
 * Which storage to open. `default` opens (creating it if missing) the run's default storage of
 * that id; `name` opens or creates a named storage; `id` opens an existing storage or fails
 * with `not-found`.
 */
export type StorageTarget =
  | { readonly kind: 'default'; readonly id: string }
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'name'; readonly name: string };

/** A page of dataset items as a client returns it, before any field selection. */
export interface DatasetItemsPage {
  /** The items of the page, parsed from JSON. */
  readonly items: Record<string, unknown>[];
  /** How many items the dataset holds in all. */
  readonly total: number;
}

/** A page of dataset items as the JSON text each is stored in (see {@link DatasetClient.listItemTexts}). */
export interface DatasetItemTextsPage {
  /** Each item's JSON text: one object each, compact as `JSON.stringify` writes it (no line breaks). */
  readonly items: readonly string[];
  /** How many items the dataset holds in all. */
  readonly total: number;
}

/** Options of {@link DatasetClient.listItems}. */
export interface ListItemsOptions {
  /** Items to skip from the start (from the end with `desc`). */
  readonly offset: number;
  /** At most this many items. */
  readonly limit: number;
  /** Newest first. */
  readonly desc: boolean;
}

/**
 * The transport of a dataset. The core validates and serializes items before they reach it,
 * so a client only stores and returns them.
 */
export interface DatasetClient {
  /** The dataset's metadata. */
  getMetadata(): Promise<DatasetMetadata>;
  /** Appends items, each already serialized as a JSON object. All are written or none. */
  pushItems(jsonItems: readonly string[]): Promise<void>;
  /** Reads a page of items. */
  listItems(options: ListItemsOptions): Promise<DatasetItemsPage>;
  /**
   * Optional: reads a page of items as the JSON text each is stored in, unparsed (the same items
   * as {@link DatasetClient.listItems}), each compact as `JSON.stringify` writes it: the text the
   * core handed to {@link DatasetClient.pushItems}. Exports in JSON and JSONL that shape nothing use
   * it to skip parsing every item and serializing it again. A client that cannot give that exact
   * text (the fs client reads files other programs may have written pretty-printed) leaves it out.
   */
  listItemTexts?(options: ListItemsOptions): Promise<DatasetItemTextsPage>;
  /** Deletes the dataset and everything in it. */
  drop(): Promise<void>;
}

/** A stored record. */
export interface StoredRecord {
  readonly key: string;
  readonly body: RecordBody;
  readonly contentType: string;
}

/** What a key listing says of one record. */
export interface RecordInfo {
  readonly key: string;
  /** Size of the body in bytes. */
  readonly size: number;
  readonly contentType: string;
}

/** Options of {@link KeyValueStoreClient.listKeys}. */
export interface ListKeysOptions {
  /** Only keys after this one, in key order. */
  readonly exclusiveStartKey?: string;
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** At most this many keys. */
  readonly limit: number;
}

/** A page of keys, in ascending key order (by UTF-16 code units). */
export interface KeysPage {
  readonly items: RecordInfo[];
  /** True when more keys follow; continue from `nextExclusiveStartKey`. */
  readonly isTruncated: boolean;
  readonly nextExclusiveStartKey?: string;
}

/** The transport of a key-value store. Keys and values reach it validated and serialized. */
export interface KeyValueStoreClient {
  /** The store's metadata. */
  getMetadata(): Promise<KeyValueStoreMetadata>;
  /** The record of `key`, or `undefined` when there is none. */
  getRecord(key: string): Promise<StoredRecord | undefined>;
  /** Creates or replaces the record of `key`. */
  setRecord(record: StoredRecord): Promise<void>;
  /** Deletes the record of `key`; nothing happens when there is none. */
  deleteRecord(key: string): Promise<void>;
  /** True when a record of `key` exists. */
  recordExists(key: string): Promise<boolean>;
  /** A page of keys in ascending order. */
  listKeys(options: ListKeysOptions): Promise<KeysPage>;
  /** A URL the record of `key` can be read from. */
  getPublicUrl(key: string): Promise<string>;
  /** Deletes the store and every record in it. */
  drop(): Promise<void>;
}

/** Options of the request queue calls that place a request. */
export interface PlacementOptions {
  /** Put the request before all others (newest forefront first). */
  readonly forefront: boolean;
}

/**
 * Who changes a request. A request locked by one client (see
 * {@link RequestQueueClient.listAndLockHead}) may be changed, handled, reclaimed or deleted only
 * by the same `clientKey` until its lock expires; any other caller, and a caller that gives no
 * key, gets a `locked` error. A request nobody holds may be changed by anyone.
 */
export interface RequestChangeOptions {
  /** The key of the consumer making the change. */
  readonly clientKey?: string | undefined;
}

/** Options of {@link RequestQueueClient.listAndLockHead}. */
export interface ListAndLockHeadOptions {
  /** At most this many requests (at least 1). */
  readonly limit: number;
  /** How long the locks last, in seconds (above 0). */
  readonly lockSecs: number;
  /** The consumer the requests are locked for. */
  readonly clientKey: string;
}

/** What {@link RequestQueueClient.listAndLockHead} took. */
export interface LockedHead {
  /** The requests now locked for the caller, in the order they would have been fetched. */
  readonly items: RequestData[];
  /** When their locks expire, unless prolonged. */
  readonly lockExpiresAt: Date;
  /** True when, after this call, some request of the queue is locked (by anyone). */
  readonly queueHasLockedRequests: boolean;
}

/** Options of {@link RequestQueueClient.prolongRequestLock}. */
export interface ProlongRequestLockOptions {
  /** The consumer holding the lock. */
  readonly clientKey: string;
  /** The lock's new length from now, in seconds (above 0). */
  readonly lockSecs: number;
  /** When the lock expires, put the request before all others. Default false. */
  readonly forefront?: boolean | undefined;
}

/** Options of {@link RequestQueueClient.deleteRequestLock}. */
export interface DeleteRequestLockOptions {
  /** The consumer holding the lock. */
  readonly clientKey: string;
  /** Put the request back before all others. Default false. */
  readonly forefront?: boolean | undefined;
}

/**
 * The state {@link RequestQueueClient.listRequests} can be limited to: `pending` (waiting to be
 * fetched, no live lock), `locked` (a live lock: in progress) or `handled`. The first two are the
 * values of the Apify API's `filter` parameter; `handled` is an addition of this project.
 */
export type RequestStateFilter = 'pending' | 'locked' | 'handled';

/** Options of {@link RequestQueueClient.listRequests}. */
export interface ListRequestsOptions {
  /** At most this many requests. */
  readonly limit: number;
  /** Only requests whose id comes after this one. */
  readonly exclusiveStartId?: string;
  /** Only requests in this state (paged the same way, in ascending id order); all when omitted. */
  readonly filter?: RequestStateFilter | undefined;
}

/** A page of requests in ascending id order. */
export interface RequestsPage {
  readonly items: RequestData[];
  /** When the lock of each locked request of `items` expires, by request id (live locks only). */
  readonly lockExpiresAt: ReadonlyMap<string, Date>;
  /** Set when more requests follow: the id to continue after. */
  readonly nextExclusiveStartId?: string;
}

/** What a batch add did: one result per request, and the requests that could not be added. */
export interface AddRequestsResult {
  readonly processedRequests: AddRequestResult[];
  readonly unprocessedRequests: { readonly uniqueKey: string; readonly url: string; readonly method: string }[];
}

/**
 * The transport of a request queue. Requests reach it validated, with `id` and `uniqueKey` set.
 * A client keeps the queue's order (forefront requests first, newest forefront first, then the
 * others in the order added) and the locks of requests in progress.
 *
 * A request is *pending*, *locked* (in progress for one consumer until its lock expires) or
 * *handled*. Consumers take requests with {@link listAndLockHead}; a lock that expires makes its
 * request pending again (at the next call that looks at the head, without a periodic scan).
 * Only the lock holder may change a locked request (see {@link RequestChangeOptions}).
 */
export interface RequestQueueClient {
  /** The queue's metadata with its counts. */
  getMetadata(): Promise<RequestQueueMetadata>;
  /** Adds requests that are not present yet (by `uniqueKey`); present ones are left as they are. */
  addRequests(requests: readonly RequestData[], options: PlacementOptions): Promise<AddRequestsResult>;
  /** The request of `id`, or `undefined`. */
  getRequest(id: string): Promise<RequestData | undefined>;
  /**
   * Takes up to `limit` pending requests from the head and locks them for `clientKey` for
   * `lockSecs`. Expired locks are released first. Two calls never get the same request while its
   * lock lasts. With strong queue consistency, `items` is empty only when nothing is pending.
   */
  listAndLockHead(options: ListAndLockHeadOptions): Promise<LockedHead>;
  /**
   * Extends the lock of request `id` held by `clientKey` to `lockSecs` from now. Throws
   * `not-found` when there is no such request, `locked` when another client holds it and
   * `conflict` when it is not locked (never locked, expired, or handled).
   */
  prolongRequestLock(id: string, options: ProlongRequestLockOptions): Promise<{ readonly lockExpiresAt: Date }>;
  /**
   * Ends the lock of request `id` held by `clientKey` and makes the request pending again (first
   * with `forefront`). Throws `not-found` when there is no such request and `locked` when another
   * client holds it; a request that is not locked is left as it is.
   */
  deleteRequestLock(id: string, options: DeleteRequestLockOptions): Promise<void>;
  /** Ends every lock `clientKey` holds, making those requests pending again; gives how many. */
  unlockRequests(options: { readonly clientKey: string }): Promise<number>;
  /** Stores `request` as handled (with its `handledAt` set) and ends its lock. */
  markRequestAsHandled(request: RequestData, options?: RequestChangeOptions): Promise<AddRequestResult>;
  /**
   * Stores `request`, ends its lock and makes it pending again: last, or first with `forefront`.
   * A pending request nobody holds stays where it is, unless `forefront` moves it first.
   */
  reclaimRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult>;
  /**
   * Stores changes to a request. Its lock stays as it is, except that setting `handledAt` on an
   * unhandled request marks it handled (ending its lock), and clearing it on a handled one makes
   * it pending again (placed as `options` says). A pending request is placed again when
   * `options.forefront` is set.
   */
  updateRequest(request: RequestData, options: PlacementOptions & RequestChangeOptions): Promise<AddRequestResult>;
  /** Deletes a request; nothing happens when there is none. */
  deleteRequest(id: string, options?: RequestChangeOptions): Promise<void>;
  /** Up to `limit` pending requests in the order they would be fetched, without locking them. */
  listHead(options: { readonly limit: number }): Promise<RequestData[]>;
  /**
   * A page of the requests (every one, or those in the state `options.filter` names), in ascending
   * id order. A page costs about its length, not the queue's: a client never reads the whole queue
   * for one page. Throws `invalid-argument` for an unknown filter.
   */
  listRequests(options: ListRequestsOptions): Promise<RequestsPage>;
  /** True when no request is pending (some may be locked). */
  isEmpty(): Promise<boolean>;
  /** True when no request is pending and no live lock is held by anyone. */
  isFinished(): Promise<boolean>;
  /** True when some request is locked (its lock has not expired). */
  hasLockedRequests(): Promise<boolean>;
  /** Deletes the queue and every request in it. */
  drop(): Promise<void>;
}

/** What a storage client can and cannot do; the conformance suite skips what it cannot. */
export interface StorageClientCapabilities {
  /** `fetchNextRequest` returns `null` only when nothing is pending, and never a request twice. */
  readonly strongQueueConsistency: boolean;
  /** Storages outlive the client object (they are on disk or on a server). */
  readonly persistent: boolean;
}

/**
 * A storage client: one way of keeping storages (in memory, on disk, on a server). Clients are
 * transports; `@x/core` validates, serializes and fills in defaults before calling them.
 */
export interface StorageClient {
  /** A short name for messages, such as `memory`. */
  readonly name: string;
  /** What the client can do. */
  readonly capabilities: StorageClientCapabilities;
  /**
   * The consumer key {@link RequestQueue} locks fetched requests under; when omitted, each opened
   * queue instance makes a random one. Set it to share locks between instances (one consumer).
   */
  readonly clientKey?: string | undefined;
  /**
   * Seconds a request fetched through {@link RequestQueue} stays locked without a sign of life
   * (the queue prolongs the locks of requests still in progress); default 60.
   */
  readonly requestLockSecs?: number | undefined;
  /**
   * How many requests {@link RequestQueue} locks in one call when it has none left to hand out
   * (default 1). Above 1, the queue keeps the ones it does not hand out yet in a local buffer,
   * locked for its consumer and prolonged while they wait, and hands them out one per fetch
   * without a call; it gives back what is left when it is let go ({@link releaseStorages}). Worth it
   * where a call is a network round trip (the cloud client: 25).
   */
  readonly requestFetchBatchSize?: number | undefined;
  /** Opens a dataset (see {@link StorageTarget} for what is created). */
  openDataset(target: StorageTarget): Promise<DatasetClient>;
  /** Opens a key-value store. */
  openKeyValueStore(target: StorageTarget): Promise<KeyValueStoreClient>;
  /** Opens a request queue. */
  openRequestQueue(target: StorageTarget): Promise<RequestQueueClient>;
  /** Metadata of every dataset. */
  listDatasets(): Promise<DatasetMetadata[]>;
  /** Metadata of every key-value store. */
  listKeyValueStores(): Promise<KeyValueStoreMetadata[]>;
  /** Metadata of every request queue. */
  listRequestQueues(): Promise<RequestQueueMetadata[]>;
  /**
   * Flushes everything still to be written, stops timers and ends connections. Awaitable and
   * idempotent; after it, the client and the storages it opened are not to be used.
   */
  close(): Promise<void>;
}
