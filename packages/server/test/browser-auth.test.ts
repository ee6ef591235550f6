// The storage browser's token flow in Chromium: without the token the page asks for it and shows
// nothing; a wrong token is refused; a token in the fragment works, leaves the address bar and is
// never part of a URL the page requests; a loopback server without a token needs none.
import { MemoryStorageClient } from '@x/memory-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import { browserSkipReason, createStorage, launchBrowser, openPage, pushItems, screenshot } from './browser-harness.js';

const TOKEN = 'auth-flow-token-7f3a1d90c2';
const SECRET_NAME = 'secret-dataset-name';
const SECRET_VALUE = 'secret item value 42';

describe.skipIf(browserSkipReason !== undefined)('storage browser token flow in Chromium', () => {
  let server: RunningServer;
  let open: RunningServer;
  let browser: Browser;
  let datasetId: string;

  beforeAll(async () => {
    server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
    datasetId = await createStorage(server.url, TOKEN, 'datasets', SECRET_NAME);
    await pushItems(server.url, TOKEN, datasetId, [{ value: SECRET_VALUE }]);
    open = await startServer({ storageClient: new MemoryStorageClient() });
    await createStorage(open.url, undefined, 'datasets', 'open-dataset');
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await open?.close();
  });

  it('asks for the token and shows no data without it, then refuses a wrong one', async () => {
    const { page, requests, dialogs } = await openPage(browser);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Token needed' }).waitFor();
    const text = await page.locator('body').innerText();
    expect(text).not.toContain(SECRET_NAME);
    expect(await page.locator('table').count()).toBe(0);
    await screenshot(page, 'token-prompt');

    // Straight to a dataset's view: the same prompt, none of its items.
    await page.goto(`${server.url}/#/datasets/${datasetId}`);
    await page.getByRole('heading', { name: 'Token needed' }).waitFor();
    expect(await page.locator('body').innerText()).not.toContain(SECRET_VALUE);

    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('The server did not accept this token').waitFor();
    expect(await page.locator('body').innerText()).not.toContain(SECRET_VALUE);
    await screenshot(page, 'token-rejected');

    // The right one, typed in: the dataset opens.
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('.dataset-view td', { hasText: SECRET_VALUE }).waitFor();
    for (const url of requests) expect(url).not.toContain(TOKEN);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it('takes the token from the fragment, removes it from the address bar and never sends it in a URL', async () => {
    const { page, requests, dialogs, errors } = await openPage(browser);
    const apiCalls: { url: string; authorization: string | undefined }[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v2/')) apiCalls.push({ url: request.url(), authorization: request.headers()['authorization'] });
    });
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.getByRole('link', { name: SECRET_NAME }).waitFor();
    expect(page.url()).toBe(`${server.url}/#/`);
    expect(await page.evaluate<string>('location.href')).not.toContain(TOKEN);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(1);

    await page.getByRole('link', { name: SECRET_NAME }).click();
    await page.locator('.dataset-view td', { hasText: SECRET_VALUE }).waitFor();
    // A reload keeps the token of this tab (sessionStorage).
    await page.reload();
    await page.locator('.dataset-view td', { hasText: SECRET_VALUE }).waitFor();

    expect(apiCalls.length).toBeGreaterThan(3);
    for (const call of apiCalls) expect(call.authorization).toBe(`Bearer ${TOKEN}`);
    expect(requests.length).toBeGreaterThan(apiCalls.length);
    for (const url of requests) expect(url).not.toContain(TOKEN);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);

    // Forgetting it: the prompt again, and nothing of the data.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByRole('heading', { name: 'Token needed' }).waitFor();
    expect(await page.locator('body').innerText()).not.toContain(SECRET_VALUE);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.context().close();
  });

  it('needs no token on a loopback server without one', async () => {
    const { page, requests, errors } = await openPage(browser);
    await page.goto(`${open.url}/`);
    await page.getByRole('link', { name: 'open-dataset' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Token needed' }).count()).toBe(0);
    expect(requests.some((url) => url.includes('/v2/datasets'))).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
