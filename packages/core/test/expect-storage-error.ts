import { expect } from 'vitest';
import { StorageError, type StorageErrorCode } from '../src/index.js';

/** Runs `fn`, expects it to throw a `StorageError` of `code`, and gives the error back. */
export function expectStorageError(fn: () => unknown, code: StorageErrorCode): StorageError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a StorageError to be thrown').toBeInstanceOf(StorageError);
  expect((thrown as StorageError).code).toBe(code);
  return thrown as StorageError;
}
