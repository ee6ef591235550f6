import { randomBytes } from 'node:crypto';
import type { DatasetClient, DatasetItemTextsPage, DatasetItemsPage, DatasetMetadata, ListItemsOptions } from '@x/core';
import { datasetKeys, type DatasetKeys } from './redis-keys.js';
import { RedisStorage, fieldsOf, numberOf, type RedisStorageContext } from './redis-storage.js';

/**
 * A dataset in Redis: its items' JSON in one LIST, oldest first. A push is one RPUSH of the whole
 * batch in a script (all items or none); a page is one LRANGE, counted from the nearer end.
 */
export class RedisDataset extends RedisStorage implements DatasetClient {
  protected readonly kind = 'dataset';
  readonly #keys: DatasetKeys;

  constructor(context: RedisStorageContext, id: string, name: string | undefined) {
    super(context, id, name);
    this.#keys = datasetKeys(context.prefix, id);
  }

  protected get metaKey(): string {
    return this.#keys.meta;
  }

  protected allKeys(): readonly string[] {
    return [this.#keys.meta, this.#keys.items, this.#keys.pushes];
  }

  async getMetadata(): Promise<DatasetMetadata> {
    const reply = (await this.run('dataset-metadata', [this.#keys.meta, this.#keys.items], [])) as unknown[];
    return { ...this.baseMetadata(fieldsOf(reply, 1)), itemCount: numberOf(reply[0]) };
  }

  async pushItems(jsonItems: readonly string[]): Promise<void> {
    if (jsonItems.length === 0) return;
    // The token makes the push happen once even when it is sent again after a lost reply.
    const token = randomBytes(12).toString('base64url');
    await this.run('push-items', [this.#keys.meta, this.#keys.items, this.#keys.pushes], [token, ...jsonItems]);
  }

  async listItems({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemsPage> {
    const reply = (await this.run('list-items', [this.#keys.meta, this.#keys.items], [String(offset), String(limit), desc ? '1' : '0'])) as unknown[];
    const items = new Array<Record<string, unknown>>(reply.length - 1);
    for (let i = 1; i < reply.length; i++) items[i - 1] = JSON.parse(String(reply[i])) as Record<string, unknown>;
    return { items, total: numberOf(reply[0]) };
  }

  async listItemTexts({ offset, limit, desc }: ListItemsOptions): Promise<DatasetItemTextsPage> {
    const reply = (await this.run('list-items', [this.#keys.meta, this.#keys.items], [String(offset), String(limit), desc ? '1' : '0'])) as unknown[];
    return { items: reply.slice(1).map(String), total: numberOf(reply[0]) };
  }
}
