import { KeyValueStore } from '@x/core';
import { describe, expect, it } from 'vitest';
import { dropNamedStore } from '../src/drop-named-store.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 2, drop a named store, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('writes two records, drops the store, and the store is gone', async () => {
    const outcome = await dropNamedStore(storageClient());
    expect(outcome.keysBeforeDrop).toEqual(['draft', 'notes']);
    expect(outcome.openByIdAfterDrop).toBe('not-found');
    expect(outcome.reopenedId).not.toBe(outcome.droppedId);
    expect(outcome.reopenedKeys).toEqual([]);
    // The example drops the store it reopened too: the name opens a third, empty store.
    const again = await KeyValueStore.open({ name: 'scratch-store', storageClient: storageClient() });
    expect([outcome.droppedId, outcome.reopenedId]).not.toContain(again.id);
    expect(await again.getValue('draft')).toBeNull();
  });
});
