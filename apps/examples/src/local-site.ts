import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small website served on 127.0.0.1 for the crawling examples. */
export interface LocalSite {
  /** The URL of page 0, where a crawl starts. */
  readonly startUrl: string;
  /** Every page's URL. */
  readonly pageUrls: readonly string[];
  /** How many times each page was requested, by path. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Serves `pages` pages on 127.0.0.1 (a free port): page `i` is titled "Page i" and links to pages
 * `3i+1` … `3i+3`, and back to page 0, so a crawl that follows links finds them all.
 * `delayMs` slows every answer, as a real site would be.
 */
export async function startLocalSite(pages: number, delayMs = 0): Promise<LocalSite> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const page = /^\/page\/(\d+)$/.exec(path) ? Number(path.slice(6)) : -1;
    setTimeout(() => {
      if (page < 0 || page >= pages) {
        res.writeHead(404).end();
        return;
      }
      const links = [1, 2, 3].map((k) => 3 * page + k).filter((child) => child < pages);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<html><head><title>Page ${page}</title></head><body>` +
          `${links.map((child) => `<a href="/page/${child}">Page ${child}</a>`).join(' ')} <a href="/page/0">Home</a></body></html>`,
      );
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    startUrl: `${origin}/page/0`,
    pageUrls: Array.from({ length: pages }, (_, i) => `${origin}/page/${i}`),
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
