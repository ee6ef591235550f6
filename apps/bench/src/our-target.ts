import { Dataset, KeyValueStore, RequestQueue, type StorageClient } from '@x/core';
import type { BenchTarget } from './target.js';

export interface OurTargetOptions {
  readonly key: string;
  readonly label: string;
  /** The storage client the core classes run on; one instance serves the whole run. */
  readonly storageClient: StorageClient;
  readonly goals?: Readonly<Record<string, number>>;
  /** See {@link BenchTarget.keepsStorages}. */
  readonly keepsStorages?: boolean;
  readonly dispose?: () => Promise<void>;
}

/**
 * Our user-level classes (`Dataset`, `KeyValueStore`, `RequestQueue` of `@x/core`) on a storage
 * client. They fit the bench surface as they are, so nothing wraps their calls.
 */
export function ourTarget(options: OurTargetOptions): BenchTarget {
  const { key, label, storageClient, goals, dispose, keepsStorages } = options;
  return {
    key,
    label,
    ...(keepsStorages === undefined ? {} : { keepsStorages }),
    ...(goals === undefined ? {} : { goals }),
    ...(dispose === undefined ? {} : { dispose }),
    openDataset: (name) => Dataset.open({ name, storageClient }),
    openKeyValueStore: (name) => KeyValueStore.open({ name, storageClient }),
    openRequestQueue: (name) => RequestQueue.open({ name, storageClient }),
  };
}
