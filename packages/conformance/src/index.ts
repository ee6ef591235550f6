/**
 * The conformance suite every storage client of `@x/core` runs: one call from a vitest test file
 * defines every case of the storage contract against that client.
 *
 * @packageDocumentation
 */
export { runConformanceSuite } from './run-conformance-suite.js';
export type { ConformanceOptions, KnownBug } from './suite-context.js';
