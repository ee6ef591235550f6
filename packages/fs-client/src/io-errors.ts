import { StorageError } from '@x/core';

/** An error of the operating system, as Node.js gives them: `ENOSPC`, `EACCES`, `EROFS`, … */
type SystemError = Error & { readonly code: string; readonly path?: string };

function isSystemError(error: unknown): error is SystemError {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Partial<SystemError>).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/**
 * What a storage operation throws for `error`: an error of the operating system becomes a
 * `StorageError` with code `io`, whose message says what failed (`action`), on which file or
 * folder (`path`), with the OS code and its description; `cause` keeps the original. Any other
 * error (a `StorageError` already, a bug) is given back as it is.
 */
export function ioError(error: unknown, action: string, path: string): unknown {
  if (!isSystemError(error)) return error;
  // Node's message is `CODE: description, syscall 'path'`: the description is what a user needs.
  const prefix = `${error.code}: `;
  const description = error.message.startsWith(prefix) ? error.message.slice(prefix.length).split(/, [a-z]+( '|$)/)[0] : error.message;
  return new StorageError('io', `${action} failed: ${error.code} (${description}) at ${path}`, { cause: error });
}
