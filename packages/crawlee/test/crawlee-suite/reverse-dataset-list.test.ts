// @ts-nocheck -- ported as Crawlee wrote it; its tests are not written for our strict compiler settings.
// Ported from Crawlee's tests (apify/crawlee v3.18.1, packages/memory-storage/test/reverse-datataset-list.test.ts, Apache-2.0), run against
// toCrawleeStorageClient on each of our clients instead of Crawlee's MemoryStorage. Changes: the
// storage is made by useAdaptedStorage; temporary folders and the memory-storage imports are gone;
// fake timers fake only Date (the cloud client's HTTP needs real timers; lock expiry reads Date).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi, vitest } from 'vitest';
import { CLIENT_CASES } from '../fixtures/clients.js';
import { useAdaptedStorage } from './storage.js';

import type { DatasetClient } from '@crawlee/types';

const elements = Array.from({ length: 10 }, (_, i) => ({ number: i }));

describe.each(CLIENT_CASES)('on the $name client', (clientCase) => {
describe('Dataset#listItems respects the desc option', () => {
    const storage = useAdaptedStorage(clientCase);

    let dataset: DatasetClient;


    beforeAll(async () => {
        const { id: falseDatasetId } = await storage.datasets().getOrCreate('false');
        dataset = storage.dataset(falseDatasetId);

        await dataset.pushItems(elements);
    });

    test('with desc: false', async () => {
        const result = await dataset.listItems({ desc: false, limit: 5 });

        expect(result.items).toHaveLength(5);
        expect(result.items).toStrictEqual(elements.slice(0, 5));
    });

    test('with desc: true', async () => {
        const result = await dataset.listItems({ desc: true, limit: 5 });

        expect(result.items).toHaveLength(5);
        expect(result.items).toStrictEqual(elements.slice().reverse().slice(0, 5));
    });

    test('with desc: false and offset: 2', async () => {
        const result = await dataset.listItems({ desc: false, limit: 5, offset: 2 });

        expect(result.items).toHaveLength(5);
        expect(result.items).toStrictEqual(elements.slice(2, 7));
    });

    test('with desc: true and offset: 2', async () => {
        const result = await dataset.listItems({ desc: true, limit: 5, offset: 2 });

        expect(result.items).toHaveLength(5);
        expect(result.items).toStrictEqual(elements.slice().reverse().slice(2, 7));
    });
});
});
