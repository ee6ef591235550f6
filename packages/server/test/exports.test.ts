// Dataset exports in every format, asked for by the official apify-client (`downloadItems`) and by
// plain HTTP (as a browser's download link does), read back with parsers no one here wrote.
import { flattenItem, type DatasetItem } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { ApifyClient } from 'apify-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, readHtmlTable, readXlsx, readXml } from '../../core/test/export-readers.js';
import { startServer, type RunningServer } from '../src/index.js';

const TOKEN = 'exports-token-1234';
let server: RunningServer;
let client: ApifyClient;
let datasetId: string;

const items: DatasetItem[] = [
  { id: 1, title: 'Ann & <Co>', price: 10.5, tags: ['a', 'b'], seller: { name: 'x', rating: 4 }, offers: [{ p: 1 }, { p: 2 }], '#debug': 'd1' },
  { id: 2, title: '=HYPERLINK("http://evil.example","click")', price: -3, seller: { name: 'y' }, offers: { p: 3 }, note: 'two\nlines, "quoted"' },
  { id: 3, title: '@SUM(1)', price: 0, '#debug': 'd3' },
  { '#debug': 'only hidden' },
];

beforeAll(async () => {
  server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
  client = new ApifyClient({ baseUrl: server.url, token: TOKEN, maxRetries: 0 });
  const created = await client.datasets().getOrCreate('exports');
  datasetId = created.id;
  await client.dataset(datasetId).pushItems(items);
});

afterAll(async () => {
  await server.close();
});

function table(rows: readonly DatasetItem[]): { columns: string[]; cells: unknown[][] } {
  const flat = rows.map(flattenItem);
  const columns = [...new Set(flat.flatMap((row) => [...row.keys()]))];
  return { columns, cells: flat.map((row) => columns.map((column) => row.get(column))) };
}

/** A text cell as CSV and HTML hold it: formula-leading text with a quote in front (the default). */
function textCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const clean = items.slice(0, 3).map((item) => Object.fromEntries(Object.entries(item).filter(([key]) => !key.startsWith('#'))));

describe('apify-client downloadItems against @x/server, every format', () => {
  it('json and jsonl', async () => {
    const dataset = client.dataset(datasetId);
    expect(JSON.parse((await dataset.downloadItems('json' as never)).toString())).toEqual(items);
    const jsonl = (await dataset.downloadItems('jsonl' as never, { clean: true })).toString();
    expect(jsonl.trim().split('\n').map((line) => JSON.parse(line))).toEqual(clean);
  });

  it('csv: with the byte order mark by default (the API default), bom: false without, read by csv-parse', async () => {
    const dataset = client.dataset(datasetId);
    const withBom = await dataset.downloadItems('csv' as never, { clean: true });
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { columns, cells } = table(clean);
    expect(readCsv(withBom)).toEqual([columns, ...cells.map((row) => row.map(textCell))]);
    const plain = await dataset.downloadItems('csv' as never, { clean: true, bom: false, delimiter: ';', skipHeaderRow: true });
    expect(plain[0]).not.toBe(0xef);
    expect(readCsv(plain, ';')).toEqual(cells.map((row) => row.map(textCell)));
  });

  it('xlsx: read by exceljs, typed cells, no formula', async () => {
    const [sheet] = await readXlsx(await client.dataset(datasetId).downloadItems('xlsx' as never, { clean: true }));
    const { columns, cells } = table(clean);
    expect(sheet!.formulas).toBe(0);
    expect(sheet!.rows).toEqual([columns, ...cells.map((row) => row.map((value) => (typeof value === 'string' ? textCell(value) : (value ?? null))))]);
  });

  it('html: a table parsed by parse5, every value escaped', async () => {
    const html = readHtmlTable(await client.dataset(datasetId).downloadItems('html' as never, { clean: true }));
    const { columns, cells } = table(clean);
    expect(html.headers).toEqual(columns);
    expect(html.rows).toEqual(cells.map((row) => row.map(textCell)));
    expect(html.elements.has('a')).toBe(false);
    expect(html.title).toBe('Dataset exports');
  });

  it('xml with xmlRoot and xmlRow, and rss, read by fast-xml-parser', async () => {
    const dataset = client.dataset(datasetId);
    const xml = readXml(await dataset.downloadItems('xml' as never, { fields: ['id', 'title', 'tags'], xmlRoot: 'products', xmlRow: 'product', limit: 2 }), ['product', 'tags']);
    expect(xml).toEqual({
      products: {
        product: [
          { id: '1', title: 'Ann & <Co>', tags: ['a', 'b'] },
          { id: '2', title: '=HYPERLINK("http://evil.example","click")' },
        ],
      },
    });
    const rss = readXml(await dataset.downloadItems('rss' as never, { fields: ['title'], skipEmpty: true }), ['item']) as { rss: { channel: { title: string; item: unknown[] } } };
    expect(rss.rss.channel.title).toBe('Dataset exports');
    expect(rss.rss.channel.item).toEqual(clean.map((item) => ({ title: item['title'] })));
  });

  it('every option: fields, omit, unwind (a list), flatten, desc, offset, limit, skipHidden, skipEmpty', async () => {
    const dataset = client.dataset(datasetId);
    const json = async (options: Record<string, unknown>): Promise<unknown> => JSON.parse((await dataset.downloadItems('json' as never, options)).toString());
    expect(await json({ fields: ['id', 'offers'], unwind: ['offers'], limit: 2 })).toEqual([
      { id: 1, p: 1 },
      { id: 1, p: 2 },
      { id: 2, p: 3 },
    ]);
    expect(await json({ fields: ['id', 'seller'], flatten: ['seller'], limit: 2 })).toEqual([
      { id: 1, 'seller.name': 'x', 'seller.rating': 4 },
      { id: 2, 'seller.name': 'y' },
    ]);
    expect(await json({ omit: ['tags', 'seller', 'offers', 'note', 'title', 'price'], skipHidden: true, skipEmpty: true, desc: true, offset: 1 })).toEqual([{ id: 3 }, { id: 2 }, { id: 1 }]);
    expect(await json({ fields: ['#debug'], skipEmpty: true, offset: 2, limit: 5 })).toEqual([{ '#debug': 'd3' }, { '#debug': 'only hidden' }]);
  });
});

describe('plain HTTP: headers, attachment, token in the query, errors', () => {
  const url = (query: string): string => `${server.url}/v2/datasets/${datasetId}/items?token=${TOKEN}&${query}`;

  it('content types, pagination headers for every format, and Content-Disposition with attachment=1', async () => {
    const types: Record<string, string> = {
      json: 'application/json; charset=utf-8',
      jsonl: 'application/jsonl; charset=utf-8',
      csv: 'text/csv; charset=utf-8',
      xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      xml: 'application/xml; charset=utf-8',
      html: 'text/html; charset=utf-8',
      rss: 'application/rss+xml; charset=utf-8',
    };
    for (const [format, type] of Object.entries(types)) {
      const plain = await fetch(url(`format=${format}&offset=1&limit=2`));
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toBe(type);
      expect(plain.headers.get('x-apify-pagination-offset')).toBe('1');
      expect(plain.headers.get('x-apify-pagination-limit')).toBe('2');
      expect(plain.headers.get('x-apify-pagination-count')).toBe('2');
      expect(plain.headers.get('x-apify-pagination-total')).toBe(String(items.length));
      expect(plain.headers.get('content-disposition')).toBeNull();
      await plain.arrayBuffer();
      const download = await fetch(url(`format=${format}&attachment=1`));
      expect(download.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="dataset_exports_\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d-\\d{3}\\.${format}"$`));
      await download.arrayBuffer();
    }
    // The token may be a header too; the answer is the same.
    const byHeader = await fetch(`${server.url}/v2/datasets/${datasetId}/items?format=csv&bom=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(readCsv(await byHeader.text())[0]).toContain('#debug');
    // An HTML answer runs nothing even when opened from the server's origin.
    expect((await fetch(url('format=html'))).headers.get('content-security-policy')).toBe("sandbox; default-src 'none'; frame-ancestors 'none'");
  });

  it('bad parameters and too many columns are 400 invalid-input, before anything is sent', async () => {
    for (const query of ['format=yaml', 'format=csv&delimiter=ab', 'format=xml&xmlRoot=1bad', 'format=xml&xmlRow=a%20b', 'bom=maybe']) {
      const answer = await fetch(url(query));
      expect(answer.status, query).toBe(400);
      expect(((await answer.json()) as { error: { type: string } }).error.type).toBe('invalid-input');
    }
    const wide = await client.datasets().getOrCreate('wide');
    await client.dataset(wide.id).pushItems([{ ok: 1 }, Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`c${i}`, i]))]);
    for (const format of ['csv', 'xlsx', 'html']) {
      const answer = await fetch(`${server.url}/v2/datasets/${wide.id}/items?token=${TOKEN}&format=${format}`);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/limited to 2000 columns/);
    }
    await expect(client.dataset(wide.id).downloadItems('csv' as never)).rejects.toThrow(/limited to 2000 columns/);
    expect((await fetch(`${server.url}/v2/datasets/${wide.id}/items?token=${TOKEN}&format=xml`)).status).toBe(200);
  });
});

describe('large exports are streamed in every format', () => {
  it('2,500 items: chunked (no Content-Length), whole and in order', async () => {
    const big = await client.datasets().getOrCreate('big');
    const rows = Array.from({ length: 2500 }, (_, n) => ({ n, text: `row ${n}` }));
    await client.dataset(big.id).pushItems(rows);
    for (const format of ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss'] as const) {
      const answer = await fetch(`${server.url}/v2/datasets/${big.id}/items?token=${TOKEN}&format=${format}&desc=1`);
      expect(answer.headers.get('content-length'), format).toBeNull();
      expect(answer.headers.get('x-apify-pagination-count')).toBe('2500');
      const body = Buffer.from(await answer.arrayBuffer());
      const expected = [...rows].reverse();
      let got: unknown[];
      if (format === 'json') got = JSON.parse(body.toString()) as unknown[];
      else if (format === 'jsonl') got = body.toString().trim().split('\n').map((line) => JSON.parse(line) as unknown);
      else if (format === 'csv') got = readCsv(body).slice(1).map(([n, text]) => ({ n: Number(n), text }));
      else if (format === 'xlsx') got = (await readXlsx(body))[0]!.rows.slice(1).map(([n, text]) => ({ n, text }));
      else if (format === 'html') got = readHtmlTable(body).rows.map(([n, text]) => ({ n: Number(n), text }));
      else {
        const doc = readXml(body, ['item']) as { items?: { item: { n: string; text: string }[] }; rss?: { channel: { item: { n: string; text: string }[] } } };
        got = (doc.items?.item ?? doc.rss!.channel.item).map(({ n, text }) => ({ n: Number(n), text }));
      }
      expect(got, format).toEqual(expected);
    }
  });
});
