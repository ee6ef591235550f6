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

/** Options of {@link Actor.exit}. */
export interface ActorExitOptions {
  /** The process exit code; a non-zero one is set as `process.exitCode`. Default 0. */
  readonly exitCode?: number | undefined;
  /** Call `process.exit(exitCode)` once everything is saved. Default false. */
  readonly exit?: boolean | undefined;
  /** A last message to log at exit. */
  readonly statusMessage?: string | undefined;
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

/** What the open calls accept: options, a name as a plain string, or nothing for the default storage. */
export type ActorOpenInput = ActorOpenOptions | string | undefined;

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

function openInput(input: ActorOpenInput): ActorOpenOptions {
  if (input === undefined) return {};
  if (typeof input === 'string') return { name: input };
  if (typeof input !== 'object' || input === null) throw new StorageError('invalid-argument', 'Open a storage with { id?, name?, forceCloud? } or a name');
  return input;
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
  openDataset(options?: ActorOpenInput): Promise<Dataset> {
    return Actor.openDataset(options);
  }

  /** See {@link Actor.openKeyValueStore}. */
  openKeyValueStore(options?: ActorOpenInput): Promise<KeyValueStore> {
    return Actor.openKeyValueStore(options);
  }

  /** See {@link Actor.openRequestQueue}. */
  openRequestQueue(options?: ActorOpenInput): Promise<RequestQueue> {
    return Actor.openRequestQueue(options);
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

  /** See {@link Actor.exit}. */
  exit(options?: ActorExitOptions): Promise<void> {
    return Actor.exit(options);
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
   * Actor is not running only sets the exit code.
   */
  static async exit(options: ActorExitOptions = {}): Promise<void> {
    const exitCode = options.exitCode ?? 0;
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
      throw new StorageError('invalid-argument', `exitCode must be an integer from 0 to 255, got ${String(exitCode)}`);
    }
    if (exitCode !== 0) process.exitCode = exitCode;
    const state = run;
    let failure: unknown;
    if (state) {
      state.exiting ??= Actor.#finish(state, options.statusMessage);
      try {
        await state.exiting;
      } catch (error) {
        failure = error;
      }
    }
    if (options.exit) process.exit(failure === undefined ? exitCode : exitCode || 1);
    if (failure !== undefined) throw failure;
  }

  static async #finish(state: RunState, statusMessage: string | undefined): Promise<void> {
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
    if (statusMessage !== undefined) Actor.log.info(statusMessage);
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

  /** Opens a dataset: the default one, one by `id` or `name`; with `forceCloud`, in the cloud. */
  static async openDataset(options?: ActorOpenInput): Promise<Dataset> {
    const { id, name, forceCloud } = openInput(options);
    return Dataset.open({ id, name, storageClient: await clientFor(currentRun(), forceCloud) });
  }

  /** Opens a key-value store: the default one, one by `id` or `name`; with `forceCloud`, in the cloud. */
  static async openKeyValueStore(options?: ActorOpenInput): Promise<KeyValueStore> {
    const { id, name, forceCloud } = openInput(options);
    return KeyValueStore.open({ id, name, storageClient: await clientFor(currentRun(), forceCloud) });
  }

  /** Opens a request queue: the default one, one by `id` or `name`; with `forceCloud`, in the cloud. */
  static async openRequestQueue(options?: ActorOpenInput): Promise<RequestQueue> {
    const { id, name, forceCloud } = openInput(options);
    return RequestQueue.open({ id, name, storageClient: await clientFor(currentRun(), forceCloud) });
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
