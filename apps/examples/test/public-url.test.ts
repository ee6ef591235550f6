import { describe, expect, it } from 'vitest';
import { publicUrl } from '../src/public-url.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

const PROTOCOLS = { memory: 'data:', fs: 'file:', cloud: 'http:' } as const;

describe.each(CLIENT_CASES)('example 7, public URL, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('gives a URL the record reads back from', async () => {
    const outcome = await publicUrl(storageClient());
    expect(outcome.protocol).toBe(PROTOCOLS[clientCase.name]);
    expect(JSON.parse(outcome.body)).toEqual({ pages: 10, failed: 0 });
    if (clientCase.name === 'fs') {
      expect(outcome.url).toMatch(/\/key_value_stores\/default\/summary\.json$/);
      expect(outcome.servedContentType).toBeUndefined();
    } else {
      expect(outcome.servedContentType?.startsWith('application/json')).toBe(true);
    }
    if (clientCase.name === 'cloud') {
      // Signed, so it reads without the token.
      expect(outcome.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/key-value-stores\/default\/records\/summary\?signature=\w+$/);
    }
  });
});
