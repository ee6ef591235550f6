import { Actor } from '@x/actor';
import { Request, type AddRequestResult, type StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log, type NamedStorages } from './run-alone.js';

/** The named storages this example opens. */
export const helloWorldStorages: NamedStorages = { keyValueStores: ['hello-store'], requestQueues: ['my-queue'] };

/** What the hello-world example did. */
export interface HelloWorldOutcome {
  /** Items of the default dataset after the push. */
  readonly datasetItems: Record<string, unknown>[];
  /** The id of the store created first, and the id of the store opened by that id. */
  readonly createdStoreId: string;
  readonly storeOpenedById: string;
  /** The record read back through the store opened by name (the same store). */
  readonly recordReadByName: unknown;
  /** What adding the request to the named queue reported, and the queue's request count. */
  readonly added: AddRequestResult;
  readonly queueName: string | undefined;
  readonly queueTotalCount: number;
}

/**
 * Example 1, the default storages hello world: push to the default dataset, write a record into a
 * store opened by its id (the id of a store created first, by name), add a request to a named queue.
 */
export async function helloWorld(storageClient: StorageClient, log: Log = quiet): Promise<HelloWorldOutcome> {
  await Actor.init({ storageClient });
  try {
    const dataset = await Actor.openDataset(); // the run's default dataset
    await dataset.pushData({ result: 'Hello, world!' });
    const { items } = await dataset.getData();
    log(`pushed to the default dataset "${dataset.id}": ${JSON.stringify(items)}`);

    // A store opened by id must exist: create one by name first, then open it by its id.
    const created = await Actor.openKeyValueStore({ name: 'hello-store' });
    const kvs = await Actor.openKeyValueStore({ id: created.id });
    await kvs.setValue('record', 'Hello, world!');
    const recordReadByName = await (await Actor.openKeyValueStore({ name: 'hello-store' })).getValue('record');
    log(`opened store "hello-store" by its id ${kvs.id}; set "record", read back by name: ${JSON.stringify(recordReadByName)}`);

    const rq = await Actor.openRequestQueue({ name: 'my-queue' });
    const added = await rq.addRequest(Request.fromUrl('https://apify.com'));
    const queueTotalCount = await rq.getTotalCount();
    log(`added ${added.uniqueKey} to queue "${rq.name}" (request id ${added.requestId}); the queue holds ${queueTotalCount} request(s)`);

    return {
      datasetItems: items,
      createdStoreId: created.id,
      storeOpenedById: kvs.id,
      recordReadByName,
      added,
      queueName: rq.name,
      queueTotalCount,
    };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('1. Hello world: default dataset, a store by id, a named queue', helloWorld, helloWorldStorages);
