import { describe, expect, it } from 'vitest';
import { datasetPagination } from '../src/dataset-pagination.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.each(CLIENT_CASES)('example 3, dataset pagination, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('reads items 0..499 with getData({ limit: 500 }) and 500..999 with iterateItems({ offset: 500 })', async () => {
    const outcome = await datasetPagination(storageClient());
    expect(outcome.itemCount).toBe(1000);
    expect(outcome.firstHalf).toEqual({ total: 1000, offset: 0, limit: 500, count: 500, indexes: range(0, 500) });
    expect(outcome.restIndexes).toEqual(range(500, 1000));
  });
});
