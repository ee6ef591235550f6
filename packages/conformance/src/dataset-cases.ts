import { Dataset, KeyValueStore, MAX_JSON_DEPTH, type DatasetItem, type StorageClient } from '@x/core';
import { describe, expect } from 'vitest';
import { circularObject, collect, expectStorageError, nestedObject, type SuiteContext } from './suite-context.js';

const NINE_MIB = 9 * 1024 * 1024;

/** `count` items `{ i, even }` pushed in one call. */
async function datasetWith(storageClient: StorageClient, count: number, name?: string): Promise<Dataset> {
  const dataset = await Dataset.open(name === undefined ? { storageClient } : { name, storageClient });
  if (count > 0) await dataset.pushData(Array.from({ length: count }, (_, i) => ({ i, even: i % 2 === 0 })));
  return dataset;
}

const indexes = (items: readonly DatasetItem[]): unknown[] => items.map((item) => item['i']);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Values that are not plain objects, each of which pushData must reject with `invalid-item`. */
const NON_OBJECT_ITEMS: readonly [string, unknown][] = [
  ['a number', 42],
  ['a string', 'item'],
  ['null', null],
  ['undefined', undefined],
  ['a boolean', true],
  ['an array (inside the array of items)', [{ a: 1 }]],
  ['a Date', new Date(0)],
  ['a class instance', new Point(1, 2)],
  ['a Map', new Map([['a', 1]])],
];

async function expectItemCount(dataset: Dataset, count: number): Promise<void> {
  expect((await dataset.getMetadata()).itemCount).toBe(count);
  expect((await dataset.getData()).total).toBe(count);
}

/** The cases of {@link Dataset}: pushing, reading, paging, projection, validation and export. */
export function defineDatasetCases(ctx: SuiteContext): void {
  const { test } = ctx;

  describe('Dataset', () => {
    describe('pushData and getData', () => {
      test('pushData takes one object and gives it back', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData({ result: 'Hello, world!' });
        const page = await dataset.getData();
        expect(page.items).toEqual([{ result: 'Hello, world!' }]);
        await expectItemCount(dataset, 1);
      });

      test('pushData takes an array of objects and keeps their order across calls', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData([{ a: 1 }, { a: 2 }]);
        await dataset.pushData({ a: 3 });
        await dataset.pushData([{ a: 4 }, { a: 5 }, { a: 6 }]);
        expect((await dataset.getData()).items).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }, { a: 6 }]);
        await expectItemCount(dataset, 6);
      });

      test('pushData of an empty array writes nothing', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 2);
        await dataset.pushData([]);
        await expectItemCount(dataset, 2);
      });

      test('items round-trip exactly: nested values, unicode, numbers, booleans and null', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const item = {
          text: 'žluťoučký kůň 🐎 "quoted" \\ back\nslash',
          number: -12.5,
          big: Number.MAX_SAFE_INTEGER,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { three: 3 }, [4]],
          nested: { deeper: { deepest: ['x'] } },
          empty: {},
          emptyList: [],
        };
        await dataset.pushData(item);
        expect((await dataset.getData()).items).toEqual([item]);
      });

      test('a null-prototype object is a plain object and is accepted', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const item = Object.create(null) as DatasetItem;
        item['a'] = 1;
        await dataset.pushData(item);
        expect((await dataset.getData()).items).toEqual([{ a: 1 }]);
      });

      test('getData returns { items, total, offset, limit, count, desc } with the options given', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 10);
        const page = await dataset.getData({ offset: 2, limit: 3 });
        expect(page).toEqual({ items: [0, 1, 2].map((k) => ({ i: 2 + k, even: k % 2 === 0 })), total: 10, offset: 2, limit: 3, count: 3, desc: false });
        const descPage = await dataset.getData({ offset: 1, limit: 2, desc: true });
        expect(descPage).toEqual({ items: [{ i: 8, even: true }, { i: 7, even: false }], total: 10, offset: 1, limit: 2, count: 2, desc: true });
      });

      test('getData without options returns every item from offset 0 in insertion order', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 5);
        const page = await dataset.getData();
        expect(indexes(page.items)).toEqual(range(0, 5));
        expect(page.total).toBe(5);
        expect(page.offset).toBe(0);
        expect(page.count).toBe(5);
        expect(page.desc).toBe(false);
        expect(page.limit).toBeGreaterThanOrEqual(5);
      });

      test('getData of an empty dataset is an empty page', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const page = await dataset.getData({ offset: 0, limit: 10 });
        expect(page).toEqual({ items: [], total: 0, offset: 0, limit: 10, count: 0, desc: false });
      });

      test('getData with offset, limit and desc selects the right slice', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 10);
        expect(indexes((await dataset.getData({ offset: 7 })).items)).toEqual([7, 8, 9]);
        expect(indexes((await dataset.getData({ limit: 2 })).items)).toEqual([0, 1]);
        expect(indexes((await dataset.getData({ desc: true })).items)).toEqual(range(0, 10).reverse());
        expect(indexes((await dataset.getData({ offset: 2, limit: 3, desc: true })).items)).toEqual([7, 6, 5]);
        expect(indexes((await dataset.getData({ offset: 8, limit: 5 })).items)).toEqual([8, 9]);
        expect(indexes((await dataset.getData({ offset: 8, limit: 5, desc: true })).items)).toEqual([1, 0]);
        const beyond = await dataset.getData({ offset: 20, limit: 5 });
        expect(beyond.items).toEqual([]);
        expect(beyond.count).toBe(0);
        expect(beyond.total).toBe(10);
        const none = await dataset.getData({ limit: 0 });
        expect(none.items).toEqual([]);
        expect(none.count).toBe(0);
      });

      test('pages of getData cover the dataset exactly once', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 25);
        const seen: unknown[] = [];
        const counts: number[] = [];
        for (let offset = 0; ; offset += 10) {
          const page = await dataset.getData({ offset, limit: 10 });
          expect(page.total).toBe(25);
          expect(page.offset).toBe(offset);
          if (page.count === 0) break;
          expect(offset, 'getData keeps giving items past the end').toBeLessThan(25);
          counts.push(page.count);
          seen.push(...indexes(page.items));
        }
        expect(counts).toEqual([10, 10, 5]);
        expect(seen).toEqual(range(0, 25));
        const descSeen: unknown[] = [];
        for (let offset = 0; offset < 25; offset += 10) descSeen.push(...indexes((await dataset.getData({ offset, limit: 10, desc: true })).items));
        expect(descSeen).toEqual(range(0, 25).reverse());
      });

      test('bad offset or limit rejects with invalid-argument', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 3);
        await expectStorageError(dataset.getData({ offset: -1 }), 'invalid-argument');
        await expectStorageError(dataset.getData({ limit: 1.5 }), 'invalid-argument');
        await expectStorageError(dataset.getData({ limit: -2 }), 'invalid-argument');
        await expectStorageError(collect(dataset.iterateItems({ offset: -1 })), 'invalid-argument');
        await expectStorageError(collect(dataset.iterateItems({ pageSize: 0 })), 'invalid-argument');
      });
    });

    describe('clean, fields and omit', () => {
      const items: DatasetItem[] = [
        { id: 1, name: 'one', '#debug': 'x', nested: { '#kept': true } },
        { '#only': 'hidden' },
        {},
        { id: 2, name: 'two', extra: 'e' },
      ];

      test('clean drops #-fields and items left empty', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(items);
        const page = await dataset.getData({ clean: true });
        expect(page.items).toEqual([
          { id: 1, name: 'one', nested: { '#kept': true } },
          { id: 2, name: 'two', extra: 'e' },
        ]);
        expect(page.count).toBe(2);
        expect(page.total).toBe(4);
        // Without clean, everything is there.
        expect((await dataset.getData()).items).toEqual(items);
      });

      test('fields keeps only the listed top-level fields', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(items);
        expect((await dataset.getData({ fields: ['name', 'extra'] })).items).toEqual([{ name: 'one' }, {}, {}, { name: 'two', extra: 'e' }]);
        expect((await dataset.getData({ fields: ['name'], clean: true })).items).toEqual([{ name: 'one' }, { name: 'two' }]);
      });

      test('omit leaves out the listed top-level fields', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(items);
        expect((await dataset.getData({ omit: ['name', 'nested', '#debug'] })).items).toEqual([{ id: 1 }, { '#only': 'hidden' }, {}, { id: 2, extra: 'e' }]);
        expect((await dataset.getData({ fields: ['id', 'name'], omit: ['name'] })).items).toEqual([{ id: 1 }, {}, {}, { id: 2 }]);
        expect((await dataset.getData({ omit: ['id', 'name', 'nested', 'extra'], clean: true })).items).toEqual([]);
      });

      test('projection applies to the page chosen by offset and limit', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(items);
        const page = await dataset.getData({ offset: 1, limit: 3, clean: true, fields: ['id', '#only'] });
        expect(page.items).toEqual([{ id: 2 }]);
        expect(page.count).toBe(1);
        expect(page.offset).toBe(1);
        expect(page.limit).toBe(3);
      });
    });

    describe('iterateItems', () => {
      test('iterates every item in order', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 7);
        expect(indexes(await collect(dataset.iterateItems()))).toEqual(range(0, 7));
      });

      test('honours offset, limit and desc, across pages', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 23);
        expect(indexes(await collect(dataset.iterateItems({ pageSize: 5 })))).toEqual(range(0, 23));
        expect(indexes(await collect(dataset.iterateItems({ offset: 4, pageSize: 5 })))).toEqual(range(4, 23));
        expect(indexes(await collect(dataset.iterateItems({ offset: 4, limit: 12, pageSize: 5 })))).toEqual(range(4, 16));
        expect(indexes(await collect(dataset.iterateItems({ limit: 5, pageSize: 5 })))).toEqual(range(0, 5));
        expect(indexes(await collect(dataset.iterateItems({ desc: true, pageSize: 4 })))).toEqual(range(0, 23).reverse());
        expect(indexes(await collect(dataset.iterateItems({ desc: true, offset: 3, limit: 6, pageSize: 4 })))).toEqual([19, 18, 17, 16, 15, 14]);
        expect(await collect(dataset.iterateItems({ offset: 23 }))).toEqual([]);
        expect(await collect(dataset.iterateItems({ limit: 0 }))).toEqual([]);
      });

      test('applies clean and fields', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData([{ a: 1, '#h': 1 }, { '#h': 2 }, { a: 3, b: 3 }]);
        expect(await collect(dataset.iterateItems({ clean: true, pageSize: 1 }))).toEqual([{ a: 1 }, { a: 3, b: 3 }]);
        expect(await collect(dataset.iterateItems({ fields: ['b'] }))).toEqual([{}, {}, { b: 3 }]);
      });

      test('iterating an empty dataset yields nothing', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        expect(await collect(dataset.iterateItems())).toEqual([]);
      });
    });

    describe('validation', () => {
      for (const [what, bad] of NON_OBJECT_ITEMS) {
        test(`an item that is ${what} rejects with invalid-item and nothing is written`, async (storageClient) => {
          const dataset = await datasetWith(storageClient, 1);
          // An array alone is a list of items, so an array is tested wrapped in the list.
          await expectStorageError(dataset.pushData((Array.isArray(bad) ? [bad] : bad) as DatasetItem), 'invalid-item');
          await expectStorageError(dataset.pushData([{ ok: 1 }, { ok: 2 }, bad] as DatasetItem[]), 'invalid-item');
          await expectStorageError(dataset.pushData([bad, { ok: 3 }] as DatasetItem[]), 'invalid-item');
          await expectItemCount(dataset, 1);
          expect(indexes((await dataset.getData()).items)).toEqual([0]);
        });
      }

      test('an item that cannot be serialized as JSON rejects with invalid-item and nothing is written', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const circular: DatasetItem = { a: 1 };
        circular['self'] = circular;
        await expectStorageError(dataset.pushData({ n: 10n }), 'invalid-item');
        await expectStorageError(dataset.pushData([{ ok: true }, circular]), 'invalid-item');
        await expectItemCount(dataset, 0);
      });

      test(`an item nested deeper than ${MAX_JSON_DEPTH} levels, or 100,000 levels, or circular through an array, rejects with invalid-item and nothing is written`, async (storageClient) => {
        const dataset = await datasetWith(storageClient, 1);
        const cycle = circularObject();
        for (const bad of [nestedObject(MAX_JSON_DEPTH + 1), nestedObject(100_000), { list: [cycle] }, { list: [1n] }]) {
          await expectStorageError(dataset.pushData(bad), 'invalid-item');
          await expectStorageError(dataset.pushData([{ ok: 1 }, bad, { ok: 2 }]), 'invalid-item');
        }
        await expectItemCount(dataset, 1);
        // The dataset works on, and an item nested exactly to the limit is stored and read back.
        const deepest = nestedObject(MAX_JSON_DEPTH);
        await dataset.pushData([deepest, { i: 2 }]);
        await expectItemCount(dataset, 3);
        const { items } = await dataset.getData({ offset: 1 });
        expect(items).toEqual([deepest, { i: 2 }]);
      });

      test('an item over 9 MiB rejects with item-too-large and nothing is written', async (storageClient) => {
        const dataset = await datasetWith(storageClient, 1);
        const big = { data: 'x'.repeat(NINE_MIB) };
        await expectStorageError(dataset.pushData(big), 'item-too-large');
        await expectStorageError(dataset.pushData([{ ok: 1 }, big]), 'item-too-large');
        // The limit is on bytes of UTF-8, not on characters: 3.2 M euro signs are 9.6 MB.
        await expectStorageError(dataset.pushData({ data: '€'.repeat(3_200_000) }), 'item-too-large');
        await expectItemCount(dataset, 1);
      });

      test('an item of exactly 9 MiB serialized is accepted', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const overhead = JSON.stringify({ data: '' }).length;
        const item = { data: 'y'.repeat(NINE_MIB - overhead) };
        expect(Buffer.byteLength(JSON.stringify(item))).toBe(NINE_MIB);
        await dataset.pushData(item);
        await expectItemCount(dataset, 1);
        const [stored] = (await dataset.getData()).items;
        expect((stored?.['data'] as string).length).toBe(NINE_MIB - overhead);
      });
    });

    describe('copies', () => {
      test('items given and returned are copies of the stored data', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        const pushed = { a: 1, nested: { b: [1, 2] } };
        await dataset.pushData(pushed);
        pushed.a = 99;
        pushed.nested.b.push(3);
        const first = (await dataset.getData()).items[0] as { a: number; nested: { b: number[] } };
        expect(first).toEqual({ a: 1, nested: { b: [1, 2] } });
        first.a = 100;
        first.nested.b.push(4);
        const [iterated] = await collect(dataset.iterateItems());
        expect(iterated).toEqual({ a: 1, nested: { b: [1, 2] } });
        (iterated as DatasetItem)['a'] = 101;
        expect((await dataset.getData()).items).toEqual([{ a: 1, nested: { b: [1, 2] } }]);
      });
    });

    describe('export', () => {
      const exportItems: DatasetItem[] = [
        { name: 'Alice, A.', address: { city: 'Prague', zip: '110 00' }, tags: ['a', 'b'] },
        { name: 'Bob "the builder"', note: 'line one\nline two', tags: ['c'], age: 42, member: true },
        { name: 'Carol', address: { city: 'Brno' }, empty: null },
      ];
      const expectedCsv =
        [
          'name,address/city,address/zip,tags/0,tags/1,note,age,member,empty',
          '"Alice, A.",Prague,110 00,a,b,,,,',
          '"Bob ""the builder""",,,c,,"line one\nline two",42,true,',
          'Carol,Brno,,,,,,,',
        ].join('\r\n') + '\r\n';

      test('exportToCSV writes CSV into a store by name: header union in first-seen order, flattening, RFC 4180 quoting, CRLF', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(exportItems);
        await dataset.exportToCSV('OUTPUT', { toKvsName: 'exports' });
        const stores = await storageClient.listKeyValueStores();
        expect(stores.map((s) => s.name)).toEqual(['exports']);
        const store = await KeyValueStore.open({ name: 'exports', storageClient });
        expect(await store.getValue('OUTPUT')).toBe(expectedCsv);
        const keys = await collect(store.iterateKeys());
        expect(keys).toHaveLength(1);
        expect(keys[0]?.key).toBe('OUTPUT');
        expect(keys[0]?.contentType.toLowerCase()).toMatch(/^text\/csv/);
        expect(keys[0]?.size).toBe(Buffer.byteLength(expectedCsv));
      });

      test('exportToJSON writes a JSON array into a store by id', async (storageClient) => {
        const target = await KeyValueStore.open({ name: 'target', storageClient });
        const dataset = await Dataset.open({ name: 'source', storageClient });
        await dataset.pushData(exportItems);
        await dataset.exportToJSON('items', { toKvsId: target.id });
        expect(await target.getValue('items')).toEqual(exportItems);
        const [info] = await collect(target.iterateKeys());
        expect(info?.contentType.toLowerCase()).toMatch(/^application\/json/);
        expect((await storageClient.listKeyValueStores()).map((s) => s.id)).toEqual([target.id]);
      });

      test('exportTo writes CSV or JSON into the default store when no store is named', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData(exportItems);
        await dataset.exportTo({ key: 'as-csv', contentType: 'csv' });
        await dataset.exportTo({ key: 'as-json' });
        await dataset.exportTo({ key: 'as-json-2', contentType: 'json' });
        const store = await KeyValueStore.open({ storageClient });
        expect(await store.getValue('as-csv')).toBe(expectedCsv);
        expect(await store.getValue('as-json')).toEqual(exportItems);
        expect(await store.getValue('as-json-2')).toEqual(exportItems);
        expect((await storageClient.listKeyValueStores()).map((s) => s.id)).toEqual([store.id]);
      });

      test('exportTo with toKvsName and toKvsId', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData([{ a: 1 }, { b: 2 }]);
        await dataset.exportTo({ key: 'k', contentType: 'csv', toKvsName: 'csv-store' });
        const named = await KeyValueStore.open({ name: 'csv-store', storageClient });
        expect(await named.getValue('k')).toBe('a,b\r\n1,\r\n,2\r\n');
        await dataset.exportTo({ key: 'k2', contentType: 'json', toKvsId: named.id });
        expect(await named.getValue('k2')).toEqual([{ a: 1 }, { b: 2 }]);
      });

      test('an empty dataset exports as an empty JSON array', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.exportToJSON('empty');
        expect(await (await KeyValueStore.open({ storageClient })).getValue('empty')).toEqual([]);
      });

      test('bad export arguments reject with typed errors and write nothing', async (storageClient) => {
        const dataset = await Dataset.open({ storageClient });
        await dataset.pushData({ a: 1 });
        await expectStorageError(dataset.exportToCSV('a/b', { toKvsName: 'never' }), 'invalid-key');
        await expectStorageError(dataset.exportToJSON('', { toKvsName: 'never' }), 'invalid-key');
        await expectStorageError(dataset.exportTo({ key: 'k', contentType: 'xml' as 'csv', toKvsName: 'never' }), 'invalid-argument');
        await expectStorageError(dataset.exportTo({ key: 'k', toKvsName: 'never', toKvsId: 'someId' }), 'invalid-argument');
        await expectStorageError(dataset.exportToCSV('k', { toKvsId: 'noSuchStore00001' }), 'not-found');
        await expectStorageError(dataset.exportToCSV('k', { toKvsName: 'bad_name' }), 'invalid-name');
        expect(await storageClient.listKeyValueStores()).toEqual([]);
      });
    });

    describe('raw client contract', () => {
      test('pushItems and listItems store and page JSON items', async (storageClient) => {
        const client = await storageClient.openDataset({ kind: 'name', name: 'raw' });
        await client.pushItems(['{"a":1}', '{"a":2}', '{"a":3}']);
        expect(await client.listItems({ offset: 0, limit: 10, desc: false })).toEqual({ items: [{ a: 1 }, { a: 2 }, { a: 3 }], total: 3 });
        expect(await client.listItems({ offset: 1, limit: 1, desc: false })).toEqual({ items: [{ a: 2 }], total: 3 });
        expect(await client.listItems({ offset: 0, limit: 2, desc: true })).toEqual({ items: [{ a: 3 }, { a: 2 }], total: 3 });
        expect(await client.listItems({ offset: 5, limit: 2, desc: false })).toEqual({ items: [], total: 3 });
        expect((await client.getMetadata()).itemCount).toBe(3);
      });
    });
  });
}
