import { describe, expect, it } from 'vitest';
import { crawlLocalSite } from '../src/crawl-local-site.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 11, a Crawlee crawler on our storage, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('crawls every page of the local site once; the results and the queue read back with our classes', async () => {
    const lines: string[] = [];
    const outcome = await crawlLocalSite(storageClient(), (line) => lines.push(line), 40);
    expect(outcome.crawled).toBe(40);
    expect(outcome.servedTwice).toBe(0);
    expect(outcome.results).toHaveLength(40);
    expect(outcome.results.map((r) => new URL(r.url).pathname)).toEqual(Array.from({ length: 40 }, (_, i) => `/page/${i}`));
    expect(outcome.results[7]?.title).toBe('Page 7');
    expect(outcome.queue).toEqual({ total: 40, handled: 40, finished: true });
    expect(lines[0]).toMatch(/^CheerioCrawler crawled 40 pages of the 40-page site at http:\/\/127\.0\.0\.1:\d+, following links$/);
    expect(lines[2]).toBe('our RequestQueue "crawl-queue": 40 of 40 handled, isFinished=true');
  });
});
