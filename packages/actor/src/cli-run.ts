import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { KeyValueStore, purgeDefaultStorages, setDefaultStorageClient, setDefaultStorageIds } from '@x/core';
import { CliUsageError } from './cli-args.js';
import { resolveConfig, type ActorConfig } from './config.js';
import { createFsClient } from './load-client.js';

/** Options of {@link runActor}. */
export interface RunActorOptions {
  readonly purge: boolean;
  /** The input: a JSON text or a file holding one. */
  readonly input: string | undefined;
  /** The command to run; default `npm start`. */
  readonly argv: readonly string[];
}

async function readInput(input: string): Promise<unknown> {
  try {
    return JSON.parse(input) as unknown;
  } catch (error) {
    if (/^\s*[[{"]/.test(input)) throw new CliUsageError(`run: --input is not valid JSON: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = await readFile(input, 'utf8');
  } catch {
    throw new CliUsageError(`run: --input is neither JSON nor a readable file: ${input}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliUsageError(`run: the input file ${input} is not valid JSON: ${(error as Error).message}`);
  }
}

const INSTEAD = 'or give the command to run after "--", e.g. x-actor run -- node main.js';

/**
 * Checks that `npm start` can start something in `cwd` (a `start` script, or a `server.js`, which
 * npm starts by default), so a project without one gets a usage error that says what to do
 * instead of npm's own error; nothing is written before.
 */
export async function assertStartable(cwd: string): Promise<void> {
  // npm uses the nearest package.json, in this folder or above.
  let project = cwd;
  while (!existsSync(join(project, 'package.json'))) {
    const parent = dirname(project);
    if (parent === project) {
      throw new CliUsageError(`run: there is no package.json in ${cwd} or above to "npm start": run x-actor in your Actor's folder, ${INSTEAD}`);
    }
    project = parent;
  }
  const manifest = join(project, 'package.json');
  let scripts: unknown;
  try {
    scripts = (JSON.parse(await readFile(manifest, 'utf8')) as { scripts?: unknown }).scripts;
  } catch (error) {
    throw new CliUsageError(`run: ${manifest} cannot be read as JSON: ${(error as Error).message}`);
  }
  const start = typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>)['start'] : undefined;
  if ((typeof start !== 'string' || start.trim() === '') && !existsSync(join(project, 'server.js'))) {
    throw new CliUsageError(`run: ${manifest} has no "start" script to run: add one, such as "start": "node main.js", ${INSTEAD}`);
  }
}

/** Prepares the local storages (purge, input) for a run and returns the configuration. */
export async function prepareRun(options: Pick<RunActorOptions, 'purge' | 'input'>): Promise<ActorConfig> {
  const input = options.input === undefined ? undefined : await readInput(options.input);
  const config = resolveConfig();
  const client = await createFsClient(config.storageDir);
  setDefaultStorageIds({ dataset: config.defaultDatasetId, keyValueStore: config.defaultKeyValueStoreId, requestQueue: config.defaultRequestQueueId });
  setDefaultStorageClient(client);
  if (options.purge) await purgeDefaultStorages(client, { inputKey: config.inputKey });
  if (input !== undefined) {
    const store = await KeyValueStore.open({ storageClient: client });
    await store.setValue(config.inputKey, input, { contentType: 'application/json; charset=utf-8' });
  }
  await client.close();
  return config;
}

/**
 * `x-actor run`: writes the input, purges when asked, then runs the command in the current folder
 * with `CRAWLEE_STORAGE_DIR` set, and resolves to its exit code.
 */
export async function runActor(options: RunActorOptions): Promise<number> {
  if (options.argv.length === 0) await assertStartable(process.cwd());
  const config = await prepareRun(options);
  const [command, ...args] = options.argv.length > 0 ? options.argv : ['npm', 'start'];
  const env = { ...process.env, CRAWLEE_STORAGE_DIR: config.storageDir };
  const child = spawn(command!, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  // Ctrl+C reaches the child from the terminal too: let it end on its own and report its code.
  const onInterrupt = (): void => undefined;
  const onTerminate = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'ENOENT' ? new Error(`run: command not found: ${command}`) : error);
      });
      child.once('exit', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal ? (constants.signals[signal] ?? 1) : 1));
      });
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  }
}
