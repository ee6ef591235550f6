import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(appDir, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

/** Runs `src/main.ts` as `pnpm start` does, on the storage folder `storageDir`. */
async function runMain(storageDir: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, CRAWLEE_STORAGE_DIR: storageDir };
  delete env['APIFY_LOCAL_STORAGE_DIR'];
  delete env['CRAWLEE_PURGE_ON_START'];
  const { stdout } = await run(tsx, ['--conditions=@x/source', 'src/main.ts'], { cwd: appDir, env, timeout: 60_000 });
  return stdout;
}

/** The output with the random storage ids and the local site's port masked, so two runs compare equal. */
const maskIds = (output: string) => output.replace(/\b[a-zA-Z0-9]{17}\b/g, '<id>').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

describe('src/main.ts (pnpm start)', () => {
  let storageDir: string;
  let first: string;

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'x-examples-main-'));
    first = await runMain(storageDir);
  }, 60_000);

  afterAll(async () => {
    await rm(storageDir, { recursive: true, force: true });
  });

  it('runs the ten examples in order and prints what each did', () => {
    const headings = first.split('\n').filter((line) => line.startsWith('== '));
    // 10 and 12 need Redis and run on their own; 11 is the Crawlee crawl.
    expect(headings.map((h) => h.slice(3).split(' ')[0])).toEqual(['1.', '2.', '3.', '4.', '5.', '6.', '7.', '8.', '9.', '11.']);
    expect(first).toContain(`on the local storage in ${storageDir}`);
    expect(first).toContain('pushed to the default dataset "default": [{"result":"Hello, world!"}]');
    expect(first).toContain('now fails with "not-found"');
    expect(first).toContain('getData({ limit: 500 }): count=500 of total=1000, indexes 0..499');
    expect(first).toContain('iterateItems({ offset: 500 }) yielded 500 items, indexes 500..999');
    expect(first).toContain('csv | "Lamp ""Aurora""",48,,,,false');
    expect(first).toContain('report: text/csv → string');
    expect(first).toMatch(/screenshot +8 bytes {2}application\/octet-stream/);
    expect(first).toContain('public URL of "summary": file://');
    expect(first).toContain('wasAlreadyPresent=true (uniqueKey https://example.com/page-3); the queue holds 10');
    expect(first).toContain('retry counts kept in the queue: /page-4×2, /page-6×1');
    expect(first).toContain('handled 10 of 10, each exactly once: true; isFinished=true');
    expect(first).toContain('STATE={"processed":4}');
    expect(first).toMatch(/CheerioCrawler crawled 40 pages of the 40-page site at http:\/\/127\.0\.0\.1:\d+, following links/);
    expect(first).toContain('our RequestQueue "crawl-queue": 40 of 40 handled, isFinished=true');
    expect(first.trimEnd().split('\n').at(-1)).toBe(`All 10 examples ran. Look at what they left in ${storageDir}`);
  });

  it('leaves the storages in the folder, in the local layout', async () => {
    const json = async (...path: string[]) => JSON.parse(await readFile(join(storageDir, ...path), 'utf8')) as unknown;
    expect(await json('datasets', 'default', '000000001.json')).toEqual({ result: 'Hello, world!' });
    const thousand = (await readdir(join(storageDir, 'datasets', 'thousand-items'))).filter((f) => /^\d{9}\.json$/.test(f));
    expect(thousand).toHaveLength(1000);
    expect(await json('datasets', 'thousand-items', '000001000.json')).toEqual({ index: 999, title: 'Item 999' });
    expect(await json('datasets', 'thousand-items', '__metadata__.json')).toMatchObject({ name: 'thousand-items', itemCount: 1000 });
    expect(await readFile(join(storageDir, 'key_value_stores', 'exports', 'products-csv.csv'), 'utf8')).toMatch(/^name,price,address\/city,/);
    expect(await json('key_value_stores', 'exports', 'products-json.json')).toHaveLength(3);
    expect(await readFile(join(storageDir, 'key_value_stores', 'default', 'greeting.txt'), 'utf8')).toBe('Hello, world!');
    expect(await readFile(join(storageDir, 'key_value_stores', 'default', 'report.csv'), 'utf8')).toBe('url,status\r\nhttps://example.com/a,200\r\n');
    expect(await json('key_value_stores', 'default', 'report.__metadata__.json')).toMatchObject({ key: 'report', contentType: 'text/csv' });
    expect(existsSync(join(storageDir, 'key_value_stores', 'default', 'state.json'))).toBe(false);
    expect(await json('key_value_stores', 'default', 'summary.json')).toEqual({ pages: 10, failed: 0 });
    expect(existsSync(join(storageDir, 'key_value_stores', 'scratch-store'))).toBe(false);
    const requests = (await readdir(join(storageDir, 'request_queues', 'default'))).filter((f) => f !== '__metadata__.json');
    expect(requests).toHaveLength(10);
    expect(await json('request_queues', 'default', '__metadata__.json')).toMatchObject({
      totalRequestCount: 10,
      handledRequestCount: 10,
      pendingRequestCount: 0,
    });
    expect(await json('key_value_stores', 'example-state', 'STATE.json')).toEqual({ processed: 4 });
    // Crawlee's results, in the same local layout.
    const crawlResults = (await readdir(join(storageDir, 'datasets', 'crawl-results'))).filter((f) => /^\d{9}\.json$/.test(f));
    expect(crawlResults).toHaveLength(40);
    expect(await json('request_queues', 'crawl-queue', '__metadata__.json')).toMatchObject({ totalRequestCount: 40, handledRequestCount: 40, pendingRequestCount: 0 });
  });

  it('prints the same on a rerun over the same folder (the examples start afresh)', async () => {
    const second = await runMain(storageDir);
    expect(maskIds(second)).toBe(maskIds(first));
    expect(await readdir(join(storageDir, 'datasets', 'thousand-items'))).toHaveLength(1001);
  }, 60_000);
});
