// The cloud client downloads a dataset in every format from a server (`downloadItems`, made by the
// server), and streams exports made by the core engine over its pages (`Dataset.exportStream`).
import { DATASET_EXPORT_FORMATS, Dataset, flattenItem, type DatasetItem } from '@x/core';
import type { RunningServer } from '@x/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, readHtmlTable, readXlsx, readXml } from '../../core/test/export-readers.js';
import { CloudDataset, type CloudStorageClient } from '../src/index.js';
import { startPair } from './helpers.js';

let server: RunningServer;
let client: CloudStorageClient;
let dataset: Dataset;
let handle: CloudDataset;

const items: DatasetItem[] = Array.from({ length: 1300 }, (_, n) => ({
  n,
  title: n % 100 === 1 ? `=SUM(${n})` : `Item <${n}> & "co"`,
  tags: n % 2 === 0 ? ['even'] : ['odd', String(n)],
  ...(n % 10 === 0 ? { '#debug': n } : {}),
}));

beforeAll(async () => {
  ({ server, client } = await startPair());
  dataset = await Dataset.open({ name: 'exports', storageClient: client });
  await dataset.pushData(items);
  handle = (await client.openDataset({ kind: 'id', id: dataset.id })) as CloudDataset;
});

afterAll(async () => {
  await client.close();
  await server.close();
});

function textCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
}

describe('CloudDataset.downloadItems: every format, made by the server', () => {
  it('is what openDataset gives', () => {
    expect(handle).toBeInstanceOf(CloudDataset);
  });

  it('json, jsonl, csv, xlsx, xml, html and rss read back by independent parsers, values and order', async () => {
    const cleanItems = items.map((item) => Object.fromEntries(Object.entries(item).filter(([key]) => !key.startsWith('#'))));
    const flat = cleanItems.map(flattenItem);
    const columns = [...new Set(flat.flatMap((row) => [...row.keys()]))];
    const cells = flat.map((row) => columns.map((column) => row.get(column)));
    expect(JSON.parse((await handle.downloadItems('json', { clean: true })).toString())).toEqual(cleanItems);
    expect((await handle.downloadItems('jsonl', { clean: true })).toString().trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(cleanItems);
    const csv = await handle.downloadItems('csv', { clean: true });
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(readCsv(csv)).toEqual([columns, ...cells.map((row) => row.map(textCell))]);
    const [sheet] = await readXlsx(await handle.downloadItems('xlsx', { clean: true }));
    expect(sheet!.formulas).toBe(0);
    expect(sheet!.rows).toEqual([columns, ...cells.map((row) => row.map((value) => (typeof value === 'string' ? textCell(value) : (value ?? null))))]);
    const html = readHtmlTable(await handle.downloadItems('html', { clean: true }));
    expect([html.headers, ...html.rows]).toEqual([columns, ...cells.map((row) => row.map(textCell))]);
    const xml = readXml(await handle.downloadItems('xml', { clean: true, xmlRoot: 'rows', xmlRow: 'row' }), ['row', 'tags']) as { rows: { row: { n: string; title: string; tags: string[] }[] } };
    expect(xml.rows.row.map((row) => [Number(row.n), row.title, row.tags])).toEqual(cleanItems.map((item) => [item['n'], item['title'], item['tags']]));
    const rss = readXml(await handle.downloadItems('rss', { fields: ['title'], limit: 3, desc: true }), ['item']) as { rss: { channel: { item: { title: string }[] } } };
    expect(rss.rss.channel.item.map((item) => item.title)).toEqual(items.slice(-3).reverse().map((item) => item['title']));
  });

  it('a bad format or option is an invalid-argument error', async () => {
    await expect(handle.downloadItems('yaml' as 'json')).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(handle.downloadItems('csv', { delimiter: '::' })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('Dataset.exportStream over the cloud client: the core engine on its pages', () => {
  it('gives the same bytes as the server makes, in every format', async () => {
    for (const format of DATASET_EXPORT_FORMATS) {
      if (format === 'xlsx') continue; // a zip holds its own dates: compared by content below
      const local = await (await dataset.exportStream({ format, bom: false, offset: 5, limit: 1100, fields: ['n', 'title', 'tags'] })).toBuffer();
      const remote = await handle.downloadItems(format, { bom: false, offset: 5, limit: 1100, fields: ['n', 'title', 'tags'] });
      if (format === 'html' || format === 'rss') {
        // The server titles the page and the channel with the dataset's name.
        expect(local.toString().replace('Dataset items', 'Dataset exports').replace('Dataset items', 'Dataset exports')).toBe(remote.toString());
      } else {
        expect(local.toString(), format).toBe(remote.toString());
      }
    }
    const local = await readXlsx(await (await dataset.exportStream({ format: 'xlsx', limit: 1100 })).toBuffer());
    const remote = await readXlsx(await handle.downloadItems('xlsx', { limit: 1100 }));
    expect(local).toEqual(remote);
  });
});
