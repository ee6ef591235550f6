import { fileURLToPath } from 'node:url';
import { prepareChildScripts } from '../../../test-support/child-scripts.js';

/**
 * Prepares the fixture `test/fixtures/<name>.ts` to run in child processes: the arguments of
 * `process.execPath` that run it, bundled into `outDir` (see {@link prepareChildScripts}; the
 * bundled sources keep their own `import.meta.url`, so the Lua scripts are found beside them): a
 * child starts on about a quarter of the CPU it takes through tsx's loader hooks.
 */
export async function prepareFixture(name: string, outDir: string): Promise<string[]> {
  const [args] = await prepareChildScripts([fileURLToPath(new URL(`fixtures/${name}.ts`, import.meta.url))], { outDir });
  return args!;
}
