// The storage browser under load, in Chromium: a 100,000-item dataset (time from navigation to the
// first rows printed; the target is under 1 s, not asserted: machines differ), its last page, a
// 1,000,000-item one paged to its end and middle, and
// a request queue consumed while its view is open (the counts change on screen, no reload).
import { MemoryStorageClient } from '@x/memory-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import { addRequests, browserSkipReason, createStorage, launchBrowser, openPage, screenshot, type WatchedPage } from './browser-harness.js';

const TOKEN = 'scale-token-a41f';
const ITEMS = 100_000;
const HUGE = 1_000_000;
const REQUESTS = 60;

describe.skipIf(browserSkipReason !== undefined)('the storage browser under load', () => {
  let client: MemoryStorageClient;
  let server: RunningServer;
  let browser: Browser;
  let watched: WatchedPage;
  let datasetId: string;
  let hugeId: string;
  let queueId: string;

  beforeAll(async () => {
    client = new MemoryStorageClient();
    server = await startServer({ storageClient: client, token: TOKEN });
    datasetId = await createStorage(server.url, TOKEN, 'datasets', 'big');
    const dataset = await client.openDataset({ kind: 'id', id: datasetId });
    for (let at = 0; at < ITEMS; at += 10_000) {
      const batch: string[] = [];
      for (let n = at; n < at + 10_000; n++) {
        batch.push(JSON.stringify({ n: n + 1, url: `https://shop.example.com/products/${n + 1}`, title: `Product ${n + 1}`, price: { amount: (n % 1000) / 10, currency: 'EUR' } }));
      }
      await dataset.pushItems(batch);
    }
    // A million small items (memory client, about 2 s and 250 MB): only pages are ever read.
    hugeId = await createStorage(server.url, TOKEN, 'datasets', 'huge');
    const huge = await client.openDataset({ kind: 'id', id: hugeId });
    for (let at = 0; at < HUGE; at += 10_000) {
      const batch: string[] = [];
      for (let n = at; n < at + 10_000; n++) batch.push(`{"n":${n + 1},"title":"Item ${n + 1}"}`);
      await huge.pushItems(batch);
    }
    queueId = await createStorage(server.url, TOKEN, 'request-queues', 'live');
    await addRequests(server.url, TOKEN, queueId, Array.from({ length: REQUESTS }, (_, n) => ({ url: `https://shop.example.com/list?page=${n + 1}` })));
    browser = await launchBrowser();
    watched = await openPage(browser);
    // The token into this tab's sessionStorage first; the timed load below is a fresh navigation.
    await watched.page.goto(`${server.url}/#token=${TOKEN}`);
    await watched.page.getByRole('link', { name: 'big' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`shows the first rows of a ${ITEMS.toLocaleString('en-US')}-item dataset quickly, and its last page`, async () => {
    const { page } = watched;
    // In the page, from its navigation start (performance's time origin): when the first row is in the DOM.
    await page.addInitScript(`{
      const observer = new MutationObserver(() => {
        if (document.querySelector('.dataset-view tbody tr') !== null) {
          window.__firstRowsAt = performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    }`);
    // Three loads (each a new document, as a user opening the link): the figures of each are printed.
    const runs: { inPage: number; seen: number }[] = [];
    for (let run = 0; run < 3; run++) {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${server.url}/#/datasets/${datasetId}`);
      await page.locator('.dataset-view tbody tr').first().waitFor();
      const seen = performance.now() - started;
      const inPage = await page.evaluate<number>('window.__firstRowsAt ?? Number.NaN');
      runs.push({ inPage, seen });
    }
    const firstRowsMs = Math.min(...runs.map((r) => r.seen));
    expect(await page.locator('.pager .range').innerText()).toBe(`Items 1–50 of ${ITEMS.toLocaleString('en-US')}`);
    await screenshot(page, 'dataset-100k');

    const lastStarted = performance.now();
    await page.getByRole('button', { name: 'Last »' }).click();
    await page.locator('.pager .range', { hasText: `Items 99,951–100,000 of 100,000` }).waitFor();
    await page.locator('.dataset-view tbody tr', { hasText: 'Product 100000' }).waitFor();
    const lastPageMs = performance.now() - lastStarted;
    console.log(
      `storage browser, ${ITEMS.toLocaleString('en-US')}-item dataset (memory client): first rows in the DOM ${runs.map((r) => r.inPage.toFixed(0)).join(', ')} ms after the navigation started (3 loads; target < 1000 ms; ${runs.map((r) => r.seen.toFixed(0)).join(', ')} ms as the test saw it, with Playwright's polling); last page ${lastPageMs.toFixed(0)} ms after the click`,
    );
    // Only the page asked for was read: no call asked for more than one page of items.
    const itemCalls = watched.requests.filter((url) => url.includes(`/v2/datasets/${datasetId}/items`));
    expect(itemCalls.length).toBeGreaterThan(1);
    for (const url of itemCalls) expect(new URL(url).searchParams.get('limit')).toBe('50');
    // A generous bound, only to catch a full load.
    expect(firstRowsMs).toBeLessThan(10_000);
  });

  it(`pages a ${HUGE.toLocaleString('en-US')}-item dataset without reading it whole`, async () => {
    const { page } = watched;
    await page.goto('about:blank');
    const started = performance.now();
    await page.goto(`${server.url}/#/datasets/${hugeId}`);
    await page.locator('.dataset-view tbody tr', { hasText: 'Item 1' }).first().waitFor();
    const firstMs = performance.now() - started;
    const lastStarted = performance.now();
    await page.getByRole('button', { name: 'Last »' }).click();
    await page.locator('.dataset-view tbody tr', { hasText: 'Item 1000000' }).waitFor();
    const lastMs = performance.now() - lastStarted;
    expect(await page.locator('.pager .range').innerText()).toBe('Items 999,951–1,000,000 of 1,000,000');
    await page.getByLabel('Go to item number').fill('500001');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.locator('.dataset-view tbody tr', { hasText: 'Item 500001' }).first().waitFor();
    console.log(`storage browser, ${HUGE.toLocaleString('en-US')}-item dataset (memory client): first rows ${firstMs.toFixed(0)} ms after navigation, last page ${lastMs.toFixed(0)} ms after the click (as the test saw them)`);
    await screenshot(page, 'dataset-1m');
  });

  it('shows a queue being consumed while its view is open, without a reload', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/request-queues/${queueId}`);
    await page.locator('[data-count="pending"] .count-value', { hasText: String(REQUESTS) }).waitFor();
    expect(await page.locator('[data-count="handled"] .count-value').innerText()).toBe('0');
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });

    // A consumer on the same storage client: locks 5, handles 20 of the queue.
    const queue = await client.openRequestQueue({ kind: 'id', id: queueId });
    const held = await queue.listAndLockHead({ limit: 5, lockSecs: 120, clientKey: 'crawler' });
    expect(held.items).toHaveLength(5);
    await page.locator('[data-count="locked"] .count-value', { hasText: /^5$/ }).waitFor({ timeout: 6000 });
    await page.locator('section[data-section="locked"] tbody tr').nth(4).waitFor();
    await screenshot(page, 'request-queue-live');
    for (let round = 0; round < 4; round++) {
      const { items } = await queue.listAndLockHead({ limit: 5, lockSecs: 60, clientKey: 'crawler' });
      for (const request of items) await queue.markRequestAsHandled({ ...request, handledAt: new Date().toISOString() }, { clientKey: 'crawler' });
    }
    await page.locator('[data-count="handled"] .count-value', { hasText: /^20$/ }).waitFor({ timeout: 6000 });
    await page.locator('[data-count="pending"] .count-value', { hasText: String(REQUESTS - 20) }).waitFor({ timeout: 6000 });
    // The head moved on: its first request is one no consumer has touched (the 5 held come first in id order? no: the head skips them).
    const headFirst = await page.locator('section[data-section="head"] tbody tr').first().innerText();
    expect(headFirst).toContain('list?page=26');
    for (const request of held.items) await queue.markRequestAsHandled({ ...request, handledAt: new Date().toISOString() }, { clientKey: 'crawler' });
    await page.locator('[data-count="handled"] .count-value', { hasText: /^25$/ }).waitFor({ timeout: 6000 });
    await page.locator('[data-count="locked"] .count-value', { hasText: /^0$/ }).waitFor({ timeout: 6000 });
    await screenshot(page, 'request-queue-consumed');
    expect(navigations).toBe(0);
    expect(watched.dialogs).toEqual([]);
    expect(watched.errors).toEqual([]);
    for (const url of watched.requests) expect(url).not.toContain(TOKEN);
  });
});
