// Dataset reads do not block the process: the item files are read asynchronously (a few at a
// time) and come back in dataset order. A server over this client answers others meanwhile.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const ITEMS = 5_000;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x-fs-dataset-reads-'));
  const datasetDir = join(dir, 'datasets', 'reads');
  mkdirSync(datasetDir, { recursive: true });
  for (let n = 1; n <= ITEMS; n++) {
    // Item 7 is damaged, item 11 is larger than one read: both must be handled in place.
    const body = n === 7 ? '{"broken":' : n === 11 ? JSON.stringify({ n, big: 'x'.repeat(100_000) }) : JSON.stringify({ n });
    writeFileSync(join(datasetDir, `${String(n).padStart(9, '0')}.json`), body);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('FsDataset.listItems', () => {
  it('lets the event loop turn while it reads, and gives the items in order (desc too)', async () => {
    const warnings: string[] = [];
    const client = new FileSystemStorageClient({ storageDir: dir, logger: { warn: (message) => void warnings.push(message) } });
    const dataset = await client.openDataset({ kind: 'name', name: 'reads' });
    let turns = 0;
    let reading = true;
    const spin = (): void => {
      if (!reading) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const page = await dataset.listItems({ offset: 0, limit: ITEMS, desc: false });
    reading = false;
    // Read synchronously, the whole page was read before the event loop turned even once.
    expect(turns).toBeGreaterThan(10);
    expect(page.total).toBe(ITEMS);
    const expected = Array.from({ length: ITEMS }, (_, i) => i + 1).filter((n) => n !== 7);
    expect(page.items.map((item) => item['n'])).toEqual(expected);
    expect((page.items[9]!['big'] as string).length).toBe(100_000);
    expect(warnings.filter((message) => message.includes('000000007.json'))).toHaveLength(1);

    const desc = await dataset.listItems({ offset: 2, limit: 12, desc: true });
    expect(desc.items.map((item) => item['n'])).toEqual(Array.from({ length: 12 }, (_, i) => ITEMS - 2 - i));
    const tail = await dataset.listItems({ offset: ITEMS - 12, limit: 100, desc: true });
    expect(tail.items.map((item) => item['n'])).toEqual([12, 11, 10, 9, 8, 6, 5, 4, 3, 2, 1]);
    expect((await dataset.listItems({ offset: ITEMS, limit: 10, desc: false })).items).toEqual([]);
  });
});
