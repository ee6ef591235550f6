import { Dataset, StorageError, setDefaultStorageClient, type DatasetItem } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../src/index.js';

// The names and signatures of Crawlee's and the Apify SDK's `Dataset` work as equals of ours.

afterEach(() => setDefaultStorageClient(undefined));

async function datasetOf(items: DatasetItem[]): Promise<Dataset> {
  const dataset = await Dataset.open({ storageClient: new MemoryStorageClient() });
  await dataset.pushData(items);
  return dataset;
}

const numbers = (count: number): DatasetItem[] => Array.from({ length: count }, (_, n) => ({ n }));

describe('Dataset.forEach', () => {
  it('calls the iteratee with every item and its index, in order, across pages, awaiting each call', async () => {
    const dataset = await datasetOf(numbers(25));
    const seen: [number, number][] = [];
    let running = 0;
    await dataset.forEach(
      async (item, index) => {
        running++;
        expect(running).toBe(1); // one call at a time
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push([item['n'] as number, index]);
        running--;
      },
      { pageSize: 10 },
    );
    expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => [n, n]));
  });

  it('starts the index at its third argument, and takes desc, offset, limit, fields and omit', async () => {
    const dataset = await datasetOf(Array.from({ length: 6 }, (_, n) => ({ n, even: n % 2 === 0, extra: 'x' })));
    const seen: unknown[] = [];
    await dataset.forEach((item, index) => void seen.push([item, index]), { desc: true, offset: 1, limit: 3, fields: ['n', 'even'], omit: ['even'] }, 100);
    expect(seen).toEqual([
      [{ n: 4 }, 100],
      [{ n: 3 }, 101],
      [{ n: 2 }, 102],
    ]);
  });

  it("takes Crawlee's unwind, skipHidden, skipEmpty and clean", async () => {
    const dataset = await datasetOf([
      { id: 1, offers: [{ price: 10 }, { price: 12 }], '#debug': 'a' },
      { id: 2, offers: { price: 7 } },
      { id: 3, offers: 'none' },
      { '#only': 'hidden' },
      {},
    ]);
    const collect = async (options: Parameters<Dataset['forEach']>[1]): Promise<DatasetItem[]> => {
      const out: DatasetItem[] = [];
      await dataset.forEach((item) => void out.push(item), options);
      return out;
    };
    expect(await collect({ unwind: 'offers', skipHidden: true })).toEqual([
      { id: 1, price: 10 },
      { id: 1, price: 12 },
      { id: 2, price: 7 },
      { id: 3, offers: 'none' },
      {},
      {},
    ]);
    expect(await collect({ skipEmpty: true })).toHaveLength(4);
    expect(await collect({ clean: true })).toEqual([
      { id: 1, offers: [{ price: 10 }, { price: 12 }] },
      { id: 2, offers: { price: 7 } },
      { id: 3, offers: 'none' },
    ]);
  });

  it('stops at the first throw and rejects with it; a format other than json is refused', async () => {
    const dataset = await datasetOf(numbers(5));
    const seen: number[] = [];
    const failure = new Error('stop here');
    await expect(
      dataset.forEach((item) => {
        seen.push(item['n'] as number);
        if (item['n'] === 2) throw failure;
      }),
    ).rejects.toBe(failure);
    expect(seen).toEqual([0, 1, 2]);
    const error = await dataset.forEach(() => undefined, { format: 'csv' }).catch((e: unknown) => e);
    expect(StorageError.is(error, 'invalid-argument')).toBe(true);
    expect((error as Error).message).toContain('"json"');
    await dataset.forEach(() => undefined, { format: 'json' });
    await expect(dataset.forEach('not a function' as never)).rejects.toThrow(StorageError);
  });
});

describe('Dataset.map', () => {
  it('gives what the iteratee returns for each item, awaited, in order, with the options applied', async () => {
    const dataset = await datasetOf(numbers(12));
    expect(await dataset.map(async (item, index) => (item['n'] as number) * 10 + index, { pageSize: 5 })).toEqual(
      Array.from({ length: 12 }, (_, n) => n * 11),
    );
    expect(await dataset.map((item) => item['n'], { desc: true, limit: 2 })).toEqual([11, 10]);
    expect(await (await datasetOf([])).map((item) => item)).toEqual([]);
  });
});

describe('Dataset.reduce', () => {
  it('folds with a memo, calling the iteratee for every item from index 0', async () => {
    const dataset = await datasetOf(numbers(4));
    const calls: number[] = [];
    const sum = await dataset.reduce(
      async (memo: number, item, index) => {
        calls.push(index);
        return memo + (item['n'] as number);
      },
      100,
    );
    expect(sum).toBe(106);
    expect(calls).toEqual([0, 1, 2, 3]);
  });

  it('without a memo takes the first item as the memo and starts at index 1; an empty dataset gives undefined', async () => {
    const dataset = await datasetOf(numbers(4));
    const calls: number[] = [];
    const total = await dataset.reduce((memo, item, index) => {
      calls.push(index);
      return { n: (memo['n'] as number) + (item['n'] as number) };
    });
    expect(total).toEqual({ n: 6 });
    expect(calls).toEqual([1, 2, 3]);
    expect(await (await datasetOf([])).reduce((memo) => memo)).toBeUndefined();
    // Crawlee's form with options: memo undefined, options third.
    const newest = await dataset.reduce((memo) => memo, undefined, { desc: true });
    expect(newest).toEqual({ n: 3 });
  });
});

describe('Dataset.getInfo and Dataset.open(idOrName, options)', () => {
  it('getInfo gives the same metadata as getMetadata', async () => {
    const dataset = await datasetOf(numbers(3));
    const info = await dataset.getInfo();
    expect(info).toEqual(await dataset.getMetadata());
    expect(info).toMatchObject({ id: dataset.id, itemCount: 3 });
  });

  it('opens by a name (created when missing) or by the id of an existing dataset, on the client of the second argument', async () => {
    const storageClient = new MemoryStorageClient();
    const byName = await Dataset.open('results', { storageClient });
    expect(byName.name).toBe('results');
    expect(byName.storageClient).toBe(storageClient);
    await byName.pushData({ a: 1 });
    expect(await Dataset.open(byName.id, { storageClient })).toBe(byName);
    expect(await Dataset.open({ name: 'results' }, { storageClient })).toBe(byName);
    // A dataset no frontend has opened yet: its id finds it (no new dataset of that name is made).
    const { id } = await (await storageClient.openDataset({ kind: 'name', name: 'made-by-client' })).getMetadata();
    const byId = await Dataset.open(id, { storageClient });
    expect(byId.name).toBe('made-by-client');
    expect(await Dataset.open('made-by-client', { storageClient })).toBe(byId);
    // The default storage by its id, by null and by undefined.
    const defaultDataset = await Dataset.open(null, { storageClient });
    expect(defaultDataset.id).toBe('default');
    expect(await Dataset.open('default', { storageClient })).toBe(defaultDataset);
    expect(await Dataset.open(undefined, { storageClient })).toBe(defaultDataset);
    // A string that is neither an existing id nor a valid name is a bad name, and nothing is made.
    const error = await Dataset.open('no_such_id', { storageClient }).catch((e: unknown) => e);
    expect(StorageError.is(error, 'invalid-name')).toBe(true);
    expect((await storageClient.listDatasets()).map((d) => d.name ?? d.id).sort()).toEqual(['default', 'made-by-client', 'results']);
  });

  it('the second argument wins over the default client', async () => {
    const registered = new MemoryStorageClient();
    const given = new MemoryStorageClient();
    setDefaultStorageClient(registered);
    expect((await Dataset.open('mine', { storageClient: given })).storageClient).toBe(given);
    expect((await Dataset.open('mine')).storageClient).toBe(registered);
    expect((await Dataset.open({ name: 'mine', storageClient: registered }, { storageClient: given })).storageClient).toBe(given);
  });
});
