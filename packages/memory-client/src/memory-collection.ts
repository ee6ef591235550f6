import { createStorageId, notFound, storageMetadataOf, storageNameTakenError, type StorageKind, type StorageMetadata, type StorageTarget } from '@x/core';

/**
 * What every in-memory storage has: its identity, timestamps (ms since the epoch), and the
 * collection it lives in, which answers `not-found` for it once it is dropped.
 */
export abstract class MemoryStorageBase {
  readonly createdAt = Date.now();
  modifiedAt = this.createdAt;
  accessedAt = this.createdAt;
  dropped = false;

  constructor(
    protected readonly collection: MemoryCollection<MemoryStorageBase>,
    readonly id: string,
    readonly name: string | undefined,
  ) {}

  /** Throws `not-found` once the storage was dropped. */
  protected assertLive(): void {
    this.collection.assertLive(this);
  }

  /** Removes the storage from its collection. */
  protected remove(): void {
    this.collection.remove(this);
  }

  /** The shared metadata fields as `Date`s. */
  protected baseMetadata(): StorageMetadata {
    return storageMetadataOf(this);
  }
}

const KIND_LABEL: Record<StorageKind, string> = {
  dataset: 'Dataset',
  keyValueStore: 'Key-value store',
  requestQueue: 'Request queue',
};

/** The storages of one kind, addressed by id and by name. */
export class MemoryCollection<S extends MemoryStorageBase> {
  readonly #byId = new Map<string, S>();
  readonly #idByName = new Map<string, string>();

  constructor(
    private readonly kind: StorageKind,
    private readonly create: (id: string, name: string | undefined) => S,
  ) {}

  /**
   * Opens the target: default and name are created when missing, an unknown id is `not-found`.
   * Names and the ids of storages without a name are one namespace, as they are on disk (where a
   * storage's folder is its name, or its id when it has none): a name that is the id of a storage
   * without a name is `invalid-name`, and a default storage whose id is the name of a storage is
   * that storage (as Crawlee, which opens its default storage by that name, has it).
   */
  open(target: StorageTarget): S {
    if (target.kind === 'name') {
      const id = this.#idByName.get(target.name);
      const existing = id === undefined ? undefined : this.#byId.get(id);
      if (existing) return existing;
      const holder = this.#byId.get(target.name);
      if (holder && holder.name === undefined) throw storageNameTakenError(this.kind, target.name, holder);
      return this.add(createStorageId(), target.name);
    }
    const existing = this.#byId.get(target.id);
    if (existing) return existing;
    if (target.kind === 'id') throw notFound(`${KIND_LABEL[this.kind]} with id "${target.id}"`);
    const namedId = this.#idByName.get(target.id);
    const named = namedId === undefined ? undefined : this.#byId.get(namedId);
    if (named) return named;
    return this.add(target.id, undefined);
  }

  private add(id: string, name: string | undefined): S {
    const storage = this.create(id, name);
    this.#byId.set(id, storage);
    if (name !== undefined) this.#idByName.set(name, id);
    return storage;
  }

  /** Removes a storage; its object answers `not-found` from then on. */
  remove(storage: S): void {
    storage.dropped = true;
    this.#byId.delete(storage.id);
    if (storage.name !== undefined) this.#idByName.delete(storage.name);
  }

  /** Every storage of the kind. */
  all(): S[] {
    return [...this.#byId.values()];
  }

  /** Throws `not-found` when `storage` was dropped. */
  assertLive(storage: S): void {
    if (storage.dropped) throw notFound(`${KIND_LABEL[this.kind]} "${storage.name ?? storage.id}"`);
  }
}
