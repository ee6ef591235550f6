// Exports of a dataset in Redis: its items' stored JSON texts (listItemTexts) make the JSON and JSONL
// exports, which must be the bytes the parsed path gives (the memory client's export of the same items).
import { DATASET_EXPORT_FORMATS, Dataset } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientPool } from './helpers.js';
import { sharedRedisAvailable } from './redis-servers.js';

const available = await sharedRedisAvailable('redis-client dataset exports');
const pool = new ClientPool();
afterEach(() => pool.destroy());

const items = Array.from({ length: 2300 }, (_, n) => ({ n, text: n % 7 === 0 ? `=cmd(${n}) «ü» 🐎` : `item "${n}"\nline`, tags: ['a', String(n)], nested: { deep: { n } } }));

describe.skipIf(!available)('dataset exports on Redis', () => {
  it('listItemTexts gives the stored JSON of the same items as listItems, in both directions', async () => {
    const storageClient = pool.create();
    const dataset = await Dataset.open({ name: 'texts', storageClient });
    await dataset.pushData(items.slice(0, 30));
    const handle = await storageClient.openDataset({ kind: 'id', id: dataset.id });
    for (const desc of [false, true]) {
      const texts = await handle.listItemTexts!({ offset: 3, limit: 10, desc });
      const parsed = await handle.listItems({ offset: 3, limit: 10, desc });
      expect(texts.total).toBe(30);
      expect(texts.items.map((text) => JSON.parse(text) as unknown)).toEqual(parsed.items);
      expect(texts.items).toEqual(parsed.items.map((item) => JSON.stringify(item)));
    }
  });

  it('every format gives the same bytes as the memory client, with and without options', async () => {
    const storageClient = pool.create();
    const onRedis = await Dataset.open({ name: 'exports', storageClient });
    const inMemory = await Dataset.open({ name: 'exports', storageClient: new MemoryStorageClient() });
    await onRedis.pushData(items);
    await inMemory.pushData(items);
    for (const format of DATASET_EXPORT_FORMATS) {
      if (format === 'xlsx') continue; // a zip holds its own time stamps
      for (const options of [{}, { desc: true, offset: 10, limit: 1500, fields: ['text', 'n'] }]) {
        const redisBytes = await (await onRedis.exportStream({ format, ...options })).toBuffer();
        const memoryBytes = await (await inMemory.exportStream({ format, ...options })).toBuffer();
        expect(redisBytes.equals(memoryBytes), `${format} ${JSON.stringify(options)}`).toBe(true);
      }
    }
  });
});
