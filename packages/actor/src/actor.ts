import {
  Dataset,
  KeyValueStore,
  RequestQueue,
  StorageError,
  eventBus,
  getDefaultStorageClient,
  getDefaultStorageIds,
  purgeDefaultStorages,
  releaseStorages,
  setDefaultStorageClient,
  setDefaultStorageIds,
  type DatasetItem,
  type SetValueOptions,
  type StorageClient,
  type StorageEventName,
  type StorageEvents,
  type StorageKind,
} from '@x/core';
import { resolveConfig, type ActorConfig, type ActorConfigOptions } from './config.js';
import { createCloudClient, createFsClient } from './load-client.js';
import { Log, parseLogLevel } from './log.js';

/** Options of {@link Actor.init}: any {@link ActorConfigOptions} (they win over the environment), and a storage client. */
export interface ActorInitOptions extends ActorConfigOptions {
  /**
   * The client of the default storages, for example `new MemoryStorageClient()`. Default: the
   * cloud client when `APIFY_IS_AT_HOME` is set, else `@x/fs-client` in the storage folder.
   */
  readonly storageClient?: StorageClient | undefined;
}

/** Options of {@link Actor.exit} (those of the Apify SDK's `ExitOptions` but `timeoutSecs`). */
export interface ActorExitOptions {
  /** The process exit code; a non-zero one is set as `process.exitCode`. Default 0 (1 for {@link Actor.fail}). */
  readonly exitCode?: number | undefined;
  /**
   * Call `process.exit(exitCode)` once everything is saved. Default false: the process ends on its
   * own when nothing else keeps it alive (the Apify SDK's default is true).
   */
  readonly exit?: boolean | undefined;
  /** A last message to log at exit (as an error when `exitCode` is not 0). */
  readonly statusMessage?: string | undefined;
}

/** Options of {@link Actor.setStatusMessage}: the Apify SDK's `SetStatusMessageOptions`. */
export interface ActorStatusMessageOptions {
  /** The message is the run's last one. */
  readonly isStatusMessageTerminal?: boolean | undefined;
  /** The level it is logged at; default `INFO`. */
  readonly level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | undefined;
}

/** Options of {@link Actor.useState}: the Apify SDK's `UseStateOptions`. */
export interface ActorUseStateOptions {
  /** Keep the state in this named key-value store instead of the default one. */
  readonly keyValueStoreName?: string | undefined;
}

/**
 * The run's environment as the Apify SDK's `Actor.getEnv()` gives it: each variable by its
 * camel-case name, `null` when unset. Dates are parsed; `memoryMbytes` is a number.
 */
export interface ActorEnv {
  /** `ACTOR_ID` (`APIFY_ACTOR_ID`). */
  readonly actorId: string | null;
  /** `ACTOR_RUN_ID` (`APIFY_ACTOR_RUN_ID`). */
  readonly actorRunId: string | null;
  /** `ACTOR_TASK_ID` (`APIFY_ACTOR_TASK_ID`). */
  readonly actorTaskId: string | null;
  /** `ACTOR_BUILD_ID` (`APIFY_ACTOR_BUILD_ID`). */
  readonly actorBuildId: string | null;
  /** `APIFY_USER_ID`. */
  readonly userId: string | null;
  /** `APIFY_TOKEN`. */
  readonly token: string | null;
  /** `ACTOR_STARTED_AT` (`APIFY_STARTED_AT`). */
  readonly startedAt: Date | null;
  /** `ACTOR_TIMEOUT_AT` (`APIFY_TIMEOUT_AT`). */
  readonly timeoutAt: Date | null;
  /** `ACTOR_DEFAULT_KEY_VALUE_STORE_ID` (`APIFY_DEFAULT_KEY_VALUE_STORE_ID`). */
  readonly defaultKeyValueStoreId: string | null;
  /** `ACTOR_DEFAULT_DATASET_ID` (`APIFY_DEFAULT_DATASET_ID`). */
  readonly defaultDatasetId: string | null;
  /** `ACTOR_DEFAULT_REQUEST_QUEUE_ID` (`APIFY_DEFAULT_REQUEST_QUEUE_ID`). */
  readonly defaultRequestQueueId: string | null;
  /** `ACTOR_MEMORY_MBYTES` (`APIFY_MEMORY_MBYTES`). */
  readonly memoryMbytes: number | null;
  /** `APIFY_IS_AT_HOME`. */
  readonly isAtHome: string | null;
  /** `APIFY_API_BASE_URL`. */
  readonly apiBaseUrl: string | null;
  /** `ACTOR_INPUT_KEY` (`APIFY_INPUT_KEY`). */
  readonly inputKey: string | null;
  /** `APIFY_LOCAL_STORAGE_DIR`. */
  readonly localStorageDir: string | null;
  /** `APIFY_LOG_LEVEL`. */
  readonly logLevel: string | null;
}

/** Options of {@link Actor.main}: those of {@link Actor.init}, and whether the process is ended. */
export interface ActorMainOptions extends ActorInitOptions {
  /**
   * End the process with `process.exit()` when done: after a failure unless `false` (exit code 1),
   * after success only when `true` (exit code 0). Either way `process.exitCode` is 1 after a failure.
   */
  readonly exit?: boolean | undefined;
}

/** Options of {@link Actor.openDataset} and the other open calls: by `id` or `name`, and where. */
export interface ActorOpenOptions {
  /** Id of an existing storage. */
  readonly id?: string | undefined;
  /** Name of a storage; created when missing. */
  readonly name?: string | undefined;
  /** Open it in the cloud (`@x/cloud-client`, with the configured token and base URL) even when running locally. */
  readonly forceCloud?: boolean | undefined;
}

/**
 * What the open calls accept first: options, a plain string (an id or a name, as in the Apify SDK:
 * the storage with that id when there is one, else the one of that name), or nothing (`undefined`,
 * `null`) for the default storage.
 */
export type ActorOpenInput = ActorOpenOptions | string | undefined | null;

/** The second argument of the open calls, as in the Apify SDK's `Actor.openDataset(idOrName, { forceCloud })`. */
export interface ActorOpenStorageOptions {
  /** Open it in the cloud (`@x/cloud-client`) even when running locally; wins over `forceCloud` of the first argument. */
  readonly forceCloud?: boolean | undefined;
}

/** A listener of an Actor event. */
export type ActorEventListener<E extends StorageEventName> = (...args: StorageEvents[E]) => unknown;

interface RunState {
  readonly config: ActorConfig;
  readonly storageClient: StorageClient;
  readonly handle: ActorRun;
  readonly previousClient: StorageClient | undefined;
  readonly previousIds: Readonly<Record<StorageKind, string>>;
  timer: NodeJS.Timeout | undefined;
  persisting: Promise<void> | undefined;
  cloudClient: Promise<StorageClient> | undefined;
  exiting: Promise<void> | undefined;
}

let run: RunState | undefined;
let initializing: Promise<ActorRun> | undefined;

function currentRun(): RunState {
  if (!run) throw new StorageError('conflict', 'The Actor is not initialized: call Actor.init() first, or run your code in Actor.main()');
  return run;
}

function registeredClient(): StorageClient | undefined {
  try {
    return getDefaultStorageClient();
  } catch {
    return undefined;
  }
}

async function clientFor(state: RunState, forceCloud: boolean | undefined): Promise<StorageClient> {
  if (!forceCloud) return state.storageClient;
  state.cloudClient ??= createCloudClient({ token: state.config.token, baseUrl: state.config.apiBaseUrl });
  try {
    return await state.cloudClient;
  } catch (error) {
    state.cloudClient = undefined;
    throw error;
  }
}

/** The storage to open and where: what `Dataset.open()` and the others take, and `forceCloud`. */
function openInput(input: ActorOpenInput, options: ActorOpenStorageOptions | undefined): { target: string | { id?: string | undefined; name?: string | undefined }; forceCloud: boolean | undefined } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new StorageError('invalid-argument', 'The second argument of the open calls is { forceCloud? }');
  }
  if (input === undefined || input === null) return { target: {}, forceCloud: options?.forceCloud };
  if (typeof input === 'string') return { target: input, forceCloud: options?.forceCloud };
  if (typeof input !== 'object') throw new StorageError('invalid-argument', 'Open a storage with { id?, name?, forceCloud? }, an id or a name');
  return { target: { id: input.id, name: input.name }, forceCloud: options?.forceCloud ?? input.forceCloud };
}

function envValue(env: NodeJS.ProcessEnv, ...names: string[]): string | null {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

function envDate(env: NodeJS.ProcessEnv, ...names: string[]): Date | null {
  const value = envValue(env, ...names);
  const time = value === null ? Number.NaN : Date.parse(value);
  return Number.isNaN(time) || time <= 0 ? null : new Date(time);
}

function persistNow(state: RunState, isMigrating: boolean): Promise<void> {
  // One persist at a time: a slow one is not piled up by the next tick.
  state.persisting ??= eventBus
    .emitAndWait('persistState', { isMigrating })
    .finally(() => {
      state.persisting = undefined;
    });
  return state.persisting;
}

/**
 * The handle of a running Actor, as {@link Actor.init} gives it. `await using actor = await Actor.init()`
 * calls {@link Actor.exit} when the block ends. Its methods are those of {@link Actor}.
 */
export class ActorRun {
  /** The run's configuration. */
  readonly config: ActorConfig;
  /** The client of the default storages. */
  readonly storageClient: StorageClient;

  /** @internal */
  constructor(config: ActorConfig, storageClient: StorageClient) {
    this.config = config;
    this.storageClient = storageClient;
  }

  /** The Actor's logger. */
  get log(): Log {
    return Actor.log;
  }

  /** See {@link Actor.openDataset}. */
  openDataset(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<Dataset> {
    return Actor.openDataset(idOrName, options);
  }

  /** See {@link Actor.openKeyValueStore}. */
  openKeyValueStore(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<KeyValueStore> {
    return Actor.openKeyValueStore(idOrName, options);
  }

  /** See {@link Actor.openRequestQueue}. */
  openRequestQueue(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<RequestQueue> {
    return Actor.openRequestQueue(idOrName, options);
  }

  /** See {@link Actor.getValue}. */
  getValue<T = unknown>(key: string, defaultValue?: T): Promise<T | null> {
    return Actor.getValue<T>(key, defaultValue);
  }

  /** See {@link Actor.setValue}. */
  setValue(key: string, value: unknown, options?: SetValueOptions): Promise<void> {
    return Actor.setValue(key, value, options);
  }

  /** See {@link Actor.getInput}. */
  getInput<T = unknown>(): Promise<T | null> {
    return Actor.getInput<T>();
  }

  /** See {@link Actor.pushData}. */
  pushData(items: DatasetItem | readonly DatasetItem[]): Promise<void> {
    return Actor.pushData(items);
  }

  /** See {@link Actor.useState}. */
  useState<T = Record<string, unknown>>(name?: string, defaultValue?: T, options?: ActorUseStateOptions): Promise<T> {
    return Actor.useState<T>(name, defaultValue, options);
  }

  /** See {@link Actor.setStatusMessage}. */
  setStatusMessage(statusMessage: string, options?: ActorStatusMessageOptions): Promise<void> {
    return Actor.setStatusMessage(statusMessage, options);
  }

  /** See {@link Actor.exit}. */
  exit(messageOrOptions?: string | ActorExitOptions, options?: ActorExitOptions): Promise<void> {
    return Actor.exit(messageOrOptions, options);
  }

  /** See {@link Actor.fail}. */
  fail(messageOrOptions?: string | ActorExitOptions, options?: ActorExitOptions): Promise<void> {
    return Actor.fail(messageOrOptions, options);
  }

  /** Ends the run as {@link Actor.exit} does (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await Actor.exit();
  }
}

/**
 * The Actor: configuration from the environment, the run's default storages, convenience methods,
 * purge, events, and the choice of storage client (local `@x/fs-client`, or `@x/cloud-client` on
 * the platform and with `forceCloud`).
 *
 * ```ts
 * await Actor.main(async () => {
 *   const input = await Actor.getInput<{ url: string }>();
 *   await Actor.pushData({ url: input?.url });
 * });
 * ```
 */
export class Actor {
  private constructor() {}

  /** The Actor's logger; its level comes from the `logLevel` option, `APIFY_LOG_LEVEL` or `CRAWLEE_LOG_LEVEL`. */
  static readonly log: Log = new Log({
    level: parseLogLevel(process.env['APIFY_LOG_LEVEL'] || process.env['CRAWLEE_LOG_LEVEL'] || 'info') ?? 'info',
  });

  /**
   * Starts the run: reads the configuration, sets up the default storage client and the ids of the
   * default storages, purges them when asked (`purge`, `CRAWLEE_PURGE_ON_START`), and starts the
   * `persistState` events. Returns a handle that ends the run when disposed (`await using`).
   * Calling it again while running gives the same handle.
   */
  static async init(options: ActorInitOptions = {}): Promise<ActorRun> {
    if (run) {
      Actor.log.warning('Actor.init() was called again while the Actor is running; the options of the second call are ignored');
      return run.handle;
    }
    if (initializing) return initializing;
    initializing = Actor.#start(options);
    try {
      return await initializing;
    } finally {
      initializing = undefined;
    }
  }

  static async #start(options: ActorInitOptions): Promise<ActorRun> {
    const { storageClient: givenClient, ...configOptions } = options;
    const config = resolveConfig(configOptions);
    Actor.log.setLevel(config.logLevel);
    let storageClient: StorageClient;
    if (givenClient) storageClient = givenClient;
    else if (config.isAtHome) storageClient = await createCloudClient({ token: config.token, baseUrl: config.apiBaseUrl });
    else storageClient = await createFsClient(config.storageDir);
    const previousClient = registeredClient();
    const previousIds = getDefaultStorageIds();
    setDefaultStorageIds({
      dataset: config.defaultDatasetId,
      keyValueStore: config.defaultKeyValueStoreId,
      requestQueue: config.defaultRequestQueueId,
    });
    setDefaultStorageClient(storageClient);
    const state: RunState = {
      config,
      storageClient,
      handle: new ActorRun(config, storageClient),
      previousClient,
      previousIds,
      timer: undefined,
      persisting: undefined,
      cloudClient: config.isAtHome && !givenClient ? Promise.resolve(storageClient) : undefined,
      exiting: undefined,
    };
    run = state;
    try {
      if (config.purge && (givenClient || !config.isAtHome)) {
        Actor.log.debug('Purging the default storages');
        await purgeDefaultStorages(storageClient, { inputKey: config.inputKey });
      }
    } catch (error) {
      Actor.#restore(state);
      throw error;
    }
    state.timer = setInterval(() => {
      persistNow(state, false).catch((error: unknown) => Actor.log.exception(error, 'A persistState listener failed'));
    }, config.persistStateIntervalMillis);
    // The run ends with Actor.exit(); a forgotten exit must not keep the process alive forever.
    state.timer.unref();
    Actor.log.debug('Actor initialized', { storageClient: storageClient.name, storageDir: config.storageDir, isAtHome: config.isAtHome });
    return state.handle;
  }

  static #restore(state: RunState): void {
    if (state.timer) clearInterval(state.timer);
    state.timer = undefined;
    if (registeredClient() === state.storageClient) setDefaultStorageClient(state.previousClient);
    setDefaultStorageIds(state.previousIds);
    if (run === state) run = undefined;
  }

  /**
   * Ends the run: emits `persistState` (auto-saved values are written) and `exit`, and waits for
   * every listener; writes what the local storage client still holds; then unregisters the run's
   * storage client. With `exit: true` it ends the process with `exitCode`. Calling it when the
   * Actor is not running only sets the exit code. As in the Apify SDK, the first argument may be
   * the status message (`Actor.exit('Done')`), with the options second.
   */
  static async exit(messageOrOptions?: string | ActorExitOptions, moreOptions: ActorExitOptions = {}): Promise<void> {
    const options: ActorExitOptions =
      typeof messageOrOptions === 'string' ? { ...moreOptions, statusMessage: messageOrOptions } : { ...(messageOrOptions ?? {}), ...moreOptions };
    const exitCode = options.exitCode ?? 0;
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
      throw new StorageError('invalid-argument', `exitCode must be an integer from 0 to 255, got ${String(exitCode)}`);
    }
    if (exitCode !== 0) process.exitCode = exitCode;
    const state = run;
    let failure: unknown;
    if (state) {
      state.exiting ??= Actor.#finish(state, options.statusMessage, exitCode);
      try {
        await state.exiting;
      } catch (error) {
        failure = error;
      }
    }
    if (options.exit) process.exit(failure === undefined ? exitCode : exitCode || 1);
    if (failure !== undefined) throw failure;
  }

  /**
   * Ends the run as failed: {@link Actor.exit} with exit code 1 unless `exitCode` says otherwise,
   * the message logged as an error. The Apify SDK's `Actor.fail(messageOrOptions?, options?)`.
   */
  static async fail(messageOrOptions?: string | ActorExitOptions, options: ActorExitOptions = {}): Promise<void> {
    if (typeof messageOrOptions === 'string') return Actor.exit(messageOrOptions, { exitCode: 1, ...options });
    return Actor.exit({ exitCode: 1, ...(messageOrOptions ?? {}), ...options });
  }

  static async #finish(state: RunState, statusMessage: string | undefined, exitCode: number): Promise<void> {
    if (state.timer) clearInterval(state.timer);
    state.timer = undefined;
    const errors: unknown[] = [];
    try {
      if (state.persisting) await state.persisting.catch(() => undefined);
      await persistNow(state, false);
    } catch (error) {
      errors.push(error);
    }
    try {
      await eventBus.emitAndWait('exit');
    } catch (error) {
      errors.push(error);
    }
    // The run's stores stop saving auto-saved values (a later run must not write into its clients)
    // and its queues stop prolonging locks; then the clients write what they keep for later (the fs
    // client's metadata) and end their timers and connections.
    const cloudClient = await state.cloudClient?.catch(() => undefined);
    for (const client of new Set([state.storageClient, ...(cloudClient ? [cloudClient] : [])])) {
      await releaseStorages(client);
      try {
        await client.close();
      } catch (error) {
        errors.push(error);
      }
    }
    Actor.#restore(state);
    if (statusMessage !== undefined) {
      if (exitCode === 0) Actor.log.info(statusMessage);
      else Actor.log.error(statusMessage);
    }
    if (errors.length > 0) {
      for (const error of errors) Actor.log.exception(error, 'Saving the state at exit failed');
      throw errors[0];
    }
  }

  /**
   * Runs `fn` between {@link Actor.init} and {@link Actor.exit}. When `fn` (or init) throws, the
   * error is logged with {@link Actor.log}, the run is ended with exit code 1, and the process is
   * ended (unless `exit: false`). Resolves to what `fn` returned.
   */
  static async main<T>(fn: (run: ActorRun) => T | Promise<T>, options: ActorMainOptions = {}): Promise<T | undefined> {
    const { exit, ...initOptions } = options;
    let result: T;
    try {
      const handle = await Actor.init(initOptions);
      result = await fn(handle);
    } catch (error) {
      Actor.log.exception(error, 'The Actor failed');
      process.exitCode = 1;
      try {
        await Actor.exit({ exitCode: 1 });
      } catch {
        // Logged by exit().
      }
      if (exit !== false) process.exit(1);
      return undefined;
    }
    try {
      await Actor.exit();
    } catch {
      process.exitCode = 1;
      if (exit !== false) process.exit(1);
      return undefined;
    }
    if (exit === true) process.exit(0);
    return result;
  }

  /** True while the Actor runs (between init and exit). */
  static isInitialized(): boolean {
    return run !== undefined;
  }

  /** The configuration of the running Actor, or the one the environment gives when it is not running. */
  static getConfig(): ActorConfig {
    return run?.config ?? resolveConfig();
  }

  /** True when the Actor runs on the platform (`APIFY_IS_AT_HOME`): its default storages are in the cloud. */
  static isAtHome(): boolean {
    return Actor.getConfig().isAtHome;
  }

  /**
   * Opens a dataset: the default one, one by `id` or `name`, or by a string that is an id or a
   * name; with `forceCloud`, in the cloud. Both forms work: `Actor.openDataset({ name, forceCloud })`
   * and the Apify SDK's `Actor.openDataset(idOrName, { forceCloud })`.
   */
  static async openDataset(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<Dataset> {
    const { target, forceCloud } = openInput(idOrName, options);
    return Dataset.open(target, { storageClient: await clientFor(currentRun(), forceCloud) });
  }

  /**
   * Opens a key-value store: the default one, one by `id` or `name`, or by a string that is an id
   * or a name; with `forceCloud`, in the cloud (both forms as in {@link Actor.openDataset}).
   */
  static async openKeyValueStore(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<KeyValueStore> {
    const { target, forceCloud } = openInput(idOrName, options);
    return KeyValueStore.open(target, { storageClient: await clientFor(currentRun(), forceCloud) });
  }

  /**
   * Opens a request queue: the default one, one by `id` or `name`, or by a string that is an id or
   * a name; with `forceCloud`, in the cloud (both forms as in {@link Actor.openDataset}).
   */
  static async openRequestQueue(idOrName?: ActorOpenInput, options?: ActorOpenStorageOptions): Promise<RequestQueue> {
    const { target, forceCloud } = openInput(idOrName, options);
    return RequestQueue.open(target, { storageClient: await clientFor(currentRun(), forceCloud) });
  }

  /**
   * A state object that is saved for you, as the Apify SDK's `Actor.useState`: the value of the
   * record `name` (default `APIFY_GLOBAL_STATE`) of the default key-value store (or of the store
   * `keyValueStoreName`), else `defaultValue` (default `{}`); mutate it, and it is written on every
   * `persistState` event and at exit. Calling it again gives the same object.
   */
  static async useState<T = Record<string, unknown>>(name?: string, defaultValue?: T, options: ActorUseStateOptions = {}): Promise<T> {
    currentRun();
    const store = options.keyValueStoreName === undefined ? await Actor.openKeyValueStore() : await Actor.openKeyValueStore({ name: options.keyValueStoreName });
    return store.getAutoSavedValue<T>(name || 'APIFY_GLOBAL_STATE', defaultValue === undefined ? ({} as T) : defaultValue);
  }

  /**
   * Logs the run's status message, `[Status message]: …`, at `level` (default `INFO`), as the
   * Apify SDK does locally. Setting the message of a run on the Apify platform is not part of these
   * storages: there it is only logged too.
   */
  static async setStatusMessage(statusMessage: string, options: ActorStatusMessageOptions = {}): Promise<void> {
    if (typeof statusMessage !== 'string') throw new StorageError('invalid-argument', 'setStatusMessage() takes a string');
    currentRun();
    const line = `[Status message]: ${statusMessage}`;
    switch (options.level) {
      case 'DEBUG':
        Actor.log.debug(line);
        break;
      case 'WARNING':
        Actor.log.warning(line);
        break;
      case 'ERROR':
        Actor.log.error(line);
        break;
      default:
        Actor.log.info(line);
    }
  }

  /**
   * The Actor's environment variables by their camel-case names, as the Apify SDK's
   * `Actor.getEnv()` gives them (`null` when unset); the `ACTOR_` names win over the `APIFY_` ones.
   */
  static getEnv(env: NodeJS.ProcessEnv = process.env): ActorEnv {
    const memory = envValue(env, 'ACTOR_MEMORY_MBYTES', 'APIFY_MEMORY_MBYTES');
    const memoryMbytes = memory === null ? null : Number.parseInt(memory, 10);
    return {
      actorId: envValue(env, 'ACTOR_ID', 'APIFY_ACTOR_ID'),
      actorRunId: envValue(env, 'ACTOR_RUN_ID', 'APIFY_ACTOR_RUN_ID'),
      actorTaskId: envValue(env, 'ACTOR_TASK_ID', 'APIFY_ACTOR_TASK_ID'),
      actorBuildId: envValue(env, 'ACTOR_BUILD_ID', 'APIFY_ACTOR_BUILD_ID'),
      userId: envValue(env, 'APIFY_USER_ID'),
      token: envValue(env, 'APIFY_TOKEN'),
      startedAt: envDate(env, 'ACTOR_STARTED_AT', 'APIFY_STARTED_AT'),
      timeoutAt: envDate(env, 'ACTOR_TIMEOUT_AT', 'APIFY_TIMEOUT_AT'),
      defaultKeyValueStoreId: envValue(env, 'ACTOR_DEFAULT_KEY_VALUE_STORE_ID', 'APIFY_DEFAULT_KEY_VALUE_STORE_ID'),
      defaultDatasetId: envValue(env, 'ACTOR_DEFAULT_DATASET_ID', 'APIFY_DEFAULT_DATASET_ID'),
      defaultRequestQueueId: envValue(env, 'ACTOR_DEFAULT_REQUEST_QUEUE_ID', 'APIFY_DEFAULT_REQUEST_QUEUE_ID'),
      memoryMbytes: memoryMbytes === null || Number.isNaN(memoryMbytes) ? null : memoryMbytes,
      isAtHome: envValue(env, 'APIFY_IS_AT_HOME'),
      apiBaseUrl: envValue(env, 'APIFY_API_BASE_URL'),
      inputKey: envValue(env, 'ACTOR_INPUT_KEY', 'APIFY_INPUT_KEY'),
      localStorageDir: envValue(env, 'APIFY_LOCAL_STORAGE_DIR'),
      logLevel: envValue(env, 'APIFY_LOG_LEVEL'),
    };
  }

  /** The value of `key` in the default key-value store, or `defaultValue` (else `null`) when there is none. */
  static async getValue<T = unknown>(key: string, defaultValue?: T): Promise<T | null> {
    const store = await Actor.openKeyValueStore();
    return defaultValue === undefined ? store.getValue<T>(key) : store.getValue<T>(key, defaultValue);
  }

  /** Stores `value` under `key` in the default key-value store; `null` or `undefined` deletes it. */
  static async setValue(key: string, value: unknown, options: SetValueOptions = {}): Promise<void> {
    const store = await Actor.openKeyValueStore();
    await store.setValue(key, value, options);
  }

  /** The run's input: the record `ACTOR_INPUT_KEY` (default `INPUT`) of the default key-value store, or `null`. */
  static async getInput<T = unknown>(): Promise<T | null> {
    const state = currentRun();
    const store = await Actor.openKeyValueStore();
    return store.getValue<T>(state.config.inputKey);
  }

  /** Appends an item or an array of items to the default dataset. */
  static async pushData(items: DatasetItem | readonly DatasetItem[]): Promise<void> {
    const dataset = await Actor.openDataset();
    await dataset.pushData(items);
  }

  /**
   * Listens to an event: `persistState` (every `APIFY_PERSIST_STATE_INTERVAL_MILLIS`, default
   * 60 s, and once at exit), `migrating`, `aborting`, `exit`. Async listeners are awaited at exit.
   */
  static on<E extends StorageEventName>(event: E, listener: ActorEventListener<E>): void {
    eventBus.on(event, listener as never);
  }

  /** Stops listening to an event. */
  static off<E extends StorageEventName>(event: E, listener: ActorEventListener<E>): void {
    eventBus.off(event, listener as never);
  }
}
