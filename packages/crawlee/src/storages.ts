import {
  StorageError,
  assertStorageId,
  assertStorageName,
  getDefaultStorageIds,
  type DatasetClient,
  type DatasetMetadata,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type StorageClient,
  type StorageKind,
  type StorageMetadata,
  type StorageTarget,
} from '@x/core';

/** The id and the name Crawlee gives the run's default storages. */
export const CRAWLEE_DEFAULT_ID = 'default';

interface ClientOf {
  dataset: DatasetClient;
  keyValueStore: KeyValueStoreClient;
  requestQueue: RequestQueueClient;
}

interface MetadataOf {
  dataset: DatasetMetadata;
  keyValueStore: KeyValueStoreMetadata;
  requestQueue: RequestQueueMetadata;
}

function targetKey(kind: StorageKind, target: StorageTarget): string {
  return target.kind === 'name' ? `${kind}\0name\0${target.name}` : `${kind}\0id\0${target.id}`;
}

/**
 * The storages of one of our clients as the Crawlee resource clients reach them: each target is
 * opened once and the opened client kept, so the many small Crawlee calls cost no more than ours.
 * Crawlee's ids and names are turned into our targets here, in one place.
 */
export class Storages {
  readonly client: StorageClient;
  readonly #opened = new Map<string, Promise<unknown>>();
  /** The opened storages by target key: one storage may sit under several keys (its name and its id). */
  readonly #clients = new Map<string, unknown>();

  constructor(client: StorageClient) {
    this.client = client;
  }

  /** Our id of the run's default storage of `kind` (the one `Dataset.open()` of `@x/core` opens). */
  defaultId(kind: StorageKind): string {
    return getDefaultStorageIds()[kind];
  }

  /** True when Crawlee's id or name means the run's default storage: `default`, or our default id. */
  isDefault(kind: StorageKind, idOrName: string): boolean {
    return idOrName.toLowerCase() === CRAWLEE_DEFAULT_ID || idOrName === this.defaultId(kind);
  }

  /** The target of a storage Crawlee addresses by id (`client.dataset(id)`). */
  targetOfId(kind: StorageKind, id: string): StorageTarget {
    if (typeof id !== 'string' || id === '') throw new StorageError('invalid-argument', `A storage id must be a non-empty string, got ${String(id)}`);
    return this.isDefault(kind, id) ? { kind: 'default', id: this.defaultId(kind) } : { kind: 'id', id };
  }

  /**
   * The target of `getOrCreate(name)`: the default storage for Crawlee's `default`, else a named
   * storage (the name checked as our storages check names: `invalid-name`). A storage without a
   * name cannot be made this way (Crawlee never asks for one: it opens its storages by id or name).
   */
  targetOfName(kind: StorageKind, name: string | undefined): StorageTarget {
    if (name === undefined || name === null || name === '') {
      throw new StorageError('invalid-argument', 'getOrCreate() needs a name: storages without a name are made as the run\'s default storages, opened by their id');
    }
    if (typeof name === 'string' && this.isDefault(kind, name)) return { kind: 'default', id: this.defaultId(kind) };
    assertStorageName(name);
    return { kind: 'name', name };
  }

  /** Opens (once) the storage of `target`; a failed open is not kept. */
  open<K extends StorageKind>(kind: K, target: StorageTarget): Promise<ClientOf[K]> {
    const key = targetKey(kind, target);
    let opening = this.#opened.get(key) as Promise<ClientOf[K]> | undefined;
    if (!opening) {
      opening = this.#openNow(kind, target);
      this.#opened.set(key, opening);
      opening.then(
        (client) => {
          if (this.#opened.get(key) === opening) this.#clients.set(key, client);
        },
        () => {
          if (this.#opened.get(key) === opening) this.#opened.delete(key);
        },
      );
    }
    return opening;
  }

  async #openNow<K extends StorageKind>(kind: K, target: StorageTarget): Promise<ClientOf[K]> {
    if (target.kind === 'id') {
      try {
        assertStorageId(target.id);
      } catch {
        throw new StorageError('not-found', `No storage has the id ${JSON.stringify(target.id.slice(0, 100))}`);
      }
    }
    switch (kind) {
      case 'dataset':
        return (await this.client.openDataset(target)) as ClientOf[K];
      case 'keyValueStore':
        return (await this.client.openKeyValueStore(target)) as ClientOf[K];
      default:
        return (await this.client.openRequestQueue(target)) as ClientOf[K];
    }
  }

  /**
   * Forgets the opened storage of `target` and every other target it was opened by (it was
   * deleted), so the next call opens (or, by name, makes) it anew.
   */
  forget(kind: StorageKind, target: StorageTarget): void {
    const key = targetKey(kind, target);
    const client = this.#clients.get(key);
    this.#opened.delete(key);
    this.#clients.delete(key);
    if (client === undefined) return;
    for (const [other, opened] of this.#clients) {
      if (opened !== client) continue;
      this.#clients.delete(other);
      this.#opened.delete(other);
    }
  }

  /** Forgets every opened storage (after a purge dropped the default ones). */
  forgetAll(): void {
    this.#opened.clear();
    this.#clients.clear();
  }

  /** True when `client` is what `target` is opened as now (not forgotten or opened anew since). */
  isCurrent(kind: StorageKind, target: StorageTarget, client: unknown): boolean {
    return this.#clients.get(targetKey(kind, target)) === client;
  }

  /** Metadata of every storage of `kind`. */
  list<K extends StorageKind>(kind: K): Promise<MetadataOf[K][]> {
    switch (kind) {
      case 'dataset':
        return this.client.listDatasets() as Promise<MetadataOf[K][]>;
      case 'keyValueStore':
        return this.client.listKeyValueStores() as Promise<MetadataOf[K][]>;
      default:
        return this.client.listRequestQueues() as Promise<MetadataOf[K][]>;
    }
  }

  /**
   * The name Crawlee sees: the run's default storage (ours has no name) is named `default`, as
   * Crawlee's own default storages are, so Crawlee treats it as its default (a second
   * `crawler.run()` drops the default queue by that name).
   */
  crawleeName(kind: StorageKind, metadata: StorageMetadata): string | undefined {
    if (metadata.name !== undefined) return metadata.name;
    return metadata.id === this.defaultId(kind) ? CRAWLEE_DEFAULT_ID : undefined;
  }

  /** Id, name and dates of a storage as Crawlee's info objects have them. */
  info(kind: StorageKind, metadata: StorageMetadata): { id: string; name?: string; createdAt: Date; modifiedAt: Date; accessedAt: Date } {
    const name = this.crawleeName(kind, metadata);
    return {
      id: metadata.id,
      ...(name === undefined ? {} : { name }),
      createdAt: metadata.createdAt,
      modifiedAt: metadata.modifiedAt,
      accessedAt: metadata.accessedAt,
    };
  }
}

/**
 * A storage as one Crawlee resource client reaches it: by a target fixed when the resource client
 * was made. `get()` of a storage that does not exist gives `undefined`, as Crawlee expects.
 */
export class StorageHandle<K extends StorageKind> {
  readonly kind: K;
  readonly storages: Storages;
  readonly target: StorageTarget;

  constructor(kind: K, storages: Storages, target: StorageTarget) {
    this.kind = kind;
    this.storages = storages;
    this.target = target;
  }

  /** The opened storage; throws `not-found` for an id that does not exist. */
  open(): Promise<ClientOf[K]> {
    return this.storages.open(this.kind, this.target);
  }

  /**
   * Runs `operation` on the opened storage. When it fails with `not-found` because the storage
   * itself was dropped meanwhile (through another Crawlee object, or our own `drop()`), the storage
   * is opened again, once: by name or as the default it is made anew, by id it is `not-found`.
   */
  async use<T>(operation: (client: ClientOf[K]) => Promise<T>): Promise<T> {
    const client = await this.open();
    try {
      return await operation(client);
    } catch (error) {
      if (!StorageError.is(error, 'not-found') || !this.storages.isCurrent(this.kind, this.target, client)) throw error;
      if (!(await storageIsGone(client))) throw error;
      this.storages.forget(this.kind, this.target);
      return operation(await this.open());
    }
  }

  /** The storage's metadata, or `undefined` when there is no such storage. */
  async metadata(): Promise<MetadataOf[K] | undefined> {
    try {
      return (await this.use((client) => client.getMetadata() as Promise<StorageMetadata>)) as MetadataOf[K];
    } catch (error) {
      if (!StorageError.is(error, 'not-found')) throw error;
      this.storages.forget(this.kind, this.target);
      return undefined;
    }
  }

  /** Deletes the storage; nothing happens when there is none. */
  async delete(): Promise<void> {
    try {
      await (await this.open()).drop();
    } catch (error) {
      if (!StorageError.is(error, 'not-found')) throw error;
    } finally {
      this.storages.forget(this.kind, this.target);
    }
  }

  /**
   * Crawlee's `update({ name })`: our storages cannot be renamed, so only the name the storage has
   * (or no name) is accepted; gives the storage's info.
   */
  async checkUpdate(newFields: { name?: string } | undefined): Promise<MetadataOf[K]> {
    const metadata = await this.metadata();
    if (!metadata) throw new StorageError('not-found', `The ${this.kind} "${describeTarget(this.target)}" does not exist`);
    const wanted = newFields?.name;
    if (wanted !== undefined && wanted !== this.storages.crawleeName(this.kind, metadata)) {
      throw new StorageError(
        'invalid-argument',
        `Renaming a storage is not supported by @x/crawlee (the ${this.kind} "${describeTarget(this.target)}" keeps its name); open a new named storage instead`,
      );
    }
    return metadata;
  }
}

function describeTarget(target: StorageTarget): string {
  return target.kind === 'name' ? target.name : target.id;
}

/** True when the opened storage `client` was dropped: its metadata is `not-found`. */
async function storageIsGone(client: { getMetadata(): Promise<unknown> }): Promise<boolean> {
  try {
    await client.getMetadata();
    return false;
  } catch (error) {
    return StorageError.is(error, 'not-found');
  }
}

/** Throws `invalid-argument` unless `value` is undefined or a non-negative integer; gives it or `fallback`. */
export function countOption(value: unknown, what: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new StorageError('invalid-argument', `${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
