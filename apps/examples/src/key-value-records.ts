import { Actor } from '@x/actor';
import type { StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log } from './run-alone.js';

/** What the key-value example did. */
export interface KeyValueRecordsOutcome {
  /** Each record as read back, with its content type in the store. */
  readonly greeting: { readonly value: unknown; readonly contentType: string | undefined };
  readonly state: { readonly value: unknown; readonly contentType: string | undefined };
  readonly report: { readonly value: unknown; readonly contentType: string | undefined };
  /** After `setValue('state', null)`: the value, whether the record exists, and `getValue` with a default. */
  readonly stateAfterDelete: unknown;
  readonly stateExistsAfterDelete: boolean;
  readonly stateWithDefault: unknown;
}

/**
 * Example 5: records of the default key-value store: text, JSON and an explicit `text/csv`, read
 * back as they were stored; then a record deleted by setting it to `null`.
 */
export async function keyValueRecords(storageClient: StorageClient, log: Log = quiet): Promise<KeyValueRecordsOutcome> {
  await Actor.init({ storageClient });
  try {
    // Actor.setValue and Actor.getValue use the run's default key-value store.
    await Actor.setValue('greeting', 'Hello, world!'); // a string: text/plain
    await Actor.setValue('state', { page: 3, seen: ['https://example.com/a', 'https://example.com/b'] }); // JSON
    await Actor.setValue('report', 'url,status\r\nhttps://example.com/a,200\r\n', { contentType: 'text/csv' });

    const store = await Actor.openKeyValueStore();
    const contentTypes = new Map<string, string>();
    for await (const { key, contentType } of store.iterateKeys()) contentTypes.set(key, contentType);
    const read = async (key: string): Promise<{ value: unknown; contentType: string | undefined }> => {
      const value = await Actor.getValue(key);
      log(`${key}: ${contentTypes.get(key)} → ${typeof value} ${JSON.stringify(value)}`);
      return { value, contentType: contentTypes.get(key) };
    };
    const greeting = await read('greeting');
    const state = await read('state');
    const report = await read('report');

    await Actor.setValue('state', null); // null (or undefined) deletes the record
    const stateAfterDelete = await Actor.getValue('state');
    const stateExistsAfterDelete = await store.recordExists('state');
    const stateWithDefault = await Actor.getValue('state', { page: 0 });
    log(
      `setValue('state', null) deleted it: getValue → ${JSON.stringify(stateAfterDelete)}, recordExists → ${stateExistsAfterDelete}, ` +
        `with a default → ${JSON.stringify(stateWithDefault)}`,
    );

    return { greeting, state, report, stateAfterDelete, stateExistsAfterDelete, stateWithDefault };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('5. Key-value records: text, JSON, CSV, delete by null', keyValueRecords);
