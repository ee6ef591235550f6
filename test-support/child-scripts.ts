// Test support shared by the packages' tests (imported by relative path; not a package).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** What esbuild gives a plugin (the part of it used here). */
interface PluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: string } | undefined>): void;
}

/**
 * In the workspace sources, `import.meta.url` is made the URL of the source file itself, as it is
 * when they run unbundled: the Redis client reads its Lua scripts beside its modules.
 */
const sourceFileUrls = {
  name: 'source-file-urls',
  setup(build: PluginBuild): void {
    build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)), loader: 'ts' };
    });
  },
};

/** Where and how {@link prepareChildScripts} bundles. */
export interface ChildScriptOptions {
  /** The folder the bundles are written to (an entry `<name>.ts` becomes `<name>.mjs`). */
  readonly outDir: string;
  /**
   * Packages left out of the bundle, found from `outDir` at run time (so `outDir` must then be
   * where node finds them, such as under the package's `node_modules/.cache`).
   */
  readonly external?: readonly string[];
}

/**
 * Prepares TypeScript scripts (`sources`, absolute paths) to run in child processes, and gives the
 * arguments of `node` that start each: the scripts bundled with the workspace sources into ES
 * modules in one esbuild build (esbuild comes with tsx, a root devDependency), so that a child
 * starts on a fraction of the CPU it takes through tsx's loader hooks. Modules imported
 * dynamically (the XLSX and XML exporters, two thirds of the code) go to chunks of their own,
 * which a child that never exports does not parse. When esbuild cannot be loaded, each script runs
 * through tsx's loader with the `@x/source` condition instead (slower to start, same behaviour).
 */
export async function prepareChildScripts(sources: readonly string[], options: ChildScriptOptions): Promise<string[][]> {
  const tsxEntry = createRequire(import.meta.url).resolve('tsx');
  let esbuild: Esbuild;
  try {
    esbuild = createRequire(tsxEntry)('esbuild') as Esbuild;
  } catch {
    return sources.map((source) => ['--import', pathToFileURL(tsxEntry).href, '--conditions=@x/source', source]);
  }
  await esbuild.build({
    entryPoints: [...sources],
    outdir: options.outDir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@x/source'],
    external: [...(options.external ?? [])],
    plugins: [sourceFileUrls],
    // CommonJS dependencies (mime-types, node-redis) require Node built-ins: give the bundle a `require`.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return sources.map((source) => [`${options.outDir}/${basename(source, '.ts')}.mjs`]);
}
