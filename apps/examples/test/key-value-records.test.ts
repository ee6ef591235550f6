import { describe, expect, it } from 'vitest';
import { keyValueRecords } from '../src/key-value-records.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 5, key-value records, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('reads back text, JSON and CSV as stored, with their content types, and deletes by null', async () => {
    const outcome = await keyValueRecords(storageClient());
    expect(outcome.greeting).toEqual({ value: 'Hello, world!', contentType: 'text/plain; charset=utf-8' });
    expect(outcome.state).toEqual({
      value: { page: 3, seen: ['https://example.com/a', 'https://example.com/b'] },
      contentType: 'application/json; charset=utf-8',
    });
    expect(outcome.report).toEqual({ value: 'url,status\r\nhttps://example.com/a,200\r\n', contentType: 'text/csv' });
    expect(outcome.stateAfterDelete).toBeNull();
    expect(outcome.stateExistsAfterDelete).toBe(false);
    expect(outcome.stateWithDefault).toEqual({ page: 0 });
  });
});
