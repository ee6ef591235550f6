import { describe, expect, it } from 'vitest';
import { crawlLocalSite } from '../src/crawl-local-site.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

/** Pages of the local site: enough for a frontier that grows over three levels of links. */
const PAGES = 20;

describe.each(CLIENT_CASES)('example 11, a Crawlee crawler on our storage, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('crawls every page of the local site once; the results and the queue read back with our classes', async () => {
    const lines: string[] = [];
    const outcome = await crawlLocalSite(storageClient(), (line) => lines.push(line), PAGES);
    expect(outcome.crawled).toBe(PAGES);
    expect(outcome.servedTwice).toBe(0);
    expect(outcome.results).toHaveLength(PAGES);
    expect(outcome.results.map((r) => new URL(r.url).pathname)).toEqual(Array.from({ length: PAGES }, (_, i) => `/page/${i}`));
    expect(outcome.results[7]?.title).toBe('Page 7');
    expect(outcome.queue).toEqual({ total: PAGES, handled: PAGES, finished: true });
    expect(lines[0]).toMatch(new RegExp(`^CheerioCrawler crawled ${PAGES} pages of the ${PAGES}-page site at http://127\\.0\\.0\\.1:\\d+, following links$`));
    expect(lines[2]).toBe(`our RequestQueue "crawl-queue": ${PAGES} of ${PAGES} handled, isFinished=true`);
  });
});
