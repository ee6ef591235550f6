import { describe, expect, it } from 'vitest';
import { StorageError, notFound } from '../src/index.js';

describe('StorageError', () => {
  it('is an Error with name, code and message', () => {
    const error = new StorageError('invalid-key', 'Bad key');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(StorageError);
    expect(error.name).toBe('StorageError');
    expect(error.code).toBe('invalid-key');
    expect(error.message).toBe('Bad key');
    expect(String(error)).toBe('StorageError: Bad key');
    expect(typeof error.stack).toBe('string');
  });

  it('keeps the cause it is given', () => {
    const cause = new TypeError('underlying');
    const error = new StorageError('internal', 'Wrapped', { cause });
    expect(error.cause).toBe(cause);
    const withValue = new StorageError('internal', 'Wrapped', { cause: 'just a string' });
    expect(withValue.cause).toBe('just a string');
  });

  it('has no cause when none is given', () => {
    expect('cause' in new StorageError('conflict', 'No cause')).toBe(false);
    expect('cause' in new StorageError('conflict', 'No cause', {})).toBe(false);
    expect(new StorageError('conflict', 'No cause', { cause: undefined }).cause).toBeUndefined();
  });

  it('can be thrown and caught as any error', () => {
    expect(() => {
      throw new StorageError('not-found', 'Gone');
    }).toThrow(StorageError);
    expect(() => {
      throw new StorageError('not-found', 'Gone');
    }).toThrow('Gone');
  });
});

describe('StorageError.is', () => {
  it('recognises a StorageError, with or without a code', () => {
    const error = new StorageError('invalid-url', 'Bad URL');
    expect(StorageError.is(error)).toBe(true);
    expect(StorageError.is(error, 'invalid-url')).toBe(true);
    expect(StorageError.is(error, 'invalid-key')).toBe(false);
    expect(StorageError.is(error, 'internal')).toBe(false);
  });

  it('rejects other errors and non-errors', () => {
    for (const value of [new Error('plain'), new TypeError('t'), { code: 'not-found', message: 'x' }, null, undefined, 'not-found', 42, true]) {
      expect(StorageError.is(value)).toBe(false);
      expect(StorageError.is(value, 'not-found')).toBe(false);
    }
  });

  it('does not take an Error that merely has the same name and code', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'StorageError', code: 'not-found' });
    expect(StorageError.is(lookalike)).toBe(false);
  });

  it('recognises an error from another copy of @x/core by its brand', () => {
    const brand = Symbol.for('@x/core.StorageError');
    // What another copy of the class makes: its own Error subclass, branded with the shared symbol.
    class OtherCopyStorageError extends Error {
      override readonly name = 'StorageError';
      constructor(readonly code: string, message: string) {
        super(message);
        Object.defineProperty(this, brand, { value: true });
      }
    }
    const foreign = new OtherCopyStorageError('not-found', 'Dataset with id "x" does not exist');
    expect(foreign).not.toBeInstanceOf(StorageError);
    expect(StorageError.is(foreign)).toBe(true);
    expect(StorageError.is(foreign, 'not-found')).toBe(true);
    expect(StorageError.is(foreign, 'conflict')).toBe(false);

    const plainObject = { [brand]: true, code: 'client-missing', message: 'm' };
    expect(StorageError.is(plainObject, 'client-missing')).toBe(true);
  });

  it('narrows the type so code can be read', () => {
    const caught: unknown = new StorageError('conflict', 'Busy');
    if (!StorageError.is(caught)) throw new Error('expected a StorageError');
    const code: string = caught.code;
    expect(code).toBe('conflict');
  });

  it('recognises the brand on errors made here', () => {
    const error = new StorageError('internal', 'x');
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('@x/core.StorageError')]).toBe(true);
  });
});

describe('notFound', () => {
  it('makes a not-found StorageError saying what does not exist', () => {
    const error = notFound('Dataset with id "abc"');
    expect(StorageError.is(error, 'not-found')).toBe(true);
    expect(error.message).toBe('Dataset with id "abc" does not exist');
  });
});
