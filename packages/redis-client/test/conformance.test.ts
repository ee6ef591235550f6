import { runConformanceSuite } from '@x/conformance';
import type { StorageClient } from '@x/core';
import { RedisStorageClient } from '../src/index.js';
import { REDIS_URL, deleteKeysOfPrefix, sharedRedisAvailable, uniquePrefix } from './redis-servers.js';

if (await sharedRedisAvailable('redis-client conformance')) {
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
