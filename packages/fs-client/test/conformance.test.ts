import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformanceSuite } from '@x/conformance';
import { FileSystemStorageClient } from '../src/index.js';

const dirs = new WeakMap<object, string>();

runConformanceSuite('fs', {
  createClient: () => {
    const storageDir = mkdtempSync(join(tmpdir(), 'x-fs-conformance-'));
    const client = new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
    dirs.set(client, storageDir);
    return client;
  },
  reopenClient: (client) => new FileSystemStorageClient({ storageDir: (client as FileSystemStorageClient).storageDir, logger: { warn: () => {} } }),
  // Request locks live in the process: after a reopen, locked requests are pending again.
  reopenKeepsRequestLocks: false,
  // Found by the queue property; the fix belongs to the fs lock code (FsRequestQueue#placeAgain).
  // Remove it from the list once fixed to turn its checks back on.
  propertyRuns: 150,
  destroyClient: (client) => {
    const dir = dirs.get(client);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
