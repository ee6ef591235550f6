import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DATASET_EXPORT_FORMATS,
  Dataset,
  KeyValueStore,
  MAX_EXPORT_COLUMNS,
  exportDatasetItems,
  flattenItem,
  type DatasetClient,
  type DatasetExportFormat,
  type DatasetItem,
  StorageError,
  type StorageErrorCode,
} from '@x/core';
import { setKeptRowsBudget } from '../../core/src/dataset-export.js';
import { xlsxChunks } from '../../core/src/export-xlsx.js';
import { readCsv, readHtmlTable, readXlsx, readXml } from '../../core/test/export-readers.js';

/** Awaits `promise`, expects a `StorageError` of `code`, and gives it back. */
async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, 'expected a StorageError').toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe(code);
  return error as StorageError;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function datasetOf(items: DatasetItem[]): Promise<{ dataset: Dataset; client: DatasetClient; storageClient: MemoryStorageClient }> {
  const storageClient = new MemoryStorageClient();
  const dataset = await Dataset.open({ name: `export-${++counter}`, storageClient });
  if (items.length > 0) await dataset.pushData(items);
  const client = await storageClient.openDataset({ kind: 'id', id: dataset.id });
  return { dataset, client, storageClient };
}

async function exported(client: DatasetClient, format: DatasetExportFormat, options: Parameters<typeof exportDatasetItems>[1] = {}): Promise<Buffer> {
  return (await exportDatasetItems(client, { ...options, format })).toBuffer();
}

/** The value a text format gives back for a cell: what CSV, HTML and XML hold. */
function cellText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

const items: DatasetItem[] = [
  { id: 1, name: 'Ann', price: 10.5, ok: true, address: { city: 'Prague', zip: '110 00' }, tags: ['a', 'b'] },
  { id: 2, name: 'Bob "the builder"', price: -3, ok: false, address: { city: 'Brno' }, note: 'two\nlines, and a comma' },
  { id: 3, name: 'Carol', price: 0, none: null, tags: ['c'] },
];

/** The table every table format holds for `items`: flattened columns, first seen first. */
function expectedTable(rows: readonly DatasetItem[]): { columns: string[]; cells: unknown[][] } {
  const flat = rows.map(flattenItem);
  const columns = [...new Set(flat.flatMap((row) => [...row.keys()]))];
  return { columns, cells: flat.map((row) => columns.map((column) => row.get(column))) };
}

describe('the export engine: every format read back by an independent parser', () => {
  it('json and jsonl give the items back, in order', async () => {
    const { client } = await datasetOf(items);
    expect(JSON.parse((await exported(client, 'json')).toString())).toEqual(items);
    const lines = (await exported(client, 'jsonl')).toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(items);
  });

  it('csv: the flattened table, RFC 4180, CRLF, parsed by csv-parse', async () => {
    const { client } = await datasetOf(items);
    const text = (await exported(client, 'csv')).toString();
    expect(text.startsWith('\uFEFF')).toBe(false);
    expect(text.endsWith('\r\n')).toBe(true);
    const { columns, cells } = expectedTable(items);
    expect(columns).toEqual(['id', 'name', 'price', 'ok', 'address/city', 'address/zip', 'tags/0', 'tags/1', 'note', 'none']);
    // -3 is a number: only text is ever changed against formulas.
    expect(readCsv(text)).toEqual([columns, ...cells.map((row) => row.map(cellText))]);
  });

  it('xlsx: one sheet with the header and typed cells, read by exceljs', async () => {
    const { client } = await datasetOf(items);
    const bytes = await exported(client, 'xlsx');
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const [sheet, ...others] = await readXlsx(bytes);
    expect(others).toEqual([]);
    const { columns, cells } = expectedTable(items);
    expect(sheet!.name).toBe('Items');
    expect(sheet!.formulas).toBe(0);
    expect(sheet!.rows).toEqual([columns, ...cells.map((row) => row.map((value) => value ?? null))]);
  });

  it('html: a table of every value, parsed by parse5 as a browser does', async () => {
    const { client } = await datasetOf(items);
    const table = readHtmlTable(await exported(client, 'html', { title: 'My <dataset>' }));
    const { columns, cells } = expectedTable(items);
    expect(table.title).toBe('My <dataset>');
    expect(table.headers).toEqual(columns);
    expect(table.rows).toEqual(cells.map((row) => row.map(cellText)));
  });

  it('xml: <items><item> with nested elements, arrays repeated, null empty; read by fast-xml-parser', async () => {
    const { client } = await datasetOf(items);
    const text = (await exported(client, 'xml')).toString();
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<items>\n')).toBe(true);
    const doc = readXml(text, ['item', 'tags']) as { items: { item: Record<string, unknown>[] } };
    expect(doc.items.item).toEqual([
      { id: '1', name: 'Ann', price: '10.5', ok: 'true', address: { city: 'Prague', zip: '110 00' }, tags: ['a', 'b'] },
      { id: '2', name: 'Bob "the builder"', price: '-3', ok: 'false', address: { city: 'Brno' }, note: 'two\nlines, and a comma' },
      { id: '3', name: 'Carol', price: '0', none: '', tags: ['c'] },
    ]);
  });

  it('xml: @ holds attributes and # the text, as the API documents; names an XML name cannot hold are made into ones', async () => {
    const { client } = await datasetOf([
      { address: [{ '@': { type: 'home' }, street: '21st', city: 'Chicago' }, { '@': { type: 'office' }, '#': 'unknown' }] },
      { '#debug': 'x', '1st place': 'y', 'a:b': 'z', 'ok.name-1': 'w', nested: [[1, 2], [3]] },
    ]);
    const text = (await exported(client, 'xml', { xmlRoot: 'products', xmlRow: 'product' })).toString();
    expect(text).toContain('<address type="home">');
    expect(text).toContain('<address type="office">unknown</address>');
    const doc = readXml(text, ['product']) as { products: { product: Record<string, unknown>[] } };
    expect(doc.products.product[0]).toEqual({
      address: [
        { '@_type': 'home', street: '21st', city: 'Chicago' },
        { '@_type': 'office', '#text': 'unknown' },
      ],
    });
    expect(doc.products.product[1]).toEqual({ _debug: 'x', _1st_place: 'y', a_b: 'z', 'ok.name-1': 'w', nested: [{ nested: ['1', '2'] }, { nested: '3' }] });
  });

  it('rss: <rss><channel> with one <item> per dataset item; read by fast-xml-parser', async () => {
    const { client } = await datasetOf([
      { title: 'First & best', link: 'https://example.com/1', description: '<b>bold</b>' },
      { title: 'Second', link: 'https://example.com/2' },
    ]);
    const text = (await exported(client, 'rss', { title: 'Feed <1>' })).toString();
    const doc = readXml(text, ['item']) as { rss: { '@_version': string; channel: { title: string; item: Record<string, unknown>[] } } };
    expect(doc.rss['@_version']).toBe('2.0');
    expect(doc.rss.channel.title).toBe('Feed <1>');
    expect(doc.rss.channel.item).toEqual([
      { title: 'First & best', link: 'https://example.com/1', description: '<b>bold</b>' },
      { title: 'Second', link: 'https://example.com/2' },
    ]);
  });

  it('text beyond ASCII (accents, CJK, emoji) comes back whole in every text format', async () => {
    const words = ['Příliš žluťoučký kůň', '東京タワー', 'horse 🐎 and 👍🏽', 'ÿ'.repeat(3000)];
    const { client } = await datasetOf(Array.from({ length: 2500 }, (_, n) => ({ n, word: words[n % words.length]! })));
    const expected = Array.from({ length: 2500 }, (_, n) => ({ n, word: words[n % words.length]! }));
    expect(JSON.parse((await exported(client, 'json', { pageSize: 700 })).toString())).toEqual(expected);
    expect((await exported(client, 'jsonl', { pageSize: 700 })).toString().trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(expected);
    expect(readCsv(await exported(client, 'csv', { pageSize: 700 })).slice(1)).toEqual(expected.map(({ n, word }) => [String(n), word]));
  });

  it('an empty dataset: [] in JSON, nothing in JSONL and CSV, an empty table, sheet and feed', async () => {
    const { client } = await datasetOf([]);
    expect(JSON.parse((await exported(client, 'json')).toString())).toEqual([]);
    expect((await exported(client, 'jsonl')).length).toBe(0);
    expect((await exported(client, 'csv')).length).toBe(0);
    expect(readHtmlTable(await exported(client, 'html')).rows).toEqual([]);
    expect((await readXlsx(await exported(client, 'xlsx')))[0]!.rows).toEqual([]);
    expect(readXml(await exported(client, 'xml'))).toEqual({ items: '' });
  });

  it('tells the pagination and the file type before the first byte', async () => {
    const { client } = await datasetOf(Array.from({ length: 25 }, (_, n) => ({ n })));
    for (const format of DATASET_EXPORT_FORMATS) {
      const run = await exportDatasetItems(client, { format, offset: 5, limit: 10, desc: true });
      expect(run).toMatchObject({ format, extension: format, total: 25, offset: 5, limit: 10, count: 10, desc: true });
      expect(run.contentType).toMatch(format === 'xlsx' ? /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/ : /; charset=utf-8$/);
    }
    const past = await exportDatasetItems(client, { format: 'csv', offset: 30 });
    expect(past.count).toBe(0);
  });
});

describe('hostile values come out inert', () => {
  const formulas = ['=cmd|\' /C calc\'!A0', '+1+2', '-2+3', '@SUM(1,1)', '\t=1+1', '\r=1+1'];
  const hostile: DatasetItem[] = [
    ...formulas.map((text, index) => ({ index, text, '=header': 'h' })),
    { index: 6, text: '<script>alert("x")</script> & \'quotes\' "too"\r\nand lines', '=header': 'h' },
    { index: 7, text: '</td></tr></table><img src=x onerror=alert(1)>', '=header': -1 },
  ];

  it('csv: a formula-leading text cell (and header) gets a quote in front; quotes and line ends are quoted (OWASP)', async () => {
    const { client } = await datasetOf(hostile);
    const rows = readCsv(await exported(client, 'csv'));
    expect(rows[0]).toEqual(['index', 'text', "'=header"]);
    expect(rows.slice(1).map((row) => row[1])).toEqual([...formulas.map((text) => `'${text}`), hostile[6]!['text'], hostile[7]!['text']]);
    // A number is never changed; escapeFormulas: false leaves text as it is.
    expect(rows[8]![2]).toBe('-1');
    const raw = readCsv(await exported(client, 'csv', { escapeFormulas: false }));
    expect(raw.slice(1, 7).map((row) => row[1])).toEqual(formulas);
  });

  it('xlsx: text cells, never formulas, with the same quote in front', async () => {
    const { client } = await datasetOf(hostile);
    const [sheet] = await readXlsx(await exported(client, 'xlsx'));
    expect(sheet!.formulas).toBe(0);
    expect(sheet!.rows[0]).toEqual(['index', 'text', "'=header"]);
    // A CR in a cell reads back as LF: the sheet is XML, whose parsers turn CR into LF (XML 1.0 §2.11).
    expect(sheet!.rows.slice(1, 7).map((row) => row[1])).toEqual(formulas.map((text) => `'${text}`.replace(/\r/g, '\n')));
    expect(sheet!.rows[7]![1]).toBe(String(hostile[6]!['text']).replace(/\r\n/g, '\n'));
    expect(sheet!.rows[8]![2]).toBe(-1);
  });

  it('html: every value escaped: no element comes from a value, every text reads back (with the quote before formulas)', async () => {
    const { client } = await datasetOf(hostile);
    const table = readHtmlTable(await exported(client, 'html'));
    expect([...table.elements].sort()).toEqual(['body', 'head', 'html', 'meta', 'style', 'table', 'tbody', 'td', 'th', 'thead', 'title', 'tr']);
    expect(table.headers).toEqual(['index', 'text', "'=header"]);
    // The HTML parser turns CR LF into LF, as browsers do.
    expect(table.rows.map((row) => row[1])).toEqual([...formulas.map((text) => `'${text}`.replace(/\r/g, '\n')), String(hostile[6]!['text']).replace(/\r\n/g, '\n'), hostile[7]!['text']]);
  });

  it('characters XML cannot hold (control characters) do not break XML, RSS or XLSX', async () => {
    const { client } = await datasetOf([{ text: 'bell\u0007 nul\u0000 esc\u001b end', '\u0001key': 1 }]);
    const xml = readXml(await exported(client, 'xml'), ['item']) as { items: { item: Record<string, string>[] } };
    expect(xml.items.item[0]!['text']).toBe('bell\uFFFD nul\uFFFD esc\uFFFD end');
    expect(Object.keys(xml.items.item[0]!)).toEqual(['text', '_key']);
    expect(readXml(await exported(client, 'rss'), ['item'])).toMatchObject({ rss: { channel: { item: [{ text: 'bell\uFFFD nul\uFFFD esc\uFFFD end' }] } } });
    const [sheet] = await readXlsx(await exported(client, 'xlsx'));
    expect(sheet!.rows[1]![0]).toBe('bell nul esc end');
  });

  it('xml and rss: text escaped by the XML library, read back as it was', async () => {
    const { client } = await datasetOf(hostile.slice(6));
    for (const format of ['xml', 'rss'] as const) {
      const doc = readXml(await exported(client, format), ['item']);
      const rows = (format === 'xml' ? (doc as { items: { item: { text: string }[] } }).items.item : (doc as { rss: { channel: { item: { text: string }[] } } }).rss.channel.item).map((row) => row.text);
      // XML parsers turn CR LF into LF (XML 1.0 §2.11).
      expect(rows).toEqual([String(hostile[6]!['text']).replace(/\r\n/g, '\n'), hostile[7]!['text']]);
    }
  });
});

describe('options, as the Apify API has them', () => {
  const shop: DatasetItem[] = [
    { url: 'a', offers: [{ price: 1, shop: 'x' }, { price: 2 }], meta: { seo: { title: 'A' }, tags: ['t'] }, '#debug': 1 },
    { url: 'b', offers: { price: 3 }, meta: {}, '#debug': 2 },
    { url: 'c', offers: 'none', meta: { seo: { title: 'C' } } },
    { '#debug': 4 },
  ];

  async function jsonOf(client: DatasetClient, options: Parameters<typeof exportDatasetItems>[1]): Promise<unknown> {
    return JSON.parse((await exported(client, 'json', options)).toString());
  }

  it('fields (in their order), omit, clean, skipHidden, skipEmpty', async () => {
    const { client } = await datasetOf(shop);
    expect(await jsonOf(client, { fields: ['meta', 'url'], limit: 2 })).toEqual([
      { meta: shop[0]!['meta'], url: 'a' },
      { meta: {}, url: 'b' },
    ]);
    expect(await jsonOf(client, { omit: ['offers', 'meta'] })).toEqual([{ url: 'a', '#debug': 1 }, { url: 'b', '#debug': 2 }, { url: 'c' }, { '#debug': 4 }]);
    expect(await jsonOf(client, { omit: ['offers', 'meta'], clean: true })).toEqual([{ url: 'a' }, { url: 'b' }, { url: 'c' }]);
    expect(await jsonOf(client, { omit: ['offers', 'meta'], skipHidden: true })).toEqual([{ url: 'a' }, { url: 'b' }, { url: 'c' }, {}]);
    expect(await jsonOf(client, { fields: ['url'], skipEmpty: true })).toEqual([{ url: 'a' }, { url: 'b' }, { url: 'c' }]);
  });

  it('unwind: arrays make one item per element, objects merge; several fields in turn; desc keeps the elements in order', async () => {
    const { client } = await datasetOf(shop.slice(0, 3));
    expect(await jsonOf(client, { unwind: 'offers', fields: ['url', 'offers'] })).toEqual([
      { url: 'a', price: 1, shop: 'x' },
      { url: 'a', price: 2 },
      { url: 'b', price: 3 },
      { url: 'c', offers: 'none' },
    ]);
    expect(await jsonOf(client, { unwind: ['offers'], fields: ['url', 'offers'], desc: true, limit: 2 })).toEqual([
      { url: 'c', offers: 'none' },
      { url: 'b', price: 3 },
    ]);
    const multi = await datasetOf([{ id: 1, a: [{ x: 1 }, { x: 2 }], b: { y: 'z' } }]);
    expect(await jsonOf(multi.client, { unwind: ['a', 'b'] })).toEqual([
      { id: 1, x: 1, y: 'z' },
      { id: 1, x: 2, y: 'z' },
    ]);
    // Pagination counts dataset items, not unwound ones.
    const run = await exportDatasetItems(client, { format: 'json', unwind: 'offers', limit: 1 });
    expect(run.count).toBe(1);
    expect(JSON.parse((await run.toBuffer()).toString())).toHaveLength(2);
  });

  it('flatten: the fields named turn into dotted fields in their place', async () => {
    const { client } = await datasetOf(shop.slice(0, 3));
    expect(await jsonOf(client, { flatten: ['meta'], fields: ['url', 'meta'] })).toEqual([
      { url: 'a', 'meta.seo.title': 'A', 'meta.tags.0': 't' },
      { url: 'b', meta: {} },
      { url: 'c', 'meta.seo.title': 'C' },
    ]);
    const rows = readCsv(await exported(client, 'csv', { flatten: ['meta'], fields: ['url', 'meta'] }));
    expect(rows).toEqual([
      ['url', 'meta.seo.title', 'meta.tags.0'],
      ['a', 'A', 't'],
      ['b', '', ''],
      ['c', 'C', ''],
    ]);
  });

  it('offset, limit and desc; bom; delimiter; skipHeaderRow; xmlRoot and xmlRow', async () => {
    const { client } = await datasetOf(Array.from({ length: 10 }, (_, n) => ({ n, text: `t;${n}` })));
    expect(await jsonOf(client, { offset: 2, limit: 3, desc: true })).toEqual([{ n: 7, text: 't;7' }, { n: 6, text: 't;6' }, { n: 5, text: 't;5' }]);
    const csv = (await exported(client, 'csv', { bom: true, delimiter: ';', skipHeaderRow: true, limit: 2 })).toString();
    expect(csv).toBe('\uFEFF0;"t;0"\r\n1;"t;1"\r\n');
    expect(readCsv(csv, ';')).toEqual([['0', 't;0'], ['1', 't;1']]);
    const tabbed = (await exported(client, 'csv', { delimiter: '\t', limit: 1 })).toString();
    expect(tabbed).toBe('n\ttext\r\n0\tt;0\r\n');
    for (const format of ['json', 'jsonl', 'xml', 'html', 'rss'] as const) {
      expect((await exported(client, format, { bom: true, limit: 1 })).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect((await exported(client, format, { limit: 1 }))[0]).not.toBe(0xef);
    }
    const xml = readXml(await exported(client, 'xml', { xmlRoot: 'rows', xmlRow: 'row', limit: 2 }), ['row']);
    expect(xml).toEqual({ rows: { row: [{ n: '0', text: 't;0' }, { n: '1', text: 't;1' }] } });
  });

  it('bad options are invalid-argument errors, and nothing is read', async () => {
    const { client } = await datasetOf([{ a: 1 }]);
    const bad: Parameters<typeof exportDatasetItems>[1][] = [
      { format: 'yaml' as 'json' },
      { offset: -1 },
      { limit: 1.5 },
      { delimiter: ',,' },
      { delimiter: '"' },
      { delimiter: '' },
      { xmlRoot: '1items' },
      { xmlRow: 'a b' },
      { xmlRow: 'x:y' },
      { fields: 'a' as unknown as string[] },
      { unwind: 3 as unknown as string },
      { pageSize: 0 },
    ];
    for (const options of bad) await expectStorageError(exportDatasetItems(client, options), 'invalid-argument');
  });
});

describe('the column limits of CSV, XLSX and HTML', () => {
  it(`${MAX_EXPORT_COLUMNS} columns export; one more, or a name over 200 characters, is a clear invalid-argument error for those formats only`, async () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_EXPORT_COLUMNS }, (_, i) => [`c${i}`, i]));
    const ok = await datasetOf([wide]);
    expect(readCsv(await exported(ok.client, 'csv'))[0]).toHaveLength(MAX_EXPORT_COLUMNS);
    // The extra column comes from a later page: the columns are found over every item.
    const tooWide = await datasetOf([wide, wide, { extra: 1 }]);
    const long = await datasetOf([{ ['x'.repeat(201)]: 1 }]);
    for (const format of ['csv', 'xlsx', 'html'] as const) {
      const error = await expectStorageError(exportDatasetItems(tooWide.client, { format, pageSize: 1 }), 'invalid-argument');
      expect(error.message).toMatch(/limited to 2000 columns/);
      expect((await expectStorageError(exportDatasetItems(long.client, { format }), 'invalid-argument')).message).toMatch(/limited to 200 characters/);
    }
    for (const format of ['json', 'jsonl', 'xml'] as const) expect((await exported(tooWide.client, format)).length).toBeGreaterThan(0);
    // fields picks the columns that fit.
    expect(readCsv(await exported(tooWide.client, 'csv', { fields: ['extra'] }))[0]).toEqual(['extra']);
  });
});

describe('streaming', () => {
  /** A dataset client that counts its reads. */
  function counting(client: DatasetClient): { client: DatasetClient; reads: { offset: number; limit: number }[] } {
    const reads: { offset: number; limit: number }[] = [];
    return {
      reads,
      client: {
        getMetadata: () => client.getMetadata(),
        pushItems: (json) => client.pushItems(json),
        drop: () => client.drop(),
        listItems: async (options) => {
          reads.push({ offset: options.offset, limit: options.limit });
          return client.listItems(options);
        },
      },
    };
  }

  it('reads page by page as the export is consumed: stopping early stops the reads', async () => {
    const { client } = await datasetOf(Array.from({ length: 5000 }, (_, n) => ({ n })));
    for (const format of ['jsonl', 'csv', 'xlsx'] as const) {
      const counted = counting(client);
      const run = await exportDatasetItems(counted.client, { format, pageSize: 500 });
      const afterStart = counted.reads.length;
      // JSONL reads its first page to start; CSV and XLSX have read every page once for the columns.
      expect(afterStart).toBe(format === 'jsonl' ? 1 : 10);
      for await (const _chunk of run) break;
      expect(counted.reads.length - afterStart).toBeLessThanOrEqual(2);
      expect(counted.reads.every((read) => read.limit <= 500)).toBe(true);
    }
  });

  it('CSV, HTML and XLSX give the same table whether the rows of the column pass are kept, partly kept or read again', async () => {
    // Columns appear late (item 340, item 580), so rows kept before them are padded when written.
    const rows = Array.from({ length: 600 }, (_, n) => ({ n, text: `t${n}`, ...(n >= 340 ? { late: n } : {}), ...(n === 580 ? { last: { x: 1 } } : {}) }));
    const { client } = await datasetOf(rows);
    // All kept; some kept (a page of 100 rows is about 30 kB as text, 8 kB as cells: the first page
    // of CSV and HTML, four of XLSX); none. Six pages of 100: more rows add nothing but time (the
    // XLSX reader's time grows with the square of the rows).
    const budgets = [undefined, 34_000, 1];
    try {
      for (const options of [{}, { desc: true, offset: 7, limit: 500 }]) {
        const outputs = new Map<string, string[]>();
        const reads = new Map<string, number[]>();
        for (const budget of budgets) {
          setKeptRowsBudget(budget);
          for (const format of ['csv', 'html', 'xlsx'] as const) {
            const counted = counting(client);
            const bytes = await exported(counted.client, format, { ...options, pageSize: 100 });
            const table = format === 'csv' ? readCsv(bytes) : format === 'html' ? (({ headers, rows: cells }) => [headers, ...cells])(readHtmlTable(bytes)) : (await readXlsx(bytes))[0]!.rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))));
            const text = JSON.stringify(table);
            outputs.set(format, [...(outputs.get(format) ?? []), text]);
            reads.set(format, [...(reads.get(format) ?? []), counted.reads.length]);
          }
        }
        for (const [format, texts] of outputs) expect(new Set(texts).size, `${format} ${JSON.stringify(options)}`).toBe(1);
        // Each budget kept what it is for: pages kept are not read again, so fewer kept, more reads.
        for (const [format, [all = 0, some = 0, none = 0]] of reads) {
          expect(all, `${format} ${JSON.stringify(options)}: all kept, then some`).toBeLessThan(some);
          expect(some, `${format} ${JSON.stringify(options)}: some kept, then none`).toBeLessThan(none);
        }
        const csv = readCsv(await exported(client, 'csv', { ...options, pageSize: 100 }));
        expect(csv[0]).toEqual(['n', 'text', 'late', 'last/x']);
        const picked = options.desc ? rows.slice().reverse().slice(7, 507) : rows;
        expect(csv.slice(1)).toEqual(picked.map((row) => [String(row.n), row.text, row.late === undefined ? '' : String(row.late), row.n === 580 ? '1' : '']));
      }
    } finally {
      setKeptRowsBudget(undefined);
    }
  });

  it('a newest-first export is not moved by items pushed while it runs', async () => {
    const { dataset, client } = await datasetOf(Array.from({ length: 30 }, (_, n) => ({ n })));
    const run = await exportDatasetItems(client, { format: 'jsonl', desc: true, pageSize: 10 });
    const seen: number[] = [];
    for await (const chunk of run) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seen.push((JSON.parse(line) as { n: number }).n);
      await dataset.pushData({ n: 1000 + seen.length });
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
  });

  it('can be read once; as a Node stream it pipes into a file', async () => {
    const { client } = await datasetOf(items);
    const run = await exportDatasetItems(client, { format: 'csv' });
    const dir = mkdtempSync(join(tmpdir(), 'x-export-'));
    dirs.push(dir);
    await pipeline(run.toReadable(), createWriteStream(join(dir, 'items.csv')));
    expect(readCsv(readFileSync(join(dir, 'items.csv')))).toHaveLength(items.length + 1);
    expect(() => run[Symbol.asyncIterator]()).toThrow(/already read/);
  });

  it('xlsx: rows past a sheet go on to the next sheet, each with the header', async () => {
    async function* pages(): AsyncGenerator<(string | number)[][]> {
      yield [[1, 'a'], [2, 'b']];
      yield [[3, 'c']];
    }
    const parts: Buffer[] = [];
    for await (const chunk of xlsxChunks(['n', 'v'], pages(), 3)) parts.push(chunk);
    const sheets = await readXlsx(Buffer.concat(parts));
    expect(sheets.map((sheet) => [sheet.name, sheet.rows])).toEqual([
      ['Items', [['n', 'v'], [1, 'a'], [2, 'b']]],
      ['Items 2', [['n', 'v'], [3, 'c']]],
    ]);
  });
});

describe('Dataset: exportTo any format into a store, and exportStream', () => {
  it('exportTo(key, { format }) stores each format with its content type; the record reads back', async () => {
    const { dataset, storageClient } = await datasetOf(items);
    const store = await KeyValueStore.open({ name: 'exports', storageClient });
    for (const format of DATASET_EXPORT_FORMATS) await dataset.exportTo(`out-${format}`, { format, toKvsName: 'exports' });
    const types: Record<string, string> = {};
    for await (const info of store.iterateKeys()) types[info.key] = info.contentType;
    expect(types).toEqual({
      'out-csv': 'text/csv; charset=utf-8',
      'out-html': 'text/html; charset=utf-8',
      'out-json': 'application/json; charset=utf-8',
      'out-jsonl': 'application/jsonl; charset=utf-8',
      'out-rss': 'application/rss+xml; charset=utf-8',
      'out-xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'out-xml': 'application/xml; charset=utf-8',
    });
    expect(await store.getValue('out-json')).toEqual(items);
    const { columns, cells } = expectedTable(items);
    expect(readCsv(String(await store.getValue('out-csv')))).toEqual([columns, ...cells.map((row) => row.map(cellText))]);
    expect((await readXlsx((await store.getValue('out-xlsx')) as Buffer))[0]!.rows[0]).toEqual(columns);
    expect(readHtmlTable(String(await store.getValue('out-html'))).rows).toHaveLength(3);
    expect(readXml(String(await store.getValue('out-xml')), ['item'])).toMatchObject({ items: { item: [{ id: '1' }, { id: '2' }, { id: '3' }] } });
    expect(String(await store.getValue('out-jsonl')).trim().split('\n')).toHaveLength(3);
  });

  it("Crawlee's form: exportTo(key, { toKVS }, 'text/csv'), and the options of the engine", async () => {
    const { dataset, storageClient } = await datasetOf(items);
    await dataset.exportTo('crawlee.csv', { toKVS: 'crawlee-store', fields: ['id', 'name'] }, 'text/csv');
    const store = await KeyValueStore.open({ name: 'crawlee-store', storageClient });
    expect(await store.getValue('crawlee.csv')).toBe('id,name\r\n1,Ann\r\n2,"Bob ""the builder"""\r\n3,Carol\r\n');
    await dataset.exportToCSV('semi', { delimiter: ';', fields: ['id'], toKvsName: 'crawlee-store', bom: true });
    expect(await store.getValue('semi')).toBe('\uFEFFid\r\n1\r\n2\r\n3\r\n');
    await expectStorageError(dataset.exportTo('x', {}, 'text/xml'), 'invalid-argument');
    await expectStorageError(dataset.exportTo('x', { toKvsId: 'a', toKVS: 'b' }), 'invalid-argument');
    // Too many columns: an error, and no store is made.
    const wide = await datasetOf([Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`c${i}`, i]))]);
    await expectStorageError(wide.dataset.exportTo('wide', { format: 'xlsx', toKvsName: 'never-made' }), 'invalid-argument');
    expect((await wide.storageClient.listKeyValueStores()).map((s) => s.name)).not.toContain('never-made');
  });

  it('exportStream gives the engine export of the dataset', async () => {
    const { dataset } = await datasetOf(items);
    const run = await dataset.exportStream({ format: 'jsonl', fields: ['id'] });
    expect(run.count).toBe(3);
    expect((await run.toBuffer()).toString()).toBe('{"id":1}\n{"id":2}\n{"id":3}\n');
  });
});
