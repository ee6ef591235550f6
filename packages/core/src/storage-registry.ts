import { StorageError } from './errors.js';
import { EventBus } from './events.js';
import type { StorageKind } from './models.js';
import type { StorageClient, StorageTarget } from './storage-client.js';
import { STORAGE_NAME_PATTERN, assertStorageId, assertStorageName } from './validation.js';

/** How to open a storage: by `id` or by `name` (not both), on a given client or the default one. */
export interface OpenStorageOptions {
  /** Id of an existing storage. */
  readonly id?: string | undefined;
  /** Name of a storage; it is created when missing. */
  readonly name?: string | undefined;
  /** The client to keep the storage in; the registered default client when omitted. */
  readonly storageClient?: StorageClient | undefined;
}

/**
 * What `open()` accepts first: options, a plain string, or nothing (`undefined`, `null`) for the
 * run's default storage. A string is an id or a name, as in Crawlee: the storage with that id
 * when one exists, else the storage of that name (created when missing).
 */
export type OpenStorageInput = OpenStorageOptions | string | undefined | null;

/**
 * The second argument of `open()`, in the form Crawlee's `open(idOrName, { storageClient })` has:
 * the client to keep the storage in. It wins over a `storageClient` given in the first argument.
 */
export interface OpenStorageClientOptions {
  /** The client to keep the storage in; the registered default client when omitted. */
  readonly storageClient?: StorageClient | undefined;
}

const DEFAULT_STORAGE_ID = 'default';

const KIND_NAMES: Record<StorageKind, string> = { dataset: 'dataset', keyValueStore: 'key-value store', requestQueue: 'request queue' };

const settings: {
  storageClient: StorageClient | undefined;
  defaultIds: Record<StorageKind, string>;
} = {
  storageClient: undefined,
  defaultIds: { dataset: DEFAULT_STORAGE_ID, keyValueStore: DEFAULT_STORAGE_ID, requestQueue: DEFAULT_STORAGE_ID },
};

/** The event bus storages listen to (auto-saved values are persisted on its `persistState`). */
export const eventBus = new EventBus();

/** Registers the client that `open()` uses when none is given; `undefined` unregisters it. */
export function setDefaultStorageClient(client: StorageClient | undefined): void {
  settings.storageClient = client;
}

/** The registered default client; throws `client-missing` when there is none. */
export function getDefaultStorageClient(): StorageClient {
  if (!settings.storageClient) {
    throw new StorageError(
      'client-missing',
      'No storage client: pass { storageClient } to open(), or register one with setDefaultStorageClient() ' +
        '(for example new MemoryStorageClient() from @x/memory-client)',
    );
  }
  return settings.storageClient;
}

/** Sets the ids of the run's default storages (`default` unless set). */
export function setDefaultStorageIds(ids: Partial<Record<StorageKind, string>>): void {
  for (const [kind, id] of Object.entries(ids) as [StorageKind, string | undefined][]) {
    if (id === undefined) continue;
    assertStorageId(id);
    settings.defaultIds[kind] = id;
  }
}

/** The ids of the run's default storages. */
export function getDefaultStorageIds(): Readonly<Record<StorageKind, string>> {
  return { ...settings.defaultIds };
}

/** Turns what a user passed to `open()` into the client and the target to open. */
export function resolveOpenInput(kind: StorageKind, input: OpenStorageInput): { client: StorageClient; target: StorageTarget } {
  const options: OpenStorageOptions = typeof input === 'string' ? { name: input } : (input ?? {});
  if (typeof options !== 'object') {
    throw new StorageError('invalid-argument', 'open() takes a name, or an options object with id or name');
  }
  const target = resolveTarget(kind, options);
  return { client: options.storageClient ?? getDefaultStorageClient(), target };
}

function resolveTarget(kind: StorageKind, options: OpenStorageOptions): StorageTarget {
  if (options.id !== undefined && options.name !== undefined) {
    throw new StorageError('invalid-argument', 'Open a storage by id or by name, not both');
  }
  const defaultId = settings.defaultIds[kind];
  if (options.name !== undefined) {
    assertStorageName(options.name);
    // Locally a storage lives in the folder of its name, or of its id when it has none: a storage
    // named after the default id would be the run's default storage (and Crawlee's, which opens
    // its default storage by that name).
    if (options.name === defaultId) {
      throw new StorageError(
        'invalid-name',
        `Storage name "${options.name}" is the id of the run's default ${KIND_NAMES[kind]}: open it without a name or id, or choose another name`,
      );
    }
    return { kind: 'name', name: options.name };
  }
  if (options.id !== undefined) {
    assertStorageId(options.id);
    return options.id === defaultId ? { kind: 'default', id: defaultId } : { kind: 'id', id: options.id };
  }
  return { kind: 'default', id: defaultId };
}

interface CacheEntry {
  readonly keys: Set<string>;
  /** Stops what the instance does on its own (listening to events), when it is let go. */
  readonly release: (() => void | Promise<void>) | undefined;
}

const openStorages = new WeakMap<StorageClient, Map<string, Promise<object>>>();
const entries = new WeakMap<object, CacheEntry>();

function targetKey(kind: StorageKind, target: StorageTarget): string {
  return target.kind === 'name' ? `${kind}:name:${target.name}` : `${kind}:id:${target.id}`;
}

/** What a frontend's `open()` makes once the client has opened the storage. */
export interface OpenedStorage<T extends object> {
  readonly instance: T;
  readonly id: string;
  /**
   * Stops what the instance does on its own (listening to events, timers) and gives back what it
   * holds (a request queue's buffered requests), when it is let go.
   */
  readonly release?: () => void | Promise<void>;
}

type CreateStorage<T extends object> = (client: StorageClient, target: StorageTarget) => Promise<OpenedStorage<T>>;

function withSecondArgument(input: OpenStorageInput, second: OpenStorageClientOptions | undefined): OpenStorageInput {
  if (second === undefined || second === null) return input;
  if (typeof second !== 'object') throw new StorageError('invalid-argument', "open()'s second argument takes { storageClient }");
  if (second.storageClient === undefined) return input;
  if (typeof input === 'string') return input;
  if (input !== undefined && input !== null && typeof input !== 'object') return input;
  return { ...(input ?? {}), storageClient: second.storageClient };
}

/**
 * Opens a storage through the instance cache: opening the same storage twice (by the same name,
 * or by its id) on the same client gives the same instance. A plain string is an id or a name
 * (see {@link OpenStorageInput}); `second` is Crawlee's second argument of `open()`.
 */
export async function openCached<T extends object>(
  kind: StorageKind,
  input: OpenStorageInput,
  create: CreateStorage<T>,
  second?: OpenStorageClientOptions,
): Promise<T> {
  const merged = withSecondArgument(input, second);
  if (typeof merged === 'string') {
    const client = second?.storageClient ?? getDefaultStorageClient();
    return openByIdOrName(kind, merged, client, create);
  }
  const { client, target } = resolveOpenInput(kind, merged);
  const cache = cacheOf(client);
  const key = targetKey(kind, target);
  const cached = cache.get(key);
  if (cached) return cached as Promise<T>;
  return remember(kind, cache, [key], () => create(client, target));
}

function cacheOf(client: StorageClient): Map<string, Promise<object>> {
  let cache = openStorages.get(client);
  if (!cache) {
    cache = new Map();
    openStorages.set(client, cache);
  }
  return cache;
}

/**
 * Opens a storage under the cache `keys` (the first is the one the open was asked by). When the
 * storage turns out to be open already under its id, or under another of the keys, that instance
 * is given instead.
 */
function remember<T extends object>(
  kind: StorageKind,
  cache: Map<string, Promise<object>>,
  keys: readonly string[],
  open: () => Promise<OpenedStorage<T> & { readonly key?: string }>,
): Promise<T> {
  let self: Promise<T> | undefined;
  const opening: Promise<T> = (async () => {
    const { instance, id, release, key: resolvedKey } = await open();
    const idKey = `${kind}:id:${id}`;
    const allKeys = [...new Set([...keys, ...(resolvedKey === undefined ? [] : [resolvedKey]), idKey])];
    for (const key of allKeys) {
      const other = cache.get(key);
      if (other === undefined || other === self) continue;
      const earlier = await other;
      const entry = entries.get(earlier);
      for (const own of allKeys) {
        if (cache.get(own) === self || !cache.has(own)) cache.set(own, other);
        entry?.keys.add(own);
      }
      return earlier as T;
    }
    for (const key of allKeys) if (cache.get(key) === undefined) cache.set(key, self as Promise<object>);
    entries.set(instance, { keys: new Set(allKeys), release });
    return instance;
  })();
  self = opening;
  for (const key of keys) cache.set(key, opening);
  opening.catch(() => {
    for (const key of keys) if (cache.get(key) === opening) cache.delete(key);
  });
  return opening;
}

/**
 * Opens by a plain string as Crawlee does: the storage with that id when there is one, else the
 * storage of that name (created when missing). The run's default id opens the default storage.
 */
function openByIdOrName<T extends object>(kind: StorageKind, idOrName: string, client: StorageClient, create: CreateStorage<T>): Promise<T> {
  const defaultId = settings.defaultIds[kind];
  if (idOrName === defaultId) return openCached(kind, { id: defaultId, storageClient: client }, create);
  const cache = cacheOf(client);
  const idKey = `${kind}:id:${idOrName}`;
  const nameKey = `${kind}:name:${idOrName}`;
  const key = `${kind}:idOrName:${idOrName}`;
  const cached = cache.get(idKey) ?? cache.get(nameKey) ?? cache.get(key);
  if (cached) return cached as Promise<T>;
  const validName = STORAGE_NAME_PATTERN.test(idOrName);
  let validId = true;
  try {
    assertStorageId(idOrName);
  } catch {
    validId = false;
  }
  // A string that is neither is a bad name, and nothing is asked of the client.
  if (!validName && !validId) assertStorageName(idOrName);
  return remember(kind, cache, [key], async () => {
    if (validId) {
      try {
        return { ...(await create(client, { kind: 'id', id: idOrName })), key: idKey };
      } catch (error) {
        // No storage has that id (a client may also refuse it as an id): then it is a name.
        if (!StorageError.is(error, 'not-found') && !(StorageError.is(error, 'invalid-argument') && !validName)) throw error;
      }
    }
    assertStorageName(idOrName);
    return { ...(await create(client, { kind: 'name', name: idOrName })), key: nameKey };
  });
}

/**
 * Lets go of every storage opened on `client`: their auto-saved values are no longer saved on
 * `persistState`, request queues stop prolonging their locks and give back the requests they
 * locked but did not hand out yet (see {@link StorageClient.requestFetchBatchSize}), and the next
 * `open()` makes new instances. For the end of a run (the Actor calls it on exit), after the last
 * `persistState`; a client's `close()` may call it too.
 */
export async function releaseStorages(client: StorageClient): Promise<void> {
  const cache = openStorages.get(client);
  if (!cache) return;
  openStorages.delete(client);
  const instances = new Set<object>();
  for (const opening of cache.values()) {
    try {
      instances.add(await opening);
    } catch {
      // A failed open left nothing to let go.
    }
  }
  for (const instance of instances) {
    const release = entries.get(instance)?.release;
    entries.delete(instance);
    try {
      await release?.();
    } catch {
      // Letting go is best effort: what an instance could not give back expires on its own.
    }
  }
}

/** Forgets a dropped storage, so the next `open()` makes a new one. */
export function forgetStorage(client: StorageClient, instance: object): void {
  const entry = entries.get(instance);
  const cache = openStorages.get(client);
  if (!entry || !cache) return;
  for (const key of entry.keys) cache.delete(key);
  entries.delete(instance);
}
