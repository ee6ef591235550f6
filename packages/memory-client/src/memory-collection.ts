import { createStorageId, notFound, type StorageKind, type StorageTarget } from '@x/core';

/** What every in-memory storage has: its identity and timestamps (ms since the epoch). */
export interface MemoryStorageBase {
  readonly id: string;
  readonly name: string | undefined;
  readonly createdAt: number;
  modifiedAt: number;
  accessedAt: number;
  dropped: boolean;
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

  /** Opens the target: default and name are created when missing, an unknown id is `not-found`. */
  open(target: StorageTarget): S {
    if (target.kind === 'name') {
      const id = this.#idByName.get(target.name);
      const existing = id === undefined ? undefined : this.#byId.get(id);
      if (existing) return existing;
      return this.add(createStorageId(), target.name);
    }
    const existing = this.#byId.get(target.id);
    if (existing) return existing;
    if (target.kind === 'id') throw notFound(`${KIND_LABEL[this.kind]} with id "${target.id}"`);
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

/** A new storage base stamped now. */
export function newStorageBase(id: string, name: string | undefined): MemoryStorageBase {
  const now = Date.now();
  return { id, name, createdAt: now, modifiedAt: now, accessedAt: now, dropped: false };
}

/** The shared metadata fields of a storage as `Date`s. */
export function baseMetadata(storage: MemoryStorageBase): { id: string; name?: string; createdAt: Date; modifiedAt: Date; accessedAt: Date } {
  return {
    id: storage.id,
    ...(storage.name === undefined ? {} : { name: storage.name }),
    createdAt: new Date(storage.createdAt),
    modifiedAt: new Date(storage.modifiedAt),
    accessedAt: new Date(storage.accessedAt),
  };
}
