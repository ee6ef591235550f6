/**
 * Every reason a storage operation can fail with a {@link StorageError}.
 *
 * - `invalid-key`: a record key outside `^[a-zA-Z0-9!\-_.'()]{1,256}$`.
 * - `invalid-name`: a storage name that is not letters, digits and inner `-`, up to 63 characters.
 * - `invalid-item`: a dataset item that is not a plain JSON object.
 * - `item-too-large`: a dataset item over 9 MiB once serialized.
 * - `invalid-url`: a request URL that is not an absolute http(s) URL.
 * - `invalid-value`: a record value that cannot be stored with the given content type.
 * - `invalid-argument`: any other option or argument of the wrong shape.
 * - `not-found`: a storage or request that does not exist.
 * - `client-missing`: no storage client was given and none is registered.
 * - `conflict`: the operation cannot be done in the current state.
 * - `locked`: a request locked by another consumer (until its lock expires, only the holder may change it).
 * - `io`: the storage medium failed (a full disk, no permission, a dropped connection); `cause` has the error.
 * - `internal`: a storage client failed in a way it could not describe better.
 */
export type StorageErrorCode =
  | 'invalid-key'
  | 'invalid-name'
  | 'invalid-item'
  | 'item-too-large'
  | 'invalid-url'
  | 'invalid-value'
  | 'invalid-argument'
  | 'not-found'
  | 'client-missing'
  | 'conflict'
  | 'locked'
  | 'io'
  | 'internal';

const BRAND = Symbol.for('@x/core.StorageError');

/**
 * The one error class of the storages. Check `code` to tell failures apart; `cause` keeps the
 * underlying error where there is one. `StorageError.is(err)` recognises errors thrown by another
 * copy of `@x/core` too.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** What kind of failure this is. */
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True when `error` is a `StorageError` (from any copy of `@x/core`), optionally with `code`. */
  static is(error: unknown, code?: StorageErrorCode): error is StorageError {
    if (typeof error !== 'object' || error === null) return false;
    if (!(BRAND in error) && !(error instanceof StorageError)) return false;
    return code === undefined || (error as StorageError).code === code;
  }
}

/** Builds the `not-found` error for a storage or a record that does not exist. */
export function notFound(what: string): StorageError {
  return new StorageError('not-found', `${what} does not exist`);
}
