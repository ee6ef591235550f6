import { describe, expect, it } from 'vitest';
import { storagesEndToEnd } from '../src/storages-end-to-end.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 9, storages end to end, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('handles every request once, forefront first, and keeps the results', async () => {
    const lines: string[] = [];
    const outcome = await storagesEndToEnd(storageClient(), (line) => lines.push(line));
    expect(outcome.handledUrls).toEqual([
      'https://example.com/start',
      'https://example.com/a',
      'https://example.com/b',
      'https://example.com/c',
    ]);
    expect(outcome.duplicateWasReported).toBe(true);
    expect(outcome.datasetItemCount).toBe(4);
    expect(outcome.firstItems).toEqual([
      { url: 'https://example.com/start', label: 'START', title: 'Page /start' },
      { url: 'https://example.com/a', label: null, title: 'Page /a' },
    ]);
    expect(outcome.state).toEqual({ processed: 4 });
    expect(outcome.csv.split('\r\n')).toEqual([
      'url,label,title',
      'https://example.com/start,START,Page /start',
      'https://example.com/a,,Page /a',
      'https://example.com/b,,Page /b',
      'https://example.com/c,,Page /c',
      '',
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('wasAlreadyPresent=true');
    expect(lines[1]).toContain('queue finished=true');
  });
});
