/**
 * One consumer process of the cloud group's multi-process measurement (see `cloud-wire.ts`): opens
 * the queue through `@x/cloud-client`, says it is ready, and on "go" fetches and marks handled
 * until the queue is finished, then reports what it did and exits.
 *
 *   (forked by cloud-wire.ts) cloud-consumer.ts <baseUrl> <queueName>
 */
import { RequestQueue } from '@x/core';
import { CloudStorageClient } from '@x/cloud-client';

/** What a consumer reports when it is done. */
export interface ConsumerReport {
  readonly handled: number;
  readonly seconds: number;
}

const [baseUrl, queueName] = process.argv.slice(2);
if (!baseUrl || !queueName || !process.send) throw new Error('cloud-consumer.ts is forked by the benchmark: <baseUrl> <queueName>');
const client = new CloudStorageClient({ baseUrl, strongQueueConsistency: true });
const queue = await RequestQueue.open({ name: queueName, storageClient: client });
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send!('ready');
});
const start = performance.now();
let handled = 0;
for (;;) {
  const request = await queue.fetchNextRequest();
  if (request) {
    await queue.markRequestAsHandled(request);
    handled++;
  } else if (await queue.isFinished()) {
    break;
  } else {
    // Others still hold requests (in progress, or locked in their buffers).
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const report: ConsumerReport = { handled, seconds: (performance.now() - start) / 1000 };
await client.close();
process.send(report, () => process.exit(0));
