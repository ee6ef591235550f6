import { describe } from 'vitest';
import { datasetProperty } from './dataset-properties.js';
import { keyValueStoreProperty } from './key-value-store-properties.js';
import { propertyTest, runsFor } from './property-runner.js';
import { defineQueueRegressions, queueProperty } from './queue-properties.js';
import type { SuiteContext } from './suite-context.js';

/**
 * The model-based property tests: random sequences of operations on a request queue, a key-value
 * store and a dataset (with reopens on persistent clients), compared after every step with a small
 * reference model. A failure prints the seed, the path and the shrunk sequence, and the line that
 * replays it (`FC_SEED=… FC_PATH=… FC_REPLAY_PATH=…`). `FC_NUM_RUNS` tries more (or fewer)
 * sequences than the client's `propertyRuns`. The counterexamples found so far are replayed as
 * fixed sequences on every client (skipped, by name, for a client that lists the bug as known).
 */
export function definePropertyCases(ctx: SuiteContext): void {
  const { options, capabilities } = ctx;
  const runs = runsFor(options);
  describe('properties', () => {
    propertyTest('request queue: random operations by several consumers match the model after every step', runs, () => queueProperty(options, capabilities));
    propertyTest('key-value store: random sets, deletes and listings match the model after every step', runs, () => keyValueStoreProperty(options, capabilities));
    propertyTest('dataset: random pushes and pages match the model after every step', runs, () => datasetProperty(options, capabilities));
    describe('request queue: sequences the property once failed on', () => defineQueueRegressions(options, capabilities));
  });
}
