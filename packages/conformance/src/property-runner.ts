import { relative } from 'node:path';
import { StorageError, releaseStorages, type StorageClient, type StorageErrorCode } from '@x/core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ConformanceOptions } from './suite-context.js';

/** Random sequences each property tries when neither the client's options nor `FC_NUM_RUNS` say. */
export const DEFAULT_PROPERTY_RUNS = 40;
/** Most commands in one random sequence. */
export const MAX_COMMANDS = 30;
/**
 * A property stops trying new sequences (and passes, if none failed) after this long, so a slow
 * machine cannot blow the CI budget; `FC_TIME_LIMIT_MS` changes it. Shrinking a failure is cut at
 * the same limit, and the smallest failing sequence found so far is reported.
 */
const DEFAULT_TIME_LIMIT_MS = 30_000;

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

/** What `FC_SEED`, `FC_PATH`, `FC_NUM_RUNS` and `FC_TIME_LIMIT_MS` ask for. */
interface PropertySettings {
  readonly numRuns: number;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly timeLimitMs: number;
}

function propertySettings(defaultRuns: number): PropertySettings {
  const seed = envInteger('FC_SEED');
  const path = process.env['FC_PATH'] || undefined;
  return {
    // A path replays one counterexample: one run is enough.
    numRuns: envInteger('FC_NUM_RUNS') ?? (path === undefined ? defaultRuns : 1),
    seed,
    path,
    timeLimitMs: envInteger('FC_TIME_LIMIT_MS') ?? DEFAULT_TIME_LIMIT_MS,
  };
}

/**
 * Constraints of `fc.commands`: sequences of up to {@link MAX_COMMANDS} commands, spread over the
 * whole range (fast-check's default size keeps them under 10), and the shrinker's replay path from
 * `FC_REPLAY_PATH` (printed with a failing sequence as `replayPath`).
 */
export function commandConstraints(): fc.CommandsContraints {
  const replayPath = process.env['FC_REPLAY_PATH'];
  return { maxCommands: MAX_COMMANDS, size: 'max', ...(replayPath ? { replayPath } : {}) };
}

/**
 * Defines a vitest test that checks a fast-check property. On failure the error names the seed,
 * path and replay path to replay it (`FC_SEED=… FC_PATH=… FC_REPLAY_PATH=…`) and shows the shrunk
 * counterexample (the command sequence, each command by its `toString`) and the error its last step
 * threw, with vitest's diff.
 */
export function propertyTest<Ts>(name: string, runs: number, property: () => fc.IAsyncProperty<Ts>): void {
  const settings = propertySettings(runs);
  // Generous: the time limit ends the runs, this only catches a hung client.
  const timeout = settings.timeLimitMs * 2 + 60_000;
  it(
    name,
    async () => {
      const details = await fc.check(property(), {
        numRuns: settings.numRuns,
        interruptAfterTimeLimit: settings.timeLimitMs,
        markInterruptAsFailure: false,
        ...(settings.seed === undefined ? {} : { seed: settings.seed }),
        ...(settings.path === undefined ? {} : { path: settings.path }),
      });
      if (!details.failed) {
        if (details.interrupted) console.warn(`${name}: stopped by the time limit after ${details.numRuns} of ${settings.numRuns} sequences`);
        return;
      }
      const testFile = expect.getState().testPath;
      const report = fc.defaultReportMessage(details) ?? 'The property failed';
      // A command sequence replays only with the shrinker's replay path too (printed in the counterexample).
      const replayPath = /replayPath="([^"]*)"/.exec(report)?.[1];
      const replay = replayPath === undefined ? '' : ` FC_REPLAY_PATH=${JSON.stringify(replayPath)}`;
      const rerun = `Rerun just this case: FC_SEED=${details.seed} FC_PATH=${JSON.stringify(details.counterexamplePath ?? '')}${replay} npx vitest run ${testFile === undefined ? '<test file>' : relative(process.cwd(), testFile)} -t ${JSON.stringify(name)}`;
      const cause = details.errorInstance;
      const summary = `${name}\n${rerun}\n\n${report}`;
      if (cause instanceof Error) {
        // Thrown as it is (with the property's report in front), so vitest shows its diff.
        cause.message = `${summary}\n\nThe step that failed: ${cause.message}`;
        throw cause;
      }
      throw new Error(`${summary}\n\nThe step that failed threw: ${String(cause)}`);
    },
    timeout,
  );
}

/** The number of runs of the properties of a client: its `propertyRuns`, else {@link DEFAULT_PROPERTY_RUNS}. */
export function runsFor(options: ConformanceOptions): number {
  return options.propertyRuns ?? DEFAULT_PROPERTY_RUNS;
}

/**
 * A fresh client for one run of a property, with the clients reopened over it; {@link dispose}
 * closes them all and hands the first to the suite's `destroyClient`.
 */
export class ClientUnderTest {
  readonly original: StorageClient;
  #current: StorageClient;
  readonly #reopened: StorageClient[] = [];
  readonly #options: ConformanceOptions;

  private constructor(options: ConformanceOptions, client: StorageClient) {
    this.#options = options;
    this.original = client;
    this.#current = client;
  }

  static async create(options: ConformanceOptions): Promise<ClientUnderTest> {
    return new ClientUnderTest(options, await options.createClient());
  }

  /** The client the next steps use: the original, or the last reopened one. */
  get current(): StorageClient {
    return this.#current;
  }

  /**
   * Ends the current client as a process that exits would (`close()`: pending writes are flushed)
   * and makes a new client over the same storage with the suite's `reopenClient`.
   */
  async reopen(): Promise<StorageClient> {
    const reopenClient = this.#options.reopenClient;
    if (!reopenClient) throw new Error('reopen() needs the suite option reopenClient');
    await releaseStorages(this.#current);
    await this.#current.close();
    const client = await reopenClient(this.original);
    this.#reopened.push(client);
    this.#current = client;
    return client;
  }

  async dispose(): Promise<void> {
    for (const client of [this.original, ...this.#reopened]) {
      await releaseStorages(client);
      await client.close();
    }
    await this.#options.destroyClient?.(this.original);
  }
}

/** What an action did: its value, or the error it threw. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Runs `action` and gives its value or error. */
export async function attempt<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeError(error: unknown): string {
  if (StorageError.is(error)) return `StorageError "${error.code}": ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Asserts that `outcome` is the `code` error the model predicts. */
export function expectErrorOutcome(outcome: Outcome<unknown>, code: StorageErrorCode, step: string): void {
  if (outcome.ok) expect.fail(`${step}: the model predicts a StorageError "${code}", but the call succeeded with ${JSON.stringify(outcome.value)}`);
  if (!StorageError.is(outcome.error, code)) expect.fail(`${step}: the model predicts a StorageError "${code}", got ${describeError(outcome.error)}`);
}

/** Asserts that `outcome` succeeded, as the model predicts, and gives its value. */
export function expectValueOutcome<T>(outcome: Outcome<T>, step: string): T {
  if (!outcome.ok) expect.fail(`${step}: the model predicts success, got ${describeError(outcome.error)}`);
  return outcome.value;
}

/** The strings sorted as keys and ids sort: by UTF-16 code units. */
export function sortedByCodeUnits(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Makes fast-check print a command as `name(arg, …)`. */
export function describeCommand(name: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${fc.stringify(value)}`);
  return `${name}(${parts.join(', ')})`;
}

const jsonKey = fc.string({ minLength: 1, maxLength: 5 }).filter((key) => key !== '__proto__');
const jsonLeaf = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 6, unit: 'grapheme' }), fc.boolean(), fc.constant(null));
/** Small plain JSON objects (no -0, no undefined, no null prototype: what JSON gives back). */
export const jsonObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  jsonKey,
  fc.oneof(
    { arbitrary: jsonLeaf, weight: 4 },
    { arbitrary: fc.array(jsonLeaf, { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.dictionary(jsonKey, jsonLeaf, { maxKeys: 2, noNullPrototype: true }), weight: 1 },
  ),
  { maxKeys: 3, noNullPrototype: true },
);
