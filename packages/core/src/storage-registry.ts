import { StorageError } from './errors.js';
import { EventBus } from './events.js';
import type { StorageKind } from './models.js';
import type { StorageClient, StorageTarget } from './storage-client.js';
import { assertStorageId, assertStorageName } from './validation.js';

/** How to open a storage: by `id` or by `name` (not both), on a given client or the default one. */
export interface OpenStorageOptions {
  /** Id of an existing storage. */
  readonly id?: string | undefined;
  /** Name of a storage; it is created when missing. */
  readonly name?: string | undefined;
  /** The client to keep the storage in; the registered default client when omitted. */
  readonly storageClient?: StorageClient | undefined;
}

/** What `open()` accepts: options, a name as a plain string, or nothing for the default storage. */
export type OpenStorageInput = OpenStorageOptions | string | undefined | null;

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
  readonly release: (() => void) | undefined;
}

const openStorages = new WeakMap<StorageClient, Map<string, Promise<object>>>();
const entries = new WeakMap<object, CacheEntry>();

function targetKey(kind: StorageKind, target: StorageTarget): string {
  return target.kind === 'name' ? `${kind}:name:${target.name}` : `${kind}:id:${target.id}`;
}

/**
 * Opens a storage through the instance cache: opening the same storage twice (by the same name,
 * or by its id) on the same client gives the same instance.
 */
export async function openCached<T extends object>(
  kind: StorageKind,
  input: OpenStorageInput,
  create: (client: StorageClient, target: StorageTarget) => Promise<{ instance: T; id: string; release?: () => void }>,
): Promise<T> {
  const { client, target } = resolveOpenInput(kind, input);
  let cache = openStorages.get(client);
  if (!cache) {
    cache = new Map();
    openStorages.set(client, cache);
  }
  const key = targetKey(kind, target);
  const cached = cache.get(key);
  if (cached) return cached as Promise<T>;
  const opening: Promise<T> = (async () => {
    const { instance, id, release } = await create(client, target);
    const idKey = `${kind}:id:${id}`;
    const existing = key === idKey ? undefined : cache.get(idKey);
    if (existing) {
      const earlier = await existing;
      entries.get(earlier)?.keys.add(key);
      return earlier as T;
    }
    const self = cache.get(key);
    if (self) cache.set(idKey, self);
    entries.set(instance, { keys: new Set([key, idKey]), release });
    return instance;
  })();
  cache.set(key, opening);
  opening.catch(() => cache.delete(key));
  return opening;
}

/**
 * Lets go of every storage opened on `client`: their auto-saved values are no longer saved on
 * `persistState`, and the next `open()` makes new instances. For the end of a run (the Actor
 * calls it on exit), after the last `persistState`.
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
    entries.get(instance)?.release?.();
    entries.delete(instance);
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
