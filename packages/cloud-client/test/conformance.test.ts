import { runConformanceSuite } from '@x/conformance';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { CloudStorageClient } from '../src/index.js';
import { FAST, TEST_TOKEN } from './helpers.js';

const servers = new WeakMap<CloudStorageClient, RunningServer>();

// Each test gets a fresh memory-backed server on loopback and a cloud client talking to it.
runConformanceSuite('cloud → server (memory)', {
  async createClient() {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: TEST_TOKEN });
    const client = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    servers.set(client, server);
    return client;
  },
  async destroyClient(client) {
    await (client as CloudStorageClient).close();
    await servers.get(client as CloudStorageClient)?.close();
  },
  // Every step of a property makes a dozen HTTP calls, and the model's logic under them is the
  // memory and fs clients' (300 and 150 sequences in their own suites): these sequences check the
  // HTTP path (every call, its parameters and answers), which 25 of up to 30 steps each exercise.
  propertyRuns: 25,
  reopenClient(client) {
    const server = servers.get(client as CloudStorageClient)!;
    return new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
  },
});
