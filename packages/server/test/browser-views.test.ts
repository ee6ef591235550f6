// The storage browser in Chromium: every view over a real server (memory client), the dataset's
// paging, JSON view, field selection and downloads, the key-value store's paging, prefix filter,
// previews, download and delete with a confirmation, and the request queue's counts and lists.
// Screenshots of every view go to test/screenshots/.
import { readFileSync } from 'node:fs';
import { MemoryStorageClient } from '@x/memory-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import {
  addRequests,
  api,
  browserSkipReason,
  createStorage,
  launchBrowser,
  makePng,
  openPage,
  pushItems,
  putRecord,
  screenshot,
  waitUntil,
  type WatchedPage,
} from './browser-harness.js';

const TOKEN = 'views-token-5b1c9e';

if (browserSkipReason !== undefined) console.warn(browserSkipReason);

describe.skipIf(browserSkipReason !== undefined)('storage browser views in Chromium', () => {
  let server: RunningServer;
  let client: MemoryStorageClient;
  let browser: Browser;
  let watched: WatchedPage;
  let datasetId: string;
  let storeId: string;
  let queueId: string;

  beforeAll(async () => {
    client = new MemoryStorageClient();
    server = await startServer({ storageClient: client, token: TOKEN });
    const url = server.url;
    datasetId = await createStorage(url, TOKEN, 'datasets', 'products');
    await pushItems(
      url,
      TOKEN,
      datasetId,
      Array.from({ length: 130 }, (_, n) => ({
        url: `https://shop.example.com/products/${n + 1}`,
        title: `Product number ${n + 1}`,
        price: Math.round((n + 1) * 137) / 100,
        offers: { currency: 'EUR', amount: n + 1 },
        tags: ['new', n % 2 === 0 ? 'even' : 'odd'],
        inStock: n % 3 !== 0,
        note: null,
      })),
    );
    await createStorage(url, TOKEN, 'datasets', 'empty-results');
    storeId = await createStorage(url, TOKEN, 'key-value-stores', 'files');
    await putRecord(url, TOKEN, storeId, 'config', JSON.stringify({ maxPages: 50, proxy: { groups: ['RESIDENTIAL'], country: 'DE' }, startUrls: [{ url: 'https://example.com' }] }), 'application/json');
    await putRecord(url, TOKEN, storeId, 'readme.txt', 'Plain text record.\nSecond line.', 'text/plain; charset=utf-8');
    await putRecord(url, TOKEN, storeId, 'photo.png', makePng(160, 100), 'image/png');
    await putRecord(url, TOKEN, storeId, 'page.html', '<!doctype html><html><body><h1>Stored page</h1></body></html>', 'text/html; charset=utf-8');
    await putRecord(url, TOKEN, storeId, 'blob.bin', new Uint8Array([0, 1, 2, 3, 255, 254, 0, 65, 66, 67]), 'application/octet-stream');
    for (let n = 0; n < 120; n++) await putRecord(url, TOKEN, storeId, `item-${String(n).padStart(3, '0')}`, JSON.stringify({ n }), 'application/json');
    queueId = await createStorage(url, TOKEN, 'request-queues', 'crawl');
    await addRequests(
      url,
      TOKEN,
      queueId,
      Array.from({ length: 150 }, (_, n) => ({ url: `https://shop.example.com/list?page=${n + 1}`, method: n % 10 === 0 ? 'POST' : 'GET', retryCount: n % 4 })),
    );
    // A consumer holds 3 requests and has handled 60.
    const queue = await client.openRequestQueue({ kind: 'name', name: 'crawl' });
    for (let round = 0; round < 3; round++) {
      const handled = await queue.listAndLockHead({ limit: 20, lockSecs: 60, clientKey: 'worker-a' });
      for (const request of handled.items) await queue.markRequestAsHandled({ ...request, handledAt: new Date().toISOString() }, { clientKey: 'worker-a' });
    }
    await queue.listAndLockHead({ limit: 3, lockSecs: 300, clientKey: 'worker-a' });
    browser = await launchBrowser();
    watched = await openPage(browser);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists every storage, filtered by name', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.getByRole('link', { name: 'products' }).waitFor();
    const sections = page.locator('section[data-section]');
    expect(await sections.count()).toBe(3);
    const datasets = page.locator('section[data-section="datasets"] tbody tr');
    // The run's default dataset (created on first use) and the two made here.
    expect(await datasets.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/products\s+\S+\s+130\s/)]));
    const queueRow = await page.locator('section[data-section="request-queues"] tbody tr', { hasText: 'crawl' }).innerText();
    expect(queueRow).toMatch(/crawl\s+\S+\s+150\s+60\s+90/);
    await screenshot(page, 'storages');
    await page.getByRole('searchbox', { name: 'Filter by name or ID' }).fill('crawl');
    await page.locator('section[data-section="datasets"] .empty').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'storages-filtered');
    await page.getByRole('searchbox', { name: 'Filter by name or ID' }).fill('');
  });

  it('shows a dataset as a table with flattened columns, pages, a JSON view and chosen fields', async () => {
    const { page } = watched;
    await page.getByRole('link', { name: 'products' }).click();
    await page.locator('.dataset-view tbody tr').first().waitFor();
    const heads = await page.locator('.dataset-view thead th').allInnerTexts();
    expect(heads).toEqual(['#', 'url', 'title', 'price', 'offers/currency', 'offers/amount', 'tags/0', 'tags/1', 'inStock', 'note']);
    expect(await page.locator('.dataset-view tbody tr').count()).toBe(50);
    expect(await page.locator('.pager .range').innerText()).toBe('Items 1–50 of 130');
    await screenshot(page, 'dataset-table');

    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.locator('.pager .range', { hasText: 'Items 51–100 of 130' }).waitFor();
    expect(await page.locator('.dataset-view tbody tr').first().innerText()).toContain('Product number 51');
    await page.getByRole('button', { name: 'Last »' }).click();
    await page.locator('.pager .range', { hasText: 'Items 101–130 of 130' }).waitFor();
    await page.getByLabel('Go to item number').fill('77');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.locator('.pager .range', { hasText: 'Items 77–126 of 130' }).waitFor();
    await page.getByRole('button', { name: '« First' }).click();
    await page.locator('.pager .range', { hasText: 'Items 1–50 of 130' }).waitFor();

    await page.getByRole('group', { name: 'View' }).getByRole('button', { name: 'JSON' }).click();
    await page.locator('.json-tree').waitFor();
    expect(await page.locator('.json-tree').innerText()).toContain('"offers": {');
    // Collapsing a node hides its keys.
    await page.locator('.json-tree .j-toggle').nth(1).click();
    expect(await page.locator('.json-tree').innerText()).toContain('7 keys');
    await screenshot(page, 'dataset-json');
    await page.getByRole('group', { name: 'View' }).getByRole('button', { name: 'Table' }).click();

    await page.locator('details.fields summary').click();
    await page.getByRole('checkbox', { name: 'url' }).check();
    await page.getByRole('checkbox', { name: 'offers' }).check();
    await page.locator('details.fields summary', { hasText: 'Fields: 2 of 7' }).waitFor();
    await page.locator('.dataset-view thead th', { hasText: 'offers/amount' }).waitFor();
    await waitUntil(page, `document.querySelectorAll('.dataset-view thead th').length === 4`);
    expect(await page.locator('.dataset-view thead th').allInnerTexts()).toEqual(['#', 'url', 'offers/currency', 'offers/amount']);
    await screenshot(page, 'dataset-fields');
    await page.locator('details.fields summary').click();
  });

  it('downloads every export format with the chosen fields, the token never in a URL', async () => {
    const { page } = watched;
    for (const format of ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`.downloads button[data-format="${format}"]`).click()]);
      expect(download.url()).toMatch(/^blob:/);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^dataset_products_.*\\.${format === 'rss' ? '(rss|xml)' : format}$`));
      const body = readFileSync(await download.path());
      if (format === 'csv') {
        const lines = body.toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
        expect(lines[0]).toBe('url,offers/currency,offers/amount');
        expect(lines).toHaveLength(131);
      } else if (format === 'json') {
        const items = JSON.parse(body.toString('utf8')) as Record<string, unknown>[];
        expect(items).toHaveLength(130);
        expect(Object.keys(items[0] ?? {})).toEqual(['url', 'offers']);
      } else if (format === 'xlsx') {
        expect(body.subarray(0, 2).toString('latin1')).toBe('PK');
      } else {
        expect(body.toString('utf8')).toContain('shop.example.com/products/130');
      }
    }
    // Back to every field.
    await page.locator('details.fields summary').click();
    await page.getByRole('button', { name: 'All fields' }).click();
    await page.locator('details.fields summary').click();
  });

  it('pages the records of a key-value store, filters by prefix and previews JSON, text, images, HTML and binary', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/key-value-stores/${storeId}`);
    await page.locator('.kvs-view tbody tr').first().waitFor();
    expect(await page.locator('.kvs-view tbody tr').count()).toBe(100);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.locator('.pager .range', { hasText: 'Page 2 · 25 records' }).waitFor();
    await page.getByRole('button', { name: '‹ Previous' }).click();
    await page.locator('.pager .range', { hasText: 'Page 1 · 100 records' }).waitFor();

    await page.getByRole('searchbox', { name: 'Key prefix' }).fill('p');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('.pager .range', { hasText: 'Page 1 · 2 records' }).waitFor();
    expect(await page.locator('.kvs-view tbody td.key').allInnerTexts()).toEqual(['page.html', 'photo.png']);

    await page.locator('tr', { hasText: 'photo.png' }).getByRole('button', { name: 'Preview' }).click();
    const image = page.locator('.preview img');
    await image.waitFor();
    await waitUntil(page, `document.querySelector('.preview img')?.naturalWidth === 160`);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    await screenshot(page, 'kvs-image');

    await page.locator('tr', { hasText: 'page.html' }).getByRole('button', { name: 'Preview' }).click();
    await page.locator('.preview pre.source').waitFor();
    expect(await page.locator('.preview pre.source').innerText()).toBe('<!doctype html><html><body><h1>Stored page</h1></body></html>');
    expect(await page.locator('.preview h1').count()).toBe(0);
    await screenshot(page, 'kvs-html');

    const preview = async (key: string): Promise<void> => {
      await page.getByRole('searchbox', { name: 'Key prefix' }).fill(key);
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.locator('.pager .range', { hasText: 'Page 1 · 1 record' }).waitFor();
      await page.locator('.kvs-view td.key', { hasText: key }).getByRole('button').click();
    };
    await preview('config');
    await page.locator('.preview .json-tree').waitFor();
    expect(await page.locator('.preview .json-tree').innerText()).toContain('"country": "DE"');
    await screenshot(page, 'kvs-json');

    await preview('readme.txt');
    await page.locator('.preview pre.source', { hasText: 'Plain text record.' }).waitFor();
    await preview('blob.bin');
    await page.locator('.preview pre.source', { hasText: '00000000  00 01 02 03 ff fe 00 41 42 43' }).waitFor();
    await screenshot(page, 'kvs-binary');
    await page.getByRole('searchbox', { name: 'Key prefix' }).fill('readme');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('.pager .range', { hasText: 'Page 1 · 1 record' }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('tr', { hasText: 'readme.txt' }).getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe('readme.txt');
    expect(readFileSync(await download.path(), 'utf8')).toBe('Plain text record.\nSecond line.');
  });

  it('deletes a record only after a confirmation', async () => {
    const { page } = watched;
    const row = page.locator('.kvs-view tbody tr', { hasText: 'readme.txt' });
    await row.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Confirm deletion' });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain('readme.txt');
    await screenshot(page, 'kvs-delete-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    // Cancelled: still there.
    await api(server.url, TOKEN, `/key-value-stores/${storeId}/records/readme.txt`);

    await row.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted record "readme.txt".' }).waitFor();
    await page.locator('.kvs-view td.key', { hasText: 'readme.txt' }).waitFor({ state: 'detached' });
    const gone = await fetch(`${server.url}/v2/key-value-stores/${storeId}/records/readme.txt`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(gone.status).toBe(404);
  });

  it('shows a request queue: counts, the pending head, locked requests with expiry and handled ones', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/request-queues/${queueId}`);
    await page.locator('[data-count="total"] .count-value', { hasText: '150' }).waitFor();
    expect(await page.locator('[data-count="handled"] .count-value').innerText()).toBe('60');
    expect(await page.locator('[data-count="pending"] .count-value').innerText()).toBe('90');
    await page.locator('[data-count="locked"] .count-value', { hasText: '3' }).waitFor();
    await page.locator('section[data-section="head"] tbody tr').first().waitFor();
    expect(await page.locator('section[data-section="head"] tbody tr').count()).toBe(87);
    // The head is read without locking, the first 100 (here 87 are pending and not locked).
    expect(watched.requests.some((url) => url.endsWith(`/v2/request-queues/${queueId}/head?limit=100`))).toBe(true);
    const first = await page.locator('section[data-section="head"] tbody tr').first().innerText();
    expect(first).toMatch(/https:\/\/shop\.example\.com\/list\?page=64/);
    const locked = page.locator('section[data-section="locked"] tbody tr');
    expect(await locked.count()).toBe(3);
    expect(await locked.first().innerText()).toMatch(/in \d+ s/);
    await page.locator('section[data-section="handled"] tbody tr').first().waitFor();
    const handledRows = page.locator('section[data-section="handled"] tbody tr');
    expect(await handledRows.count()).toBe(50);
    expect(await handledRows.first().innerText()).toMatch(/shop\.example\.com\/list\?page=\d+\s+(GET|POST)\s+\d\s+\S+\s+\w{3} \d/);
    await screenshot(page, 'request-queue');
    const handledSection = page.locator('section[data-section="handled"]');
    await handledSection.getByRole('button', { name: 'Next ›' }).click();
    await handledSection.locator('.pager .range', { hasText: 'Page 2' }).waitFor();
    await waitUntil(page, `document.querySelectorAll('section[data-section="handled"] tbody tr').length === 10`);
    expect(await handledSection.getByRole('button', { name: 'Next ›' }).isDisabled()).toBe(true);
    await handledSection.getByRole('button', { name: '‹ Previous' }).click();
    await waitUntil(page, `document.querySelectorAll('section[data-section="handled"] tbody tr').length === 50`);
  });

  it('never put the token into a URL, opened no dialog and threw no error', () => {
    expect(watched.requests.length).toBeGreaterThan(20);
    for (const url of watched.requests) expect(url).not.toContain(TOKEN);
    expect(watched.dialogs).toEqual([]);
    expect(watched.errors).toEqual([]);
  });
});
