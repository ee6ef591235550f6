import {
  StorageError,
  assertStorageId,
  assertStorageName,
  type DatasetClient,
  type DatasetMetadata,
  type KeyValueStoreClient,
  type KeyValueStoreMetadata,
  type RequestQueueClient,
  type RequestQueueMetadata,
  type StorageClient,
  type StorageKind,
  type StorageTarget,
} from '@x/core';
import { invalidInput, recordNotFound } from './http-utils.js';

interface KindMap {
  dataset: { handle: DatasetClient; metadata: DatasetMetadata };
  keyValueStore: { handle: KeyValueStoreClient; metadata: KeyValueStoreMetadata };
  requestQueue: { handle: RequestQueueClient; metadata: RequestQueueMetadata };
}

const LABEL: Record<StorageKind, string> = { dataset: 'Dataset', keyValueStore: 'Key-value store', requestQueue: 'Request queue' };

/**
 * The storages the server serves, on top of one storage client: resolves ids and `~name`
 * references to client handles (cached by id), and serializes get-or-create by name.
 */
export class Storages {
  readonly #client: StorageClient;
  readonly #defaultIds: ReadonlySet<string>;
  readonly #handles = new Map<string, Promise<unknown>>();
  readonly #opening = new Map<string, Promise<unknown>>();

  constructor(client: StorageClient, defaultIds: readonly string[]) {
    this.#client = client;
    this.#defaultIds = new Set(defaultIds);
  }

  #open<K extends StorageKind>(kind: K, target: StorageTarget): Promise<KindMap[K]['handle']> {
    const client = this.#client;
    switch (kind) {
      case 'dataset':
        return client.openDataset(target) as Promise<KindMap[K]['handle']>;
      case 'keyValueStore':
        return client.openKeyValueStore(target) as Promise<KindMap[K]['handle']>;
      default:
        return client.openRequestQueue(target) as Promise<KindMap[K]['handle']>;
    }
  }

  /** Metadata of every storage of `kind`. */
  list<K extends StorageKind>(kind: K): Promise<KindMap[K]['metadata'][]> {
    const client = this.#client;
    switch (kind) {
      case 'dataset':
        return client.listDatasets() as Promise<KindMap[K]['metadata'][]>;
      case 'keyValueStore':
        return client.listKeyValueStores() as Promise<KindMap[K]['metadata'][]>;
      default:
        return client.listRequestQueues() as Promise<KindMap[K]['metadata'][]>;
    }
  }

  /** Opens (creating when missing) the storage of `name`. */
  async getOrCreate<K extends StorageKind>(kind: K, name: string): Promise<KindMap[K]['handle']> {
    try {
      assertStorageName(name);
    } catch (error) {
      throw invalidInput((error as Error).message);
    }
    const key = `${kind}:name:${name}`;
    const running = this.#opening.get(key);
    if (running) return running as Promise<KindMap[K]['handle']>;
    const opening = this.#open(kind, { kind: 'name', name });
    this.#opening.set(key, opening);
    try {
      return await opening;
    } finally {
      this.#opening.delete(key);
    }
  }

  /** Creates a storage without a name, under the new `id`. */
  create<K extends StorageKind>(kind: K, id: string): Promise<KindMap[K]['handle']> {
    return this.#open(kind, { kind: 'default', id });
  }

  /**
   * The storage a path segment names: an id, or `~name` (also `user~name`). Ids in the server's
   * default ids are created when missing (unless `create` is false); other unknown ids and names are 404.
   */
  async resolve<K extends StorageKind>(kind: K, ref: string, { create = true }: { create?: boolean } = {}): Promise<{ id: string; handle: KindMap[K]['handle'] }> {
    const tilde = ref.lastIndexOf('~');
    let id: string;
    if (tilde !== -1) {
      const name = ref.slice(tilde + 1);
      try {
        assertStorageName(name);
      } catch (error) {
        throw invalidInput((error as Error).message);
      }
      const found = (await this.list(kind)).find((metadata) => metadata.name === name);
      if (!found) throw recordNotFound(`${LABEL[kind]} with name "${name}" was not found`);
      id = found.id;
    } else {
      try {
        assertStorageId(ref);
      } catch (error) {
        throw invalidInput((error as Error).message);
      }
      id = ref;
    }
    const key = `${kind}:${id}`;
    let handle = this.#handles.get(key) as Promise<KindMap[K]['handle']> | undefined;
    if (!handle && !create) {
      // Not cached: a failed look-up must not stand in for the creating open of a default id.
      handle = this.#open(kind, { kind: 'id', id });
    } else if (!handle) {
      const target: StorageTarget = this.#defaultIds.has(id) ? { kind: 'default', id } : { kind: 'id', id };
      handle = this.#open(kind, target);
      this.#handles.set(key, handle);
      handle.catch(() => this.#handles.delete(key));
    }
    try {
      return { id, handle: await handle };
    } catch (error) {
      if (StorageError.is(error, 'not-found')) throw recordNotFound(`${LABEL[kind]} "${ref}" was not found`);
      throw error;
    }
  }

  /** Forgets the cached handle of a dropped storage. */
  forget(kind: StorageKind, id: string): void {
    this.#handles.delete(`${kind}:${id}`);
  }
}
