import { runConformanceSuite } from '@x/conformance';
import { Dataset, KeyValueStore, RequestQueue, type StorageClient } from '@x/core';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStorageClient } from '../src/index.js';
import { RedisTestCluster, deleteKeysOfPrefix, keysOfPrefix, redisBinariesAvailable, uniquePrefix } from './redis-servers.js';

// A Redis Cluster of three masters from the redis-server binary, on free loopback ports, for this file.
const cluster = redisBinariesAvailable('redis-client on a Redis Cluster') ? await RedisTestCluster.start() : undefined;
afterAll(() => cluster?.stop());

// Without the binaries the file still holds a (skipped) test: a file with none fails the run.
describe.skipIf(!cluster)('a Redis Cluster from redis-server', () => {
  it('starts', () => {});
});

if (cluster) {
  describe('a Redis Cluster of three masters', () => {
    it('spreads storages over the masters, each storage in one slot, and serves them all', async () => {
      const prefix = uniquePrefix('cluster');
      const client = new RedisStorageClient({ url: cluster.url, cluster: true, prefix });
      try {
        for (let i = 0; i < 12; i++) {
          const dataset = await Dataset.open({ name: `d${i}`, storageClient: client });
          await dataset.pushData({ i });
          const store = await KeyValueStore.open({ name: `k${i}`, storageClient: client });
          await store.setValue('v', Buffer.from([i, 255]));
          const queue = await RequestQueue.open({ name: `q${i}`, storageClient: client });
          await queue.addRequests([`https://example.com/${i}/a`, `https://example.com/${i}/b`]);
          const request = await queue.fetchNextRequest();
          await queue.markRequestAsHandled(request!);
        }
        // Keys are on every master, and all keys of one storage sit on one node under one hash tag.
        const byNode = await Promise.all(cluster.nodeUrls.map((url) => keysOfPrefix(prefix, [url])));
        expect(byNode.every((keys) => keys.length > 0)).toBe(true);
        const tagOf = (key: string): string => key.slice(0, key.indexOf('}') + 1);
        const nodesOfTag = new Map<string, Set<number>>();
        byNode.forEach((keys, node) => keys.forEach((key) => nodesOfTag.set(tagOf(key), (nodesOfTag.get(tagOf(key)) ?? new Set()).add(node))));
        expect([...nodesOfTag.values()].every((nodes) => nodes.size === 1)).toBe(true);
        expect(nodesOfTag.size).toBe(1 + 36);
        expect((await client.listRequestQueues()).map((m) => m.handledRequestCount)).toEqual(new Array(12).fill(1));
      } finally {
        await client.close();
        await deleteKeysOfPrefix(prefix, cluster.nodeUrls);
      }
    });
  });

  runConformanceSuite('redis cluster', {
    createClient: () => new RedisStorageClient({ url: cluster.url, cluster: true, prefix: uniquePrefix('cluster') }),
    reopenClient: (client) => new RedisStorageClient({ url: cluster.url, cluster: true, prefix: (client as RedisStorageClient).prefix }),
    async destroyClient(client: StorageClient) {
      await client.close();
      await deleteKeysOfPrefix((client as RedisStorageClient).prefix, cluster.nodeUrls);
    },
    // The same scripts as on one Redis (test/conformance.test.ts runs the properties 40 times);
    // here they prove the keys of each script share a slot, which a few sequences show as well.
    propertyRuns: 10,
  });
}
