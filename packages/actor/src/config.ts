import { resolve } from 'node:path';
import { StorageError } from '@x/core';
import { z } from 'zod';
import { LOG_LEVELS, parseLogLevel, type LogLevel } from './log.js';

/** The configuration of a run, after the environment and the options of `Actor.init()` are merged. */
export interface ActorConfig {
  /** Absolute path of the local storage folder (`CRAWLEE_STORAGE_DIR`, `APIFY_LOCAL_STORAGE_DIR`, `./storage`). */
  readonly storageDir: string;
  /** API token of the cloud (`APIFY_TOKEN`). */
  readonly token: string | undefined;
  /** API base URL of the cloud, without `/v2` (`APIFY_API_BASE_URL`, default `https://api.apify.com`). */
  readonly apiBaseUrl: string;
  /** True when running on the platform (`APIFY_IS_AT_HOME`): the default storages are in the cloud. */
  readonly isAtHome: boolean;
  /** Id of the default dataset (`ACTOR_DEFAULT_DATASET_ID` / `APIFY_DEFAULT_DATASET_ID`, default `default`). */
  readonly defaultDatasetId: string;
  /** Id of the default key-value store (`ACTOR_DEFAULT_KEY_VALUE_STORE_ID` / `APIFY_…`, default `default`). */
  readonly defaultKeyValueStoreId: string;
  /** Id of the default request queue (`ACTOR_DEFAULT_REQUEST_QUEUE_ID` / `APIFY_…`, default `default`). */
  readonly defaultRequestQueueId: string;
  /** Key of the input record in the default key-value store (`ACTOR_INPUT_KEY`, default `INPUT`). */
  readonly inputKey: string;
  /** Empty the default storages at start (`CRAWLEE_PURGE_ON_START`, default false). */
  readonly purge: boolean;
  /** Milliseconds between `persistState` events (`APIFY_PERSIST_STATE_INTERVAL_MILLIS`, default 60,000). */
  readonly persistStateIntervalMillis: number;
  /** The level of `Actor.log` (`APIFY_LOG_LEVEL` / `CRAWLEE_LOG_LEVEL`, default `info`). */
  readonly logLevel: LogLevel;
}

/** The parts of {@link ActorConfig} that `Actor.init()` options may set; they win over the environment. */
export interface ActorConfigOptions {
  /** The local storage folder. */
  readonly storageDir?: string | undefined;
  /** API token of the cloud. */
  readonly token?: string | undefined;
  /** API base URL of the cloud. */
  readonly apiBaseUrl?: string | undefined;
  /** Use the cloud for the default storages. */
  readonly isAtHome?: boolean | undefined;
  /** Id of the default dataset. */
  readonly defaultDatasetId?: string | undefined;
  /** Id of the default key-value store. */
  readonly defaultKeyValueStoreId?: string | undefined;
  /** Id of the default request queue. */
  readonly defaultRequestQueueId?: string | undefined;
  /** Key of the input record. */
  readonly inputKey?: string | undefined;
  /** Empty the default storages (but the input) at start. */
  readonly purge?: boolean | undefined;
  /** Milliseconds between `persistState` events. */
  readonly persistStateIntervalMillis?: number | undefined;
  /** The level of `Actor.log`. */
  readonly logLevel?: LogLevel | undefined;
}

/** The default API base URL. */
export const DEFAULT_API_BASE_URL = 'https://api.apify.com';
/** The default interval of `persistState` events: 60 s. */
export const DEFAULT_PERSIST_STATE_INTERVAL_MILLIS = 60_000;

// An empty variable counts as unset, as in the Apify SDK.
const text = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));
const flag = text.pipe(
  z
    .string()
    .regex(/^(1|0|true|false|yes|no)$/i, 'expected 1, 0, true or false')
    .transform((value) => /^(1|true|yes)$/i.test(value))
    .optional(),
);
const millis = text.pipe(
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().positive('expected a positive number of milliseconds'))
    .optional(),
);
const url = text.pipe(z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL' }).optional());
const level = text.pipe(
  z
    .string()
    .refine((value) => parseLogLevel(value) !== undefined, `expected one of ${LOG_LEVELS.join(', ')}`)
    .optional(),
);

/** The environment variables the Actor reads. */
const envSchema = z.object({
  CRAWLEE_STORAGE_DIR: text,
  APIFY_LOCAL_STORAGE_DIR: text,
  APIFY_TOKEN: text,
  APIFY_API_BASE_URL: url,
  APIFY_IS_AT_HOME: flag,
  ACTOR_DEFAULT_DATASET_ID: text,
  APIFY_DEFAULT_DATASET_ID: text,
  ACTOR_DEFAULT_KEY_VALUE_STORE_ID: text,
  APIFY_DEFAULT_KEY_VALUE_STORE_ID: text,
  ACTOR_DEFAULT_REQUEST_QUEUE_ID: text,
  APIFY_DEFAULT_REQUEST_QUEUE_ID: text,
  ACTOR_INPUT_KEY: text,
  APIFY_INPUT_KEY: text,
  CRAWLEE_PURGE_ON_START: flag,
  APIFY_PERSIST_STATE_INTERVAL_MILLIS: millis,
  APIFY_LOG_LEVEL: level,
  CRAWLEE_LOG_LEVEL: level,
});

const optionsSchema = z
  .object({
    storageDir: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    apiBaseUrl: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL' }).optional(),
    isAtHome: z.boolean().optional(),
    defaultDatasetId: z.string().min(1).optional(),
    defaultKeyValueStoreId: z.string().min(1).optional(),
    defaultRequestQueueId: z.string().min(1).optional(),
    inputKey: z.string().min(1).optional(),
    purge: z.boolean().optional(),
    persistStateIntervalMillis: z.number().int().positive().optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
  })
  .loose();

function describeIssues(error: z.ZodError, where: string): StorageError {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return new StorageError('invalid-argument', `${where} ${path}: ${issue?.message ?? 'invalid value'}`);
}

/**
 * Reads the run's configuration from the environment (the names Actors already use), with the
 * given options winning over it. A malformed variable or option is a `StorageError`
 * (`invalid-argument`) that names it.
 */
export function resolveConfig(options: ActorConfigOptions = {}, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ActorConfig {
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw describeIssues(parsedEnv.error, 'Environment variable');
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw describeIssues(parsedOptions.error, 'Actor option');
  const e = parsedEnv.data;
  const o = parsedOptions.data;
  const logLevel = o.logLevel ?? parseLogLevel(e.APIFY_LOG_LEVEL ?? e.CRAWLEE_LOG_LEVEL ?? 'info') ?? 'info';
  return {
    storageDir: resolve(cwd, o.storageDir ?? e.CRAWLEE_STORAGE_DIR ?? e.APIFY_LOCAL_STORAGE_DIR ?? './storage'),
    token: o.token ?? e.APIFY_TOKEN,
    apiBaseUrl: o.apiBaseUrl ?? e.APIFY_API_BASE_URL ?? DEFAULT_API_BASE_URL,
    isAtHome: o.isAtHome ?? e.APIFY_IS_AT_HOME ?? false,
    defaultDatasetId: o.defaultDatasetId ?? e.ACTOR_DEFAULT_DATASET_ID ?? e.APIFY_DEFAULT_DATASET_ID ?? 'default',
    defaultKeyValueStoreId: o.defaultKeyValueStoreId ?? e.ACTOR_DEFAULT_KEY_VALUE_STORE_ID ?? e.APIFY_DEFAULT_KEY_VALUE_STORE_ID ?? 'default',
    defaultRequestQueueId: o.defaultRequestQueueId ?? e.ACTOR_DEFAULT_REQUEST_QUEUE_ID ?? e.APIFY_DEFAULT_REQUEST_QUEUE_ID ?? 'default',
    inputKey: o.inputKey ?? e.ACTOR_INPUT_KEY ?? e.APIFY_INPUT_KEY ?? 'INPUT',
    purge: o.purge ?? e.CRAWLEE_PURGE_ON_START ?? false,
    persistStateIntervalMillis: o.persistStateIntervalMillis ?? e.APIFY_PERSIST_STATE_INTERVAL_MILLIS ?? DEFAULT_PERSIST_STATE_INTERVAL_MILLIS,
    logLevel,
  };
}
