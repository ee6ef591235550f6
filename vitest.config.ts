import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './vitest-sequencer.js';

// One vitest run over every workspace package that has tests; each has its own vitest.config.ts.
//
// Test files run in parallel, more of them than there are cores: most of their time is spent
// waiting on child processes, servers, the disk and timers rather than computing (vitest's default
// of cores - 1 runs one file at a time on a 2-core machine). VITEST_MAX_WORKERS overrides it.
const maxWorkers = Number(process.env['VITEST_MAX_WORKERS']) || Math.max(2, availableParallelism() * 2);

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
    maxWorkers,
    // The longest files first, across projects: the run does not wait at its end for one that started late.
    sequence: { sequencer: LongestFirstSequencer },
  },
});
