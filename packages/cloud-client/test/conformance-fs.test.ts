import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformanceSuite } from '@x/conformance';
import { FileSystemStorageClient } from '@x/fs-client';
import { startServer, type RunningServer } from '@x/server';
import { CloudStorageClient } from '../src/index.js';
import { FAST, TEST_TOKEN } from './helpers.js';

const servers = new WeakMap<CloudStorageClient, { server: RunningServer; dir: string; storage: FileSystemStorageClient }>();

// Each test gets a fresh server on loopback keeping its storages on disk in a temporary directory.
runConformanceSuite('cloud → server (fs)', {
  async createClient() {
    const dir = await mkdtemp(join(tmpdir(), 'x-cloud-fs-'));
    const storage = new FileSystemStorageClient({ storageDir: dir });
    const server = await startServer({ storageClient: storage, token: TEST_TOKEN });
    const client = new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
    servers.set(client, { server, dir, storage });
    return client;
  },
  async destroyClient(client) {
    await (client as CloudStorageClient).close();
    const entry = servers.get(client as CloudStorageClient);
    if (!entry) return;
    await entry.server.close();
    // The fs client writes metadata shortly after a change: close it (its last writes done, its
    // timers ended) before its folder is removed, or a late write lands in a folder being removed.
    await entry.storage.close();
    await rm(entry.dir, { recursive: true, force: true });
  },
  // Every step of a property makes a dozen HTTP calls, and the model's logic under them is the
  // memory and fs clients' (300 and 150 sequences in their own suites): these sequences check the
  // HTTP path (every call, its parameters and answers), which 25 of up to 30 steps each exercise.
  propertyRuns: 25,
  reopenClient(client) {
    const { server } = servers.get(client as CloudStorageClient)!;
    return new CloudStorageClient({ ...FAST, baseUrl: server.url, token: TEST_TOKEN });
  },
});
