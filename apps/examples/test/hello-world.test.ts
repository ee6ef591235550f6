import { requestIdFromUniqueKey } from '@x/core';
import { describe, expect, it } from 'vitest';
import { helloWorld } from '../src/hello-world.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 1, hello world, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('pushes to the default dataset, writes through a store opened by id, adds to a named queue', async () => {
    const lines: string[] = [];
    const outcome = await helloWorld(storageClient(), (line) => lines.push(line));
    expect(outcome.datasetItems).toEqual([{ result: 'Hello, world!' }]);
    expect(outcome.storeOpenedById).toBe(outcome.createdStoreId);
    expect(outcome.createdStoreId).not.toBe('default');
    expect(outcome.recordReadByName).toBe('Hello, world!');
    expect(outcome.added).toMatchObject({
      uniqueKey: 'https://apify.com',
      requestId: requestIdFromUniqueKey('https://apify.com'),
      wasAlreadyPresent: false,
      wasAlreadyHandled: false,
    });
    expect(outcome.queueName).toBe('my-queue');
    expect(outcome.queueTotalCount).toBe(1);
    expect(lines).toHaveLength(3);
  });
});
