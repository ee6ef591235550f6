import { z } from 'zod';
import { invalidInput } from './http-utils.js';

/** A boolean query parameter: `1`/`true` or `0`/`false` (absent is false). */
export const queryBoolean = z
  .enum(['1', '0', 'true', 'false', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true');

/** A boolean query parameter whose absence means something of its own: `1`/`true`, `0`/`false`, else `undefined`. */
export const queryOptionalBoolean = z
  .enum(['1', '0', 'true', 'false'])
  .optional()
  .transform((value) => (value === undefined ? undefined : value === '1' || value === 'true'));

/** A non-negative integer query parameter. */
export const queryCount = z
  .string()
  .regex(/^\d{1,20}$/, 'must be a non-negative integer')
  .transform((value) => Math.min(Number(value), Number.MAX_SAFE_INTEGER))
  .optional();

/** A comma-separated list query parameter. */
export const queryList = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value.split(',').map((part) => part.trim()).filter((part) => part !== '')));

/** A positive number of seconds. */
export const querySeconds = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds')
  .transform(Number)
  .optional();

/** Parses the query of a request with `schema`, or throws 400 `invalid-input` naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const result = schema.safeParse(Object.fromEntries(params));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidInput(`Invalid query parameter "${issue?.path.join('.') ?? '?'}": ${issue?.message ?? 'invalid value'}`);
  }
  return result.data;
}
