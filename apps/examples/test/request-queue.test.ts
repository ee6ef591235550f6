import { describe, expect, it } from 'vitest';
import { FAILURE_RATE, requestQueue, seededRandom } from '../src/request-queue.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

const url = (path: string) => `https://example.com${path}`;
const PAGES = Array.from({ length: 9 }, (_, i) => url(`/page-${i + 1}`));

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, in [0, 1), failing about 30 % of the time', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    const failures = draws.filter((x) => x < FAILURE_RATE).length / draws.length;
    expect(failures).toBeGreaterThan(0.28);
    expect(failures).toBeLessThan(0.32);
  });
});

describe.each(CLIENT_CASES)('example 8, the request queue, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('handles ten requests exactly once, forefront first, dedupes, reclaims failures and keeps retry counts', async () => {
    const outcome = await requestQueue(storageClient());
    expect(outcome.added).toBe(10);
    expect(outcome.duplicate).toMatchObject({ uniqueKey: url('/page-3'), wasAlreadyPresent: true, wasAlreadyHandled: false });
    expect(outcome.totalAfterAdds).toBe(10);

    // The seed fails /page-4 twice and /page-6 once; a reclaimed request goes to the back of the queue.
    const attempt = (path: string, ok: boolean, retryCount = 0) => ({ url: url(path), ok, retryCount });
    expect(outcome.attempts).toEqual([
      attempt('/', true),
      attempt('/page-1', true),
      attempt('/page-2', true),
      attempt('/page-3', true),
      attempt('/page-4', false),
      attempt('/page-5', true),
      attempt('/page-6', false),
      attempt('/page-7', true),
      attempt('/page-8', true),
      attempt('/page-9', true),
      attempt('/page-4', false, 1),
      attempt('/page-6', true, 1),
      attempt('/page-4', true, 2),
    ]);

    expect(outcome.handledTimes).toEqual(Object.fromEntries([url('/'), ...PAGES].map((u) => [u, 1])));
    expect(outcome.stored.map((r) => r.url)).toEqual([url('/'), ...PAGES]);
    expect(outcome.stored.every((r) => r.handled)).toBe(true);
    const retries = Object.fromEntries(outcome.stored.map((r) => [new URL(r.url).pathname, r.retryCount]));
    expect(retries).toEqual({ '/': 0, '/page-1': 0, '/page-2': 0, '/page-3': 0, '/page-4': 2, '/page-5': 0, '/page-6': 1, '/page-7': 0, '/page-8': 0, '/page-9': 0 });
    const page4 = outcome.stored.find((r) => r.url === url('/page-4'));
    expect(page4?.errorMessages).toEqual([
      'Simulated failure of https://example.com/page-4 (attempt 1)',
      'Simulated failure of https://example.com/page-4 (attempt 2)',
    ]);
    expect(outcome.handledCount).toBe(10);
    expect(outcome.totalCount).toBe(10);
    expect(outcome.isFinished).toBe(true);
  });
});
