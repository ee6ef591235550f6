import { runConformanceSuite } from '@x/conformance';
import type { StorageClient } from '@x/core';
import { describe, it } from 'vitest';
import { RedisStorageClient } from '../src/index.js';
import { REDIS_URL, deleteKeysOfPrefix, sharedRedisAvailable, uniquePrefix } from './redis-servers.js';

const available = await sharedRedisAvailable('redis-client conformance');
// Without Redis the file still holds a (skipped) test: a file with none fails the run.
describe.skipIf(!available)('the conformance suite on Redis', () => {
  it('runs when Redis answers', () => {});
});

if (available) {
  // Each client gets a prefix of its own on the shared Redis: a world of storages of its own.
  runConformanceSuite('redis', {
    createClient: () => new RedisStorageClient({ url: REDIS_URL, prefix: uniquePrefix('conformance') }),
    reopenClient: (client) => new RedisStorageClient({ url: REDIS_URL, prefix: (client as RedisStorageClient).prefix }),
    async destroyClient(client: StorageClient) {
      const { prefix } = client as RedisStorageClient;
      await client.close();
      await deleteKeysOfPrefix(prefix);
    },
  });
}
