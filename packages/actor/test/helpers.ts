import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
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

/** The bin, run from its TypeScript source. */
export const cliArgs = [...nodeTsArgs, join(packageDir, 'src', 'cli.ts')];

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

/** Runs a command without blocking, so several can run at once. */
export function runAsync(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs the `x-actor` bin from its source. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return runAsync(process.execPath, [...cliArgs, ...args], options);
}
