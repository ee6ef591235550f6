import { describe } from 'vitest';
import { defineDatasetCases } from './dataset-cases.js';
import { defineKeyValueStoreCases } from './key-value-store-cases.js';
import { definePropertyCases } from './property-cases.js';
import { defineRequestLockCases } from './request-lock-cases.js';
import { defineRequestQueueCases } from './request-queue-cases.js';
import { defineStorageCases } from './storage-cases.js';
import { createSuiteContext, type ConformanceOptions } from './suite-context.js';

/**
 * Defines the conformance suite of a storage client: every case of the storage contract, run
 * through the user-facing `Dataset`, `KeyValueStore` and `RequestQueue` of `@x/core` (and the raw
 * client contract where that says more). Call it once, at the top level of a vitest test file:
 *
 * ```ts
 * import { runConformanceSuite } from '@x/conformance';
 * runConformanceSuite('memory', { createClient: () => new MemoryStorageClient() });
 * ```
 *
 * Every test gets a fresh client from `createClient` and hands it to `destroyClient` when done.
 * Cases a client cannot do (see its `capabilities`) are skipped, not failed. The property tests
 * (see `property-cases.ts`) make a fresh client for each random sequence they try.
 */
export function runConformanceSuite(name: string, options: ConformanceOptions): void {
  describe(`conformance: ${name}`, async () => {
    // The capabilities decide which cases are skipped, so read them from a probe client first.
    const probe = await options.createClient();
    const capabilities = { ...probe.capabilities };
    await options.destroyClient?.(probe);
    const ctx = createSuiteContext(options, capabilities);
    defineStorageCases(ctx);
    defineDatasetCases(ctx);
    defineKeyValueStoreCases(ctx);
    defineRequestQueueCases(ctx);
    defineRequestLockCases(ctx);
    definePropertyCases(ctx);
  });
}
