// `close()` writes what the client keeps for later (metadata written "shortly after" a change,
// queue snapshots) at once, so a program that hands the folder to Crawlee right away sees it all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset as CrawleeDataset, RequestQueue as CrawleeRequestQueue } from '@crawlee/core';
import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import { crawleeStorage, storageDirsPerTest } from './crawlee-fixtures.js';

const newDir = storageDirsPerTest();

function metadataOf(dir: string, ...path: string[]): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, ...path, '__metadata__.json'), 'utf8')) as Record<string, unknown>;
}

describe('FileSystemStorageClient.close()', () => {
  it('writes every storage\'s metadata at once; Crawlee opening the folder right after sees the counts', async () => {
    const dir = newDir('close');
    const storageClient = new FileSystemStorageClient({ storageDir: dir });
    const dataset = await Dataset.open({ name: 'results', storageClient });
    await dataset.pushData([{ n: 1 }]);
    // The metadata is written shortly after a change; wait for that first write, then change again.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await dataset.pushData([{ n: 2 }, { n: 3 }]);
    const queue = await RequestQueue.open({ name: 'frontier', storageClient });
    await queue.addRequests(['https://example.com/1', 'https://example.com/2']);
    const request = (await queue.fetchNextRequest())!;
    await queue.markRequestAsHandled(request);
    await (await KeyValueStore.open({ name: 'state', storageClient })).setValue('STATE', { page: 2 });
    expect(metadataOf(dir, 'datasets', 'results')['itemCount']).toBe(1);

    await storageClient.close();
    expect(metadataOf(dir, 'datasets', 'results')['itemCount']).toBe(3);
    expect(metadataOf(dir, 'request_queues', 'frontier')).toMatchObject({ totalRequestCount: 2, handledRequestCount: 1, pendingRequestCount: 1 });
    expect(metadataOf(dir, 'key_value_stores', 'state')['name']).toBe('state');

    const { options } = crawleeStorage(dir);
    const crawleeDataset = await CrawleeDataset.open('results', options);
    expect((await crawleeDataset.getInfo())?.itemCount).toBe(3);
    expect((await crawleeDataset.getData()).items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const crawleeQueue = await CrawleeRequestQueue.open('frontier', options);
    expect(await crawleeQueue.handledCount()).toBe(1);
  });

  it('is idempotent and awaitable, and a client closed twice leaves the files as they are', async () => {
    const dir = newDir('close-twice');
    const storageClient = new FileSystemStorageClient({ storageDir: dir });
    await (await Dataset.open({ storageClient })).pushData({ a: 1 });
    await expect(storageClient.close()).resolves.toBeUndefined();
    const first = readFileSync(join(dir, 'datasets', 'default', '__metadata__.json'), 'utf8');
    await expect(storageClient.close()).resolves.toBeUndefined();
    expect(readFileSync(join(dir, 'datasets', 'default', '__metadata__.json'), 'utf8')).toBe(first);
  });
});
