import { assertRecordKey } from '@x/core';
import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
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

/** A storage id or `~name` in a path; the storage layer checks and resolves it (400 or 404). */
export const storageRef = z.string();

/** A record key in a path, checked as `setValue` checks it (400 with the same message). */
export const recordKey = z.string().superRefine((value, ctx) => {
  try {
    assertRecordKey(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/**
 * The query string parser of the app: a repeated parameter counts with its last value, as
 * `URLSearchParams` reads it (Fastify's own parser would make an array of it).
 */
export function parseQueryString(text: string): Record<string, string> {
  return text === '' ? {} : Object.fromEntries(new URLSearchParams(text));
}

/**
 * Types a route's `request.params` and `request.query` from the zod schemas it declares
 * (`schema: { params, querystring }`): Fastify's type provider for zod, as the app uses it.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/**
 * The app's validator compiler: each route's zod schemas of its path parameters (decoded) and
 * query parameters, compiled once when the route is added, parse every call; a value that does not
 * pass is a 400 `invalid-input` (a path parameter with its check's own message, a query parameter
 * named), and the parsed values are what the handler reads.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (httpPart !== 'params' && httpPart !== 'querystring') throw new Error(`The app declares zod schemas of params and querystring only, not of ${String(httpPart)}`);
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const issue = result.error.issues[0];
    return {
      error:
        httpPart === 'params'
          ? invalidInput(issue?.message ?? 'Invalid path parameter')
          : invalidInput(`Invalid query parameter "${issue?.path.join('.') ?? '?'}": ${issue?.message ?? 'invalid value'}`),
    };
  };
};
