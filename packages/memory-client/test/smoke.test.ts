import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

it('smoke', async () => {
  const storageClient = new MemoryStorageClient();
  const ds = await Dataset.open({ storageClient });
  await ds.pushData([{ a: 1 }, { a: 2 }]);
  expect((await ds.getData()).items).toEqual([{ a: 1 }, { a: 2 }]);
  const kvs = await KeyValueStore.open({ name: 'x', storageClient });
  await kvs.setValue('k', { b: 1 });
  expect(await kvs.getValue('k')).toEqual({ b: 1 });
  const rq = await RequestQueue.open({ storageClient });
  await rq.addRequest('https://example.com/a');
  const r = await rq.fetchNextRequest();
  expect(r?.url).toBe('https://example.com/a');
});
