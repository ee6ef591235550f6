import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, repoRoot, run } from './repo.js';

// Every published package as npm would pack it: README, LICENSE, the build with source maps that
// resolve to the shipped sources, no tests.

const packages = publishedPackages();
const rootLicense = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

interface PackResult {
  readonly files: { readonly path: string }[];
}

let packing: Promise<Map<string, string[]>> | undefined;

/**
 * The files `npm pack` would put in the tarball of the package in `dir` (one `npm pack --dry-run`
 * for every package, as starting npm takes a while).
 *
 * npm packs a copy of each package folder without its `node_modules`: in the workspace, npm
 * would read the whole tree of dependencies behind pnpm's links to look for bundled ones, which
 * takes seconds per package, and a package that bundles none (checked here) packs the same files
 * either way (the same tarball, byte for byte).
 */
async function packedFiles(dir: string): Promise<string[]> {
  packing ??= (async () => {
    for (const { manifest } of packages) expect(manifest.bundleDependencies ?? manifest.bundledDependencies, manifest.name).toBeUndefined();
    const copies = mkdtempSync(join(tmpdir(), 'x-pack-copies-'));
    made.push(copies);
    for (const { dir: from } of packages) {
      const modules = join(from, 'node_modules');
      cpSync(from, join(copies, basename(from)), { recursive: true, verbatimSymlinks: true, filter: (source) => source !== modules });
    }
    const folders = packages.map((p) => `./${basename(p.dir)}`);
    const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...folders], { cwd: copies });
    expect(result.status, result.stderr).toBe(0);
    const packs = JSON.parse(result.stdout) as (PackResult & { name: string })[];
    return new Map(packs.map((pack) => [pack.name, pack.files.map((file) => file.path).sort()]));
  })();
  const name = packages.find((p) => p.dir === dir)!.manifest.name;
  return (await packing).get(name) ?? [];
}

describe('the repository', () => {
  it('has the Apache-2.0 LICENSE its manifests name, and at least the six packages', () => {
    expect(rootLicense.trimStart().startsWith('Apache License')).toBe(true);
    expect(rootLicense).toContain('Version 2.0, January 2004');
    expect(rootLicense).toContain('END OF TERMS AND CONDITIONS');
    expect(packages.map((p) => p.manifest.name)).toEqual(expect.arrayContaining(['@x/actor', '@x/cloud-client', '@x/core', '@x/fs-client', '@x/memory-client', '@x/server']));
  });
});

describe.each(packages.map((p) => [p.manifest.name, p] as const))('%s as packed', (name, { dir, manifest }) => {
  it('ships README.md, LICENSE, the build with its types, the sources the maps point to, and no tests', async () => {
    expect(existsSync(join(dir, 'dist', 'index.js')), `${name} is not built: run npx -y pnpm@10 build (the test command builds first)`).toBe(true);
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.engines?.['node']).toBe('>=20');
    const files = await packedFiles(dir);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'src/index.ts']));
    for (const bin of Object.values(manifest.bin ?? {})) expect(files).toContain(posix.normalize(bin));
    // Only the build, its sources, the bins and the three top files: no tests, fixtures or configs.
    const stray = files.filter((file) => !/^(dist|src|bin)\//.test(file) && !['LICENSE', 'README.md', 'package.json'].includes(file));
    expect(stray).toEqual([]);
    expect(files.filter((file) => /(^|\/)(test|tests|__tests__|fixtures)\/|\.test\.|tsconfig|vitest/.test(file))).toEqual([]);
    // The LICENSE is the repository's.
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(rootLicense);
    // Every source map (of the code and of the declarations) points to a source in the tarball.
    const maps = files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const shipped = new Set(files);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(shipped.has(posix.join(posix.dirname(map), source)), `${map} -> ${source}`).toBe(true);
    }
  }, 120_000);

  it('has a README that says what it is, how to install it, an example, and where the API reference is', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme.startsWith(`# ${name}\n`)).toBe(true);
    expect(readme).toMatch(new RegExp(`npm install [^\\n]*${name}( |\\n)`));
    expect(readme).toMatch(/```(ts|sh)\n/);
    expect(readme).toContain('ESM only');
    expect(readme).toContain('## API reference');
    expect(readme).toContain('docs/index.html');
  });
});

/**
 * The command that starts pnpm: the workspace's own (a root devDependency, the version of
 * `packageManager`), or else `npx -y pnpm@10`, which asks the registry first.
 */
function pnpmCommand(): [string, ...string[]] {
  try {
    const manifestPath = createRequire(join(repoRoot, 'package.json')).resolve('pnpm');
    const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
    return [process.execPath, join(dirname(manifestPath), bin['pnpm']!)];
  } catch {
    return ['npx', '-y', 'pnpm@10'];
  }
}

describe('a tarball made by pnpm pack', () => {
  it('has README.md and LICENSE, and the workspace: ranges replaced by versions', async () => {
    const actor = packages.find((p) => p.manifest.name === '@x/actor')!;
    const out = mkdtempSync(join(tmpdir(), 'x-pack-'));
    made.push(out);
    const [command, ...args] = pnpmCommand();
    const packed = await run(command, [...args, 'pack', '--pack-destination', out], { cwd: actor.dir, timeoutMs: 120_000 });
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = join(out, `x-actor-${actor.manifest.version}.tgz`);
    const listing = await run('tar', ['-tzf', tarball], { cwd: out });
    const entries = listing.stdout.trim().split('\n');
    expect(entries).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json', 'package/dist/index.js', 'package/bin/x-actor.js']));
    expect(entries.filter((entry) => entry.startsWith('package/test/'))).toEqual([]);
    const manifest = await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: dirname(tarball) });
    expect(manifest.stdout).not.toContain('workspace:');
    expect((JSON.parse(manifest.stdout) as { dependencies: Record<string, string> }).dependencies['@x/core']).toMatch(/^\^?\d+\.\d+\.\d+/);
  });
});
