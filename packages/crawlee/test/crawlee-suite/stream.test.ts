// @ts-nocheck -- ported as Crawlee wrote it; its tests are not written for our strict compiler settings.
// Ported from Crawlee's tests (apify/crawlee v3.18.1, packages/memory-storage/test/key-value-store/stream.test.ts, Apache-2.0), run against
// toCrawleeStorageClient on each of our clients instead of Crawlee's MemoryStorage. Changes: the
// storage is made by useAdaptedStorage; temporary folders and the memory-storage imports are gone;
// fake timers fake only Date (the cloud client's HTTP needs real timers; lock expiry reads Date).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi, vitest } from 'vitest';
import { CLIENT_CASES } from '../fixtures/clients.js';
import { useAdaptedStorage } from './storage.js';
import { Readable } from 'node:stream';


describe.each(CLIENT_CASES)('on the $name client', (clientCase) => {
describe('KeyValueStore should drain streams when setting records', () => {
    const storage = useAdaptedStorage(clientCase);

    const fsStream = Readable.from([Buffer.from('hello'), Buffer.from('world')]);

    test('should drain stream', async () => {
        const defaultStoreInfo = await storage.keyValueStores().getOrCreate('default');
        const defaultStore = storage.keyValueStore(defaultStoreInfo.id);

        await defaultStore.setRecord({ key: 'streamz', value: fsStream, contentType: 'text/plain' });

        expect(fsStream.destroyed).toBeTruthy();

        const record = await defaultStore.getRecord('streamz');
        expect(record!.value.toString('utf8')).toEqual('helloworld');
    });
});
});
