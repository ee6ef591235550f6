// @ts-nocheck -- ported as Crawlee wrote it; its tests are not written for our strict compiler settings.
// Ported from Crawlee's tests (apify/crawlee v3.18.1, test/core/storages/request_queue.test.ts, Apache-2.0):
// the cases that run on a real storage (the "RequestQueue v2" block, and the RequestQueue v1 forefront
// order case), with Crawlee's global configuration on toCrawleeStorageClient over each of our clients.
// Left out: the cases that replace the storage client's methods with mocks (they test Crawlee's
// RequestQueue alone) and those of requestsFromUrl (they mock Crawlee's HTTP client). Changes:
// AdaptedStorageEmulator instead of MemoryStorageEmulator; fake timers fake only Date; three cases
// are skipped where our lock contract differs by design (see there).
import { Request, RequestQueueV1 as RequestQueue, RequestQueueV2 } from '@crawlee/core';
import { afterAll, beforeAll, describe, expect, test, vitest } from 'vitest';
import { CLIENT_CASES } from '../fixtures/clients.js';
import { AdaptedStorageEmulator } from './storage-emulator.js';

describe.each(CLIENT_CASES)('on the $name client', (clientCase) => {
describe('RequestQueue (v1) on a real storage', () => {
    test('`fetchNextRequest` order respects `forefront` enqueues', async () => {
        const emulator = new AdaptedStorageEmulator(clientCase);

        await emulator.init();
        const queue = await RequestQueue.open();

        const retrievedUrls: string[] = [];

        await queue.addRequests([
            { url: 'http://example.com/1' },
            { url: 'http://example.com/5' },
            { url: 'http://example.com/6' },
        ]);

        retrievedUrls.push((await queue.fetchNextRequest())!.url);

        await queue.addRequest({ url: 'http://example.com/4' }, { forefront: true });
        await queue.addRequest({ url: 'http://example.com/3' }, { forefront: true });

        await queue.addRequest({ url: 'http://example.com/2' }, { forefront: true });

        let req = await queue.fetchNextRequest();

        expect(req!.url).toBe('http://example.com/2');

        await queue.reclaimRequest(req!, { forefront: true });

        while (req) {
            retrievedUrls.push(req!.url);
            req = await queue.fetchNextRequest();
        }

        expect(retrievedUrls.map((x) => new URL(x).pathname)).toEqual(['/1', '/2', '/3', '/4', '/5', '/6']);
        await emulator.destroy();
    });
});

describe('RequestQueue v2', () => {
    const emulator = new AdaptedStorageEmulator(clientCase);
    beforeAll(async () => {
        await emulator.init();
    });
    afterAll(async () => {
        await emulator.destroy();
    });

    const totalRequestsPerTest = 50;

    function calculateHistogram(requests: { uniqueKey: string }[]): number[] {
        const histogram: number[] = [];
        for (const item of requests) {
            const key = item.uniqueKey;
            const index = parseInt(key, 10);
            histogram[index] = histogram[index] ? histogram[index] + 1 : 1;
        }

        return histogram;
    }

    async function getEmptyQueue(name: string) {
        const queue = await RequestQueueV2.open(name);
        await queue.drop();
        return RequestQueueV2.open(name);
    }

    function getUniqueRequests(count: number) {
        return new Array(count)
            .fill(0)
            .map((_, i) => new Request({ url: `http://example.com/${i}`, uniqueKey: String(i) }));
    }

    test('listAndLockHead works as expected', async () => {
        const queue = await getEmptyQueue('list-and-lock-head');
        await queue.addRequests(getUniqueRequests(totalRequestsPerTest));

        const [{ items: firstFetch }, { items: secondFetch }] = await Promise.all([
            queue.client.listAndLockHead({ limit: totalRequestsPerTest / 2, lockSecs: 60 }),
            queue.client.listAndLockHead({ limit: totalRequestsPerTest / 2, lockSecs: 60 }),
        ]);

        const histogram = calculateHistogram([...firstFetch, ...secondFetch]);
        expect(histogram).toEqual(Array(totalRequestsPerTest).fill(1));
    });

    // Skipped, our lock contract differs by design: a lock that ends (here by expiry) puts its request
    // back last among the regular requests, so the second fetch takes the 25 never locked; Crawlee's
    // storage keeps a request's place (it lists in insertion order), so it takes the first 25 again.
    test.skip('lock timers work as expected (timeout unlocks)', async () => {
        vitest.useFakeTimers({ toFake: ['Date'] });
        const queue = await getEmptyQueue('lock-timers');
        await queue.addRequests(getUniqueRequests(totalRequestsPerTest));

        const { items: firstFetch } = await queue.client.listAndLockHead({
            limit: totalRequestsPerTest / 2,
            lockSecs: 60,
        });

        vitest.advanceTimersByTime(65000);

        const { items: secondFetch } = await queue.client.listAndLockHead({
            limit: totalRequestsPerTest / 2,
            lockSecs: 60,
        });

        const histogram = calculateHistogram([...firstFetch, ...secondFetch]);
        expect(histogram).toEqual(Array(totalRequestsPerTest / 2).fill(2));
        vitest.useRealTimers();
    });

    // Skipped, our lock contract differs by design: prolongRequestLock sets the lock to end `lockSecs`
    // from now (as our contract and Crawlee's RequestQueue use it), where Crawlee's storage adds
    // `lockSecs` to the lock's end; here the lock prolonged at once ends after 60 s, not 120 s.
    test.skip('prolongRequestLock works as expected ', async () => {
        vitest.useFakeTimers({ toFake: ['Date'] });
        const queue = await getEmptyQueue('prolong-request-lock');
        await queue.addRequests(getUniqueRequests(1));

        const { items: firstFetch } = await queue.client.listAndLockHead({ limit: 1, lockSecs: 60 });
        await queue.client.prolongRequestLock(firstFetch[0].id, { lockSecs: 60 });
        expect(firstFetch).toHaveLength(1);

        vitest.advanceTimersByTime(65000);
        const { items: secondFetch } = await queue.client.listAndLockHead({ limit: 1, lockSecs: 60 });
        expect(secondFetch).toHaveLength(0);

        vitest.advanceTimersByTime(65000);
        const { items: thirdFetch } = await queue.client.listAndLockHead({ limit: 1, lockSecs: 60 });

        expect(thirdFetch).toHaveLength(1);
        vitest.useRealTimers();
    });

    test('deleteRequestLock works as expected', async () => {
        const queue = await getEmptyQueue('delete-request-lock');
        await queue.addRequests(getUniqueRequests(1));

        const { items: firstFetch } = await queue.client.listAndLockHead({ limit: 1, lockSecs: 60 });
        await queue.client.deleteRequestLock(firstFetch[0].id);

        const { items: secondFetch } = await queue.client.listAndLockHead({ limit: 1, lockSecs: 60 });

        expect(secondFetch[0]).toEqual(firstFetch[0]);
    });

    // Skipped, our lock contract differs by design: Crawlee's RequestQueue gives up the locks of /28 and
    // then /27 when new forefront requests fill its local head; a lock given up puts its request back
    // last among the regular ones, so ours serves /28 before /27 (Crawlee's storage keeps their places).
    test.skip('`fetchNextRequest` order respects `forefront` enqueues', async () => {
        const queue = await getEmptyQueue('fetch-next-request-order');

        const retrievedUrls: string[] = [];

        await queue.addRequests([
            { url: 'http://example.com/1' },
            ...Array.from({ length: 25 }, (_, i) => ({ url: `http://example.com/${i + 4}` })),
        ]);

        retrievedUrls.push((await queue.fetchNextRequest())!.url);

        await queue.addRequest({ url: 'http://example.com/3' }, { forefront: true });
        await queue.addRequest({ url: 'http://example.com/2' }, { forefront: true });

        let req = await queue.fetchNextRequest();

        while (req) {
            retrievedUrls.push(req!.url);
            req = await queue.fetchNextRequest();
        }

        // 28 requests exceed the RQv2 batch size limit of 25, so we can examine the request ordering
        expect(retrievedUrls.map((x) => new URL(x).pathname)).toEqual(
            Array.from({ length: 28 }, (_, i) => `/${i + 1}`),
        );
    });

    test('`reclaimRequest` with `forefront` respects the request ordering', async () => {
        const queue = await getEmptyQueue('fetch-next-request-order-reclaim');

        const retrievedUrls: string[] = [];

        await queue.addRequests([
            { url: 'http://example.com/1' },
            { url: 'http://example.com/4' },
            { url: 'http://example.com/5' },
        ]);

        retrievedUrls.push((await queue.fetchNextRequest())!.url);

        await queue.addRequest({ url: 'http://example.com/3' }, { forefront: true });
        await queue.addRequest({ url: 'http://example.com/2' }, { forefront: true });

        let req = await queue.fetchNextRequest();

        expect(req!.url).toBe('http://example.com/2');

        await queue.reclaimRequest(req!, { forefront: true });

        req = await queue.fetchNextRequest();

        while (req) {
            retrievedUrls.push(req!.url);
            req = await queue.fetchNextRequest();
        }

        expect(retrievedUrls.map((x) => new URL(x).pathname)).toEqual(Array.from({ length: 5 }, (_, i) => `/${i + 1}`));
    });
});
});
