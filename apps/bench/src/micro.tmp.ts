import { CloudStorageClient } from '@x/cloud-client';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer } from '@x/server';
const server = await startServer({ storageClient: new MemoryStorageClient() });
const client = new CloudStorageClient({ baseUrl: server.url, strongQueueConsistency: true });
const kv = await client.openKeyValueStore({ kind: 'name', name: 'micro' });
const value = Buffer.from(JSON.stringify({ a: 1, b: 'hello world', c: [1, 2, 3] }));
async function run(label: string, n: number, op: (i: number) => Promise<unknown>) {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    best = Math.max(best, n / ((performance.now() - t) / 1000));
  }
  console.log(label, Math.round(best));
}
const n = Number(process.env.N ?? 5000);
await run('set', n, (i) => kv.setRecord({ key: `k${i % 500}`, body: value, contentType: 'application/json; charset=utf-8' } as never));
await run('get', n, (i) => kv.getRecord(`k${i % 500}`));
await client.close?.();
await server.close();
