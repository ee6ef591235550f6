import { symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Prepares the fixture `test/fixtures/<name>.ts` to run in child processes: the arguments of
 * `process.execPath` that run it. Bundled with the workspace sources into one ES module in `outDir`
 * by esbuild (which tsx, a root devDependency, brings), a child starts on about a quarter of the
 * CPU it takes through tsx's loader hooks. Without esbuild, the fixture runs through tsx.
 */
export async function prepareFixture(name: string, outDir: string): Promise<string[]> {
  const source = fileURLToPath(new URL(`fixtures/${name}.ts`, import.meta.url));
  const tsxEntry = createRequire(import.meta.url).resolve('tsx');
  let esbuild: Esbuild;
  try {
    esbuild = createRequire(tsxEntry)('esbuild') as Esbuild;
  } catch {
    return ['--conditions=@x/source', '--import', pathToFileURL(tsxEntry).href, source];
  }
  const outfile = join(outDir, `${name}.mjs`);
  await esbuild.build({
    entryPoints: [source],
    outfile,
    // The libraries of the exporters that core imports on demand (XLSX, XML), over half of the code
    // and two thirds of the build time, are left out: the fixtures export nothing (an export
    // would fail to find them).
    external: ['exceljs', 'xmlbuilder2'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@x/source'],
    // CommonJS dependencies (node-redis) require Node built-ins: give the bundle a `require`.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  // src/lua-scripts.ts reads the scripts from `commands/` beside the module it is in.
  symlinkSync(fileURLToPath(new URL('../src/commands', import.meta.url)), join(outDir, 'commands'), 'dir');
  return [outfile];
}
