import type { DatasetClient, DatasetItemsPage, DatasetMetadata, ListItemsOptions } from '@x/core';
import { baseMetadata, newStorageBase, type MemoryCollection, type MemoryStorageBase } from './memory-collection.js';

/** A dataset in memory: its items kept as the JSON strings the core serialized. */
export class MemoryDataset implements DatasetClient, MemoryStorageBase {
  readonly id: string;
  readonly name: string | undefined;
  readonly createdAt: number;
  modifiedAt: number;
  accessedAt: number;
  dropped = false;
  readonly #items: string[] = [];

  constructor(
    private readonly collection: MemoryCollection<MemoryDataset>,
    id: string,
    name: string | undefined,
  ) {
    const base = newStorageBase(id, name);
    this.id = base.id;
    this.name = base.name;
    this.createdAt = base.createdAt;
    this.modifiedAt = base.modifiedAt;
    this.accessedAt = base.accessedAt;
  }

  async getMetadata(): Promise<DatasetMetadata> {
    this.collection.assertLive(this);
    return { ...baseMetadata(this), itemCount: this.#items.length };
  }

  async pushItems(jsonItems: readonly string[]): Promise<void> {
    this.collection.assertLive(this);
    for (const item of jsonItems) this.#items.push(item);
    this.modifiedAt = this.accessedAt = Date.now();
  }

  async listItems({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemsPage> {
    this.collection.assertLive(this);
    this.accessedAt = Date.now();
    const total = this.#items.length;
    const count = Math.max(0, Math.min(limit, total - offset));
    const items = new Array<Record<string, unknown>>(count);
    for (let i = 0; i < count; i++) {
      const index = desc ? total - 1 - offset - i : offset + i;
      items[i] = JSON.parse(this.#items[index]!) as Record<string, unknown>;
    }
    return { items, total };
  }

  async drop(): Promise<void> {
    this.collection.assertLive(this);
    this.collection.remove(this);
    this.#items.length = 0;
  }
}
