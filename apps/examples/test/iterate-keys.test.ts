import { describe, expect, it } from 'vitest';
import { iterateKeys } from '../src/iterate-keys.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 6, iterate keys, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('lists every key in order with its size in bytes and content type', async () => {
    const outcome = await iterateKeys(storageClient());
    expect(outcome.all).toEqual([
      { key: 'config', size: 25, contentType: 'application/json; charset=utf-8' },
      { key: 'notes', size: 19, contentType: 'text/plain; charset=utf-8' },
      { key: 'page-1', size: 32, contentType: 'text/html' },
      { key: 'page-2', size: 32, contentType: 'text/html' },
      { key: 'screenshot', size: 8, contentType: 'application/octet-stream' },
    ]);
    expect(outcome.withPrefix).toEqual(['page-1', 'page-2']);
    expect(outcome.afterPage1).toEqual(['page-2', 'screenshot']);
  });
});
