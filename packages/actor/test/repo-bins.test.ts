import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, packageDir, removeTempDirs, runAsync, tempDir, withoutNpmConfig } from './helpers.js';

// The README runs the bins as `npx x-actor …` and `npx x-storage-server …` in a clone of the
// repository. These run them the same way, from the repository's root, in child processes
// (`--no-install`: npx must find them in the workspace, never fetch a package of that name).
// An npx start reads the whole dependency tree of the workspace (seconds of CPU), and npm lets one
// npx at a time use its cache: only what is about npx goes through it.

afterAll(removeTempDirs);

const repoRoot = join(packageDir, '..', '..');
const versionOf = (pkg: string): string => (JSON.parse(readFileSync(join(repoRoot, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;

// One npx waits for another: 60 s for each, and for the tests that run them.
function npx(args: string[], env: Record<string, string> = {}) {
  return runAsync('npx', ['--no-install', ...args], { cwd: repoRoot, env: withoutNpmConfig(cleanEnv(env)), timeoutMs: 60_000 });
}

describe.concurrent('the bins in a clone of the repository', () => {
  it("the root package.json names both launchers as its bins, so npx finds them (without depending on the packages, which would put their files in every turbo task's hash)", () => {
    const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; devDependencies: Record<string, string> };
    expect(root.bin).toEqual({ 'x-actor': 'packages/actor/bin/x-actor.js', 'x-storage-server': 'packages/server/bin/x-storage-server.js' });
    expect(Object.values(root.devDependencies).filter((range) => range.startsWith('workspace:'))).toEqual([]);
  });

  it('npx x-actor --version and npx x-storage-server --version print the packages\' versions', async ({ expect }) => {
    // -v is the bin's own alias of --version: the launcher npx runs, started directly.
    const [actor, server, actorShort] = await Promise.all([
      npx(['x-actor', '--version']),
      npx(['x-storage-server', '--version']),
      runAsync(process.execPath, [join(repoRoot, 'packages', 'actor', 'bin', 'x-actor.js'), '-v'], { cwd: repoRoot }),
    ]);
    expect(actor).toMatchObject({ status: 0, stdout: `${versionOf('actor')}\n` });
    expect(server).toMatchObject({ status: 0, stdout: `${versionOf('server')}\n` });
    expect(actorShort).toMatchObject({ status: 0, stdout: `${versionOf('actor')}\n` });
  }, 60_000);

  it('npx x-actor storages works from the root, on the folder of CRAWLEE_STORAGE_DIR', async ({ expect }) => {
    const storageDir = tempDir('x-actor-bins-');
    const result = await npx(['x-actor', 'storages'], { CRAWLEE_STORAGE_DIR: storageDir });
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ status: 0, stdout: `No storages in ${storageDir}\n` });
  }, 60_000);
});

describe('a bin launcher before any build', () => {
  /** A copy of a package with its launcher and its sources but no dist/, as a fresh clone has it. */
  function unbuiltCopy(pkg: string, bin: string, withTsx: boolean): string {
    const dir = tempDir(`x-unbuilt-${pkg}-`);
    mkdirSync(join(dir, 'bin'));
    cpSync(join(repoRoot, 'packages', pkg, 'bin', `${bin}.js`), join(dir, 'bin', `${bin}.js`));
    cpSync(join(repoRoot, 'packages', pkg, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(repoRoot, 'packages', pkg, 'src'), join(dir, 'src'), 'dir');
    // tsx is found as the workspace's dev dependency is: in a node_modules above the bin.
    if (withTsx) symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return join(dir, 'bin', `${bin}.js`);
  }

  it('runs the TypeScript source through tsx, with the arguments and the exit code', async () => {
    const launcher = unbuiltCopy('actor', 'x-actor', true);
    const [version, bad] = await Promise.all([runAsync(process.execPath, [launcher, '--version'], { cwd: repoRoot }), runAsync(process.execPath, [launcher, 'export'], { cwd: repoRoot })]);
    expect(version).toMatchObject({ status: 0, stdout: `${versionOf('actor')}\n` });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('x-actor: export: give exactly one DATASET');
  });

  it('without tsx, says the package is not built and how to build it', async () => {
    const launcher = unbuiltCopy('actor', 'x-actor', false);
    const result = await runAsync(process.execPath, [launcher, '--version'], { cwd: tempDir() });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('x-actor: the package is not built (dist/cli.js is missing); run: npx -y pnpm@10 build\n');
  });

  it('the server launched from source stops with its launcher on SIGTERM', async () => {
    const launcher = unbuiltCopy('server', 'x-storage-server', true);
    const child = spawn(process.execPath, [launcher, '--port', '0'], { cwd: repoRoot, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v2/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', () => reject(new Error(`exited: ${out}`)));
      });
      expect((await fetch(`${url}/v2/datasets`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The server itself is gone too, not left behind by its launcher.
      await expect(fetch(`${url}/v2/datasets`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
