import type { DatasetClient, DatasetItemTextsPage, DatasetItemsPage, DatasetMetadata, ListItemsOptions } from '@x/core';
import { MemoryStorageBase } from './memory-collection.js';

/** A dataset in memory: its items kept as the JSON strings the core serialized. */
export class MemoryDataset extends MemoryStorageBase implements DatasetClient {
  readonly #items: string[] = [];


  async getMetadata(): Promise<DatasetMetadata> {
    this.assertLive();
    return { ...this.baseMetadata(), itemCount: this.#items.length };
  }

  async pushItems(jsonItems: readonly string[]): Promise<void> {
    this.assertLive();
    for (const item of jsonItems) this.#items.push(item);
    this.modifiedAt = this.accessedAt = Date.now();
  }

  async listItems({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemsPage> {
    this.assertLive();
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

  async listItemTexts({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemTextsPage> {
    this.assertLive();
    this.accessedAt = Date.now();
    const total = this.#items.length;
    const count = Math.max(0, Math.min(limit, total - offset));
    const items = new Array<string>(count);
    for (let i = 0; i < count; i++) items[i] = this.#items[desc ? total - 1 - offset - i : offset + i]!;
    return { items, total };
  }

  async drop(): Promise<void> {
    this.assertLive();
    this.remove();
    this.#items.length = 0;
  }
}
