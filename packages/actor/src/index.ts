/**
 * `@x/actor`: the `Actor` class (configuration from the environment, the run's default storages,
 * convenience methods, purge, events, the choice of storage client) and the `x-actor` CLI.
 *
 * @packageDocumentation
 */

/** The Actor, the handle of a run, and their options. */
export {
  Actor,
  ActorRun,
  type ActorEventListener,
  type ActorExitOptions,
  type ActorInitOptions,
  type ActorMainOptions,
  type ActorEnv,
  type ActorOpenInput,
  type ActorOpenOptions,
  type ActorOpenStorageOptions,
  type ActorStatusMessageOptions,
  type ActorUseStateOptions,
} from './actor.js';
/** The run's configuration from the environment and options. */
export { DEFAULT_API_BASE_URL, DEFAULT_PERSIST_STATE_INTERVAL_MILLIS, resolveConfig, type ActorConfig, type ActorConfigOptions } from './config.js';
/** The Actor's logger. */
export { LOG_LEVELS, Log, parseLogLevel, type LogLevel, type LogSink } from './log.js';
/** Loading of the optional client packages. */
export { CLIENT_PACKAGES, assertCloudConfig, importOptionalPackage } from './load-client.js';
