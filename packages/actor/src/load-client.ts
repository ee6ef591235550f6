import { StorageError, type StorageClient } from '@x/core';

/** The client packages the Actor loads when it needs them (they are optional peer dependencies). */
export const CLIENT_PACKAGES = { fs: '@x/fs-client', cloud: '@x/cloud-client' } as const;

/** The shape of `@x/fs-client` the Actor uses. */
export interface FsClientModule {
  readonly FileSystemStorageClient: new (options: { storageDir: string }) => StorageClient;
}

/** The shape of `@x/cloud-client` the Actor uses. */
export interface CloudClientModule {
  readonly CloudStorageClient: new (options: { token?: string | undefined; baseUrl?: string | undefined }) => StorageClient;
}

function isMissingPackage(error: unknown, specifier: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only the package itself missing counts; a package that is there but broken is another failure.
  return typeof message === 'string' && (message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`));
}

/**
 * Imports an optional package by name with a real dynamic `import()`. When the package is not
 * installed, fails with `StorageError('client-missing')` naming the package and how to install it;
 * any other failure to load is a `StorageError('internal')` with the cause.
 */
export async function importOptionalPackage<T>(specifier: string, why: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if (isMissingPackage(error, specifier)) {
      throw new StorageError('client-missing', `${why} needs the package ${specifier}, which is not installed: npm install ${specifier}`, { cause: error });
    }
    throw new StorageError('internal', `The package ${specifier} failed to load: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads `@x/fs-client` and makes its client for `storageDir`. */
export async function createFsClient(storageDir: string): Promise<StorageClient> {
  const module = await importOptionalPackage<FsClientModule>(CLIENT_PACKAGES.fs, 'Local storage');
  return new module.FileSystemStorageClient({ storageDir });
}

/** The host of the Apify platform's API, which always needs a token. */
const APIFY_API_HOST = 'api.apify.com';

/**
 * Checks the configuration of the cloud storage before anything is sent: the Apify platform's
 * API needs a token, so without `APIFY_TOKEN` (or the `token` option) it is an `invalid-argument`
 * error at once that says so, instead of calls that fail later. A server of your own at
 * `APIFY_API_BASE_URL` (an `@x/server`) may run without a token; it is not checked then.
 */
export function assertCloudConfig(options: { token: string | undefined; baseUrl: string }): void {
  let host: string;
  try {
    host = new URL(options.baseUrl).hostname.toLowerCase();
  } catch {
    throw new StorageError('invalid-argument', `Cloud storage: the API base URL must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)} (APIFY_API_BASE_URL)`);
  }
  if ((options.token === undefined || options.token === '') && (host === APIFY_API_HOST || host.endsWith('.apify.com'))) {
    throw new StorageError(
      'invalid-argument',
      `Cloud storage (forceCloud or APIFY_IS_AT_HOME) needs an API token, and APIFY_TOKEN is not set: set APIFY_TOKEN, ` +
        `or pass { token } to Actor.init(); to use a server of your own, set APIFY_API_BASE_URL (now ${options.baseUrl})`,
    );
  }
}

/**
 * Loads `@x/cloud-client` and makes its client for the given token and base URL, after checking
 * the configuration with {@link assertCloudConfig}.
 */
export async function createCloudClient(options: { token: string | undefined; baseUrl: string }): Promise<StorageClient> {
  const module = await importOptionalPackage<CloudClientModule>(CLIENT_PACKAGES.cloud, 'Cloud storage (forceCloud or APIFY_IS_AT_HOME)');
  assertCloudConfig(options);
  return new module.CloudStorageClient({ token: options.token, baseUrl: options.baseUrl });
}
