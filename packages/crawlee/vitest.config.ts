import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Vitest hands the SSR conditions to its workers as `node --conditions …`, where `import` applies
// to require() too: a CommonJS package that requires itself (Crawlee's `@crawlee/core`, used by
// the Crawlee compatibility tests) then loads its ES wrapper in a cycle and fails to load. Node
// adds `import` to ES imports by itself, so this project leaves it out.
const ssrConditions = sharedConfig.ssr.resolve.conditions.filter((condition) => condition !== 'import');

export default mergeConfig(
  { ...sharedConfig, ssr: { ...sharedConfig.ssr, resolve: { ...sharedConfig.ssr.resolve, conditions: ssrConditions } } },
  defineProject({ test: { name: '@x/crawlee' } }),
);
