import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformanceSuite } from '@x/conformance';
import { FileSystemStorageClient } from '../src/index.js';

const dirs = new WeakMap<object, string>();
/** The clients reopened over each client's folder: closed with it, before the folder goes. */
const reopened = new WeakMap<object, FileSystemStorageClient[]>();

runConformanceSuite('fs', {
  createClient: () => {
    const storageDir = mkdtempSync(join(tmpdir(), 'x-fs-conformance-'));
    const client = new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
    dirs.set(client, storageDir);
    return client;
  },
  reopenClient: (client) => {
    const again = new FileSystemStorageClient({ storageDir: (client as FileSystemStorageClient).storageDir, logger: { warn: () => {} } });
    reopened.set(client, [...(reopened.get(client) ?? []), again]);
    return again;
  },
  // Request locks live in the process: after a reopen, locked requests are pending again.
  reopenKeepsRequestLocks: false,
  propertyRuns: 150,
  destroyClient: async (client) => {
    // Closed first: a metadata write due shortly after the last change must not race the removal.
    for (const again of reopened.get(client) ?? []) await again.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    const dir = dirs.get(client);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
