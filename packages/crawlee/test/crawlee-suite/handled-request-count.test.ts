// @ts-nocheck -- ported as Crawlee wrote it; its tests are not written for our strict compiler settings.
// Ported from Crawlee's tests (apify/crawlee v3.18.1, packages/memory-storage/test/request-queue/handledRequestCount-should-update.test.ts, Apache-2.0), run against
// toCrawleeStorageClient on each of our clients instead of Crawlee's MemoryStorage. Changes: the
// storage is made by useAdaptedStorage; temporary folders and the memory-storage imports are gone;
// fake timers fake only Date (the cloud client's HTTP needs real timers; lock expiry reads Date).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi, vitest } from 'vitest';
import { CLIENT_CASES } from '../fixtures/clients.js';
import { useAdaptedStorage } from './storage.js';
import type { RequestQueueClient } from '@crawlee/types';

describe.each(CLIENT_CASES)('on the $name client', (clientCase) => {
describe('RequestQueue handledRequestCount should update', () => {
    const storage = useAdaptedStorage(clientCase);

    let requestQueue: RequestQueueClient;

    beforeAll(async () => {
        const { id } = await storage.requestQueues().getOrCreate('handledRequestCount');
        requestQueue = storage.requestQueue(id);
    });

    test('after updating the request, it should increment the handledRequestCount', async () => {
        const { requestId } = await requestQueue.addRequest({ url: 'http://example.com/1', uniqueKey: '1' });

        await requestQueue.updateRequest({
            url: 'http://example.com/1',
            uniqueKey: '1',
            id: requestId,
            handledAt: new Date().toISOString(),
        });

        const updatedStatistics = await requestQueue.get();
        expect(updatedStatistics?.handledRequestCount).toEqual(1);
    });

    test('adding an already handled request should increment the handledRequestCount', async () => {
        await requestQueue.addRequest({
            url: 'http://example.com/2',
            uniqueKey: '2',
            handledAt: new Date().toISOString(),
        });

        const updatedStatistics = await requestQueue.get();
        expect(updatedStatistics?.handledRequestCount).toEqual(2);
    });

    test('deleting a request should decrement the handledRequestCount', async () => {
        const { requestId } = await requestQueue.addRequest({
            url: 'http://example.com/3',
            uniqueKey: '3',
            handledAt: new Date().toISOString(),
        });

        await requestQueue.deleteRequest(requestId);

        const updatedStatistics = await requestQueue.get();
        expect(updatedStatistics?.handledRequestCount).toEqual(2);
    });

    test('updating an already handled request should not increment the handledRequestCount again', async () => {
        const { requestId } = await requestQueue.addRequest({
            url: 'http://example.com/4',
            uniqueKey: '4',
            handledAt: new Date().toISOString(),
        });

        const { handledRequestCount } = (await requestQueue.get())!;

        await requestQueue.updateRequest({
            url: 'http://example.com/4',
            uniqueKey: '4',
            id: requestId,
            handledAt: new Date().toISOString(),
        });

        const updatedStatistics = await requestQueue.get();
        expect(updatedStatistics?.handledRequestCount).toEqual(handledRequestCount);
    });
});
});
