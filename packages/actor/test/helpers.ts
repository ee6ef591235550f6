import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The folder of the @x/actor package. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The tsx loader as a file URL, so `--import` finds it from any working folder. */
export const tsxUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Node arguments that run TypeScript sources of the workspace (the `@x/source` condition). */
export const nodeTsArgs = ['--conditions=@x/source', '--import', tsxUrl];

/**
 * The path of `file` in the build of the workspace package `pkg` (`dist/`), failing with what to do
 * when it is not there. Tests of how a program behaves in its own process start the build: a
 * child started through tsx compiles the TypeScript sources at every start, which costs seconds of
 * CPU on a small machine. The test command builds every package before it runs the tests.
 */
export function built(pkg: string, file = 'index.js'): string {
  const path = join(packageDir, '..', pkg, 'dist', file);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: this test runs the built package @x/${pkg}; build it first with npx -y pnpm@10 build (the test command, npx -y pnpm@10 test, builds before it tests)`);
  }
  return path;
}

/**
 * Node arguments that start the `x-actor` bin as an installed package runs it: its build, with the
 * builds of the packages it loads (checked to be there; `x-actor ui` also loads @x/server's).
 */
export function builtCliArgs(): string[] {
  built('core');
  built('fs-client');
  return [built('actor', 'cli.js')];
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

interface EsbuildPluginBuild {
  onResolve(options: { filter: RegExp }, callback: () => { path: string; external: boolean }): void;
}

let actorFixture: Promise<string> | undefined;

/**
 * `test/fixtures/main-actor.ts` as one ES module in a temporary folder that imports the build of
 * @x/actor, so a child runs it with plain node. esbuild (which tsx, a root devDependency, brings)
 * compiles it once per test file.
 */
export function builtActorFixture(): Promise<string> {
  actorFixture ??= (async () => {
    const actorUrl = pathToFileURL(built('actor')).href;
    built('core');
    built('fs-client');
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx'))('esbuild') as Esbuild;
    const outfile = join(tempDir('x-actor-fixture-'), 'main-actor.mjs');
    await esbuild.build({
      entryPoints: [join(packageDir, 'test', 'fixtures', 'main-actor.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [
        {
          name: 'built-actor',
          setup(build: EsbuildPluginBuild) {
            build.onResolve({ filter: /^@x\/actor$/ }, () => ({ path: actorUrl, external: true }));
          },
        },
      ],
    });
    return outfile;
  })();
  return actorFixture;
}

const made: string[] = [];

/** A new empty temporary folder (its real path), removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'x-actor-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Environment without the variables the Actor reads, so the tests' own settings are the only ones. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(APIFY_|ACTOR_|CRAWLEE_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * `env` without the `npm_config_*` variables a package manager running the tests sets (pnpm's are
 * unknown to npm, which warns about them on stderr), for children that run npm or npx.
 */
export function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^npm_config_/i.test(key)));
}

/** Runs node with the given arguments and waits for it. */
export function runNode(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

/** What a finished child process gave. */
export interface ChildResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking, so several can run at once (killed after `timeoutMs`, 30 s by default). */
export function runAsync(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs the `x-actor` bin from the build (see {@link builtCliArgs}). */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return runAsync(process.execPath, [...builtCliArgs(), ...args], options);
}
