// Hostile content in the storage browser: markup and script in item values, field names, record
// keys and bodies (HTML, SVG with script, HTML under an image type, JSON), request URLs and unique
// keys is shown as text and never runs. Checked with the page's CSP in force and, since the CSP
// alone would stop inline script, also in the DOM: no element is ever made from stored data.
import { MemoryStorageClient } from '@x/memory-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import { addRequests, browserSkipReason, createStorage, launchBrowser, openPage, pushItems, putRecord, screenshot, waitUntil, type WatchedPage } from './browser-harness.js';

const TOKEN = 'hostile-token-0d9e4b';
const IMG = '<img src=x onerror="window.__pwned=1;alert(1)">';
const SCRIPT = '<script>window.__pwned=1;alert(1)</script>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1;alert(1)"><script>window.__pwned=1;alert(1)</script><circle r="9"/></svg>';
const HTML_PAGE = `<!doctype html><html><body><h1 id="evil">Evil</h1>${SCRIPT}${IMG}<iframe src="javascript:alert(1)"></iframe></body></html>`;

/** Nothing ran, and no element came from stored data: no foreign image, script, frame, SVG or heading. */
async function assertNothingRan(watched: WatchedPage): Promise<void> {
  const { page } = watched;
  // A string, run in the page (the test's own types have no DOM).
  const state = await page.evaluate<Record<string, unknown>>(`({
    pwned: window.__pwned,
    foreignImages: [...document.querySelectorAll('img')].filter((img) => !img.src.startsWith('blob:')).length,
    scripts: [...document.querySelectorAll('script')].filter((s) => !/\\/assets\\/index-[\\w-]+\\.js$/.test(s.src)).length,
    frames: document.querySelectorAll('iframe, frame, object, embed, svg').length,
    evil: document.getElementById('evil') !== null,
  })`);
  expect(state).toEqual({ pwned: undefined, foreignImages: 0, scripts: 0, frames: 0, evil: false });
  expect(watched.dialogs).toEqual([]);
  // The page asked for no `x` image and no javascript: URL.
  for (const url of watched.requests) expect(url).not.toMatch(/\/x$|^javascript:/);
}

async function textShown(page: Page, text: string): Promise<void> {
  await waitUntil(page, `document.body.innerText.includes(${JSON.stringify(text)})`);
}

describe.skipIf(browserSkipReason !== undefined)('hostile content in the storage browser', () => {
  let server: RunningServer;
  let browser: Browser;
  let watched: WatchedPage;
  let datasetId: string;
  let storeId: string;
  let queueId: string;

  beforeAll(async () => {
    server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
    const url = server.url;
    datasetId = await createStorage(url, TOKEN, 'datasets', 'hostile-items');
    await pushItems(url, TOKEN, datasetId, [
      { [IMG]: 'a field named with markup', html: IMG, script: SCRIPT, nested: { [SCRIPT]: [IMG, SVG] } },
      { html: `"><svg onload=alert(1)>`, script: `javascript:alert(1)`, link: 'javascript:window.__pwned=1' },
    ]);
    storeId = await createStorage(url, TOKEN, 'key-value-stores', 'hostile-records');
    await putRecord(url, TOKEN, storeId, 'page.html', HTML_PAGE, 'text/html; charset=utf-8');
    await putRecord(url, TOKEN, storeId, 'drawing.svg', SVG, 'image/svg+xml');
    // Markup under an image type: shown in an <img> from a blob: URL, which never runs it.
    await putRecord(url, TOKEN, storeId, 'fake.png', HTML_PAGE, 'image/png');
    await putRecord(url, TOKEN, storeId, 'data.json', JSON.stringify({ [IMG]: SCRIPT, list: [SVG] }), 'application/json');
    await putRecord(url, TOKEN, storeId, "x'-alert(1)-'", SCRIPT, 'text/plain');
    queueId = await createStorage(url, TOKEN, 'request-queues', 'hostile-requests');
    await addRequests(url, TOKEN, queueId, [
      { url: `https://example.com/?q=${SCRIPT}`, uniqueKey: IMG },
      { url: `https://example.com/"><img src=x onerror=alert(1)>`, uniqueKey: SCRIPT },
    ]);
    browser = await launchBrowser();
    watched = await openPage(browser);
    await watched.page.goto(`${url}/#token=${TOKEN}`);
    await watched.page.getByRole('link', { name: 'hostile-items' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows markup in item values and field names as text, in the table and the JSON view', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/datasets/${datasetId}`);
    await page.locator('.dataset-view tbody tr').first().waitFor();
    expect(await page.locator('.dataset-view thead th').allInnerTexts()).toContain(IMG);
    expect(await page.locator('.dataset-view tbody td').allInnerTexts()).toEqual(expect.arrayContaining([IMG, SCRIPT]));
    await screenshot(page, 'hostile-dataset');
    await page.getByRole('group', { name: 'View' }).getByRole('button', { name: 'JSON' }).click();
    await page.locator('.json-tree').waitFor();
    await textShown(page, JSON.stringify(SCRIPT));
    await page.locator('details.fields summary').click();
    await page.getByRole('checkbox', { name: IMG }).waitFor();
    await page.locator('details.fields summary').click();
    await assertNothingRan(watched);
  });

  it('shows HTML, SVG, markup under an image type, JSON and markup in keys as text', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/key-value-stores/${storeId}`);
    await page.locator('.kvs-view tbody tr').first().waitFor();
    const keys = await page.locator('.kvs-view td.key').allInnerTexts();
    expect(keys).toContain("x'-alert(1)-'");
    const open = async (key: string): Promise<void> => {
      await page.locator('.kvs-view td.key', { hasText: key }).getByRole('button').click();
      await page.locator('.preview-head h2', { hasText: key }).waitFor();
      await page.locator('.preview .loading').waitFor({ state: 'detached' });
    };
    await open('page.html');
    expect(await page.locator('.preview pre.source').innerText()).toBe(HTML_PAGE);
    await screenshot(page, 'hostile-html');
    await open('drawing.svg');
    expect(await page.locator('.preview pre.source').innerText()).toBe(SVG);
    await screenshot(page, 'hostile-svg');
    await open('fake.png');
    // A broken image, nothing more.
    await page.locator('.preview img').waitFor();
    expect(await page.evaluate<number>("document.querySelector('.preview img').naturalWidth")).toBe(0);
    await open('data.json');
    await textShown(page, JSON.stringify(IMG));
    await open("x'-alert(1)-'");
    expect(await page.locator('.preview pre.source').innerText()).toBe(SCRIPT);
    // The delete confirmation names the key as text too.
    await page.locator('.kvs-view tr', { hasText: "x'-alert(1)-'" }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    await assertNothingRan(watched);
  });

  it('shows markup in request URLs and unique keys as text', async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/request-queues/${queueId}`);
    await page.locator('section[data-section="head"] tbody tr').nth(1).waitFor();
    const cells = await page.locator('section[data-section="head"] tbody td').allInnerTexts();
    expect(cells).toEqual(expect.arrayContaining([IMG, SCRIPT]));
    expect(cells.some((cell) => cell.includes(SCRIPT) && cell.startsWith('https://example.com/?q='))).toBe(true);
    await screenshot(page, 'hostile-queue');
    await assertNothingRan(watched);
  });

  it('threw no error and opened no dialog anywhere', async () => {
    await assertNothingRan(watched);
    expect(watched.errors).toEqual([]);
  });
});
