import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { MAX_JSON_DEPTH, StorageError, serializeJson, type StorageErrorCode } from '@x/core';
import got, { type Got, type Method } from 'got';

const gzip = promisify(gzipCallback);

/** Request bodies of this many bytes or more are sent gzip-compressed. */
export const COMPRESS_MIN_BYTES = 1024;

/** How the HTTP layer talks to the API. */
export interface ApiHttpOptions {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
}

/** One API call. `path` is relative to `/v2/`, its segments already URL-encoded. */
export interface ApiCall {
  readonly method: Method;
  readonly path: string;
  readonly searchParams?: Record<string, string | number | boolean | undefined>;
  /** A JSON body (serialized here), or a raw body with its content type. */
  readonly json?: unknown;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  /** What a 404 means: `absent` returns it to the caller, otherwise it is a `not-found` error naming `what`. */
  readonly notFound?: 'absent';
  /** What the call is about, for messages (`Dataset "abc"`). */
  readonly what: string;
  /** The StorageError code for a 413 answer (default `invalid-value`). */
  readonly tooLargeCode?: StorageErrorCode;
}

/** An API answer. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function errorOf(body: Buffer): { type: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { type?: unknown; message?: unknown } };
    if (parsed.error && typeof parsed.error === 'object') {
      return { type: String(parsed.error.type ?? 'unknown'), message: String(parsed.error.message ?? '') };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The HTTP layer of the cloud client: got with keep-alive agents, a timeout per attempt, retries
 * with jittered exponential backoff on 429, 5xx and network errors, gzip for large bodies, and
 * API errors turned into {@link StorageError}s. The token is only ever put in the Authorization
 * header; it is never part of a message, and errors keep no reference to the request options.
 */
export class ApiHttp {
  readonly #got: Got;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };
  readonly #maxAttempts: number;
  readonly #retryBaseDelayMs: number;
  /** Base URL of the API, without the trailing `/v2`. */
  readonly baseUrl: string;

  constructor(options: ApiHttpOptions) {
    this.baseUrl = options.baseUrl;
    this.#maxAttempts = options.maxAttempts;
    this.#retryBaseDelayMs = options.retryBaseDelayMs;
    this.#agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    };
    const token = options.token;
    this.#got = got.extend({
      prefixUrl: `${options.baseUrl}/v2/`,
      agent: this.#agents,
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'buffer',
      decompress: true,
      headers: {
        'user-agent': 'x-cloud-client',
        ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }),
      },
    });
  }

  /** The delay before retry number `attempt` (1-based): the base doubled per attempt, ±25 % jitter. */
  retryDelay(attempt: number): number {
    const base = this.#retryBaseDelayMs * 2 ** (attempt - 1);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /** Makes one API call, retrying what can be retried, and checks the status. */
  async call(call: ApiCall): Promise<ApiResponse> {
    let body: Buffer | undefined;
    let contentType = call.contentType;
    if (call.json !== undefined) {
      // A value JSON cannot hold is a typed error here, before anything is sent. A body may wrap
      // stored values in one array (a batch), so it may nest one level deeper than they may.
      const what = `${call.what}: the body of ${call.method} /v2/${call.path}`;
      body = Buffer.from(serializeJson(call.json, 'invalid-argument', what, MAX_JSON_DEPTH + 1) ?? 'null', 'utf8');
      contentType ??= 'application/json; charset=utf-8';
    } else if (call.body !== undefined) {
      body = typeof call.body === 'string' ? Buffer.from(call.body, 'utf8') : call.body;
    }
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (body !== undefined && body.length >= COMPRESS_MIN_BYTES) {
      body = await gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    const searchParams: Record<string, string> = {};
    for (const [name, value] of Object.entries(call.searchParams ?? {})) {
      if (value !== undefined) searchParams[name] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
    const label = `${call.method} /v2/${call.path}`;
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (attempt > 1) await sleep(this.retryDelay(attempt - 1));
      let response: ApiResponse;
      try {
        const answer = await this.#got(call.path, {
          method: call.method,
          searchParams,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        response = { statusCode: answer.statusCode, headers: answer.headers, body: answer.rawBody };
      } catch (error) {
        // A network error or timeout: retry. Only the code and message are kept (no request options).
        const e = error as { code?: string; message?: string };
        lastProblem = `${e.code ?? 'network error'}: ${e.message ?? ''}`.trim();
        continue;
      }
      const status = response.statusCode;
      if (status === 429 || status >= 500) {
        const apiError = errorOf(response.body);
        lastProblem = `HTTP ${status}${apiError ? ` ${apiError.type}: ${apiError.message}` : ''}`;
        continue;
      }
      if (status < 300) return response;
      if (status === 404 && call.notFound === 'absent') return response;
      throw this.#toError(call, label, response);
    }
    throw new StorageError('internal', `${label} failed after ${this.#maxAttempts} attempts; last: ${lastProblem}`);
  }

  #toError(call: ApiCall, label: string, response: ApiResponse): StorageError {
    const apiError = errorOf(response.body);
    const detail = apiError ? `${apiError.type}: ${apiError.message}` : `HTTP ${response.statusCode}`;
    switch (response.statusCode) {
      case 404:
        return new StorageError('not-found', `${call.what} does not exist (${label}: ${detail})`);
      case 400:
        return new StorageError('invalid-argument', `${call.what}: the API rejected ${label}: ${detail}`);
      case 401:
      case 403:
        return new StorageError('internal', `${call.what}: the API refused ${label} (HTTP ${response.statusCode}, ${detail}); check the token`);
      case 409:
        // The server answers a request locked by another client with type `request-locked`.
        if (apiError?.type === 'request-locked') return new StorageError('locked', `${call.what}: ${label} refused: ${detail}`);
        return new StorageError('conflict', `${call.what}: ${label} conflicts: ${detail}`);
      case 413:
        return new StorageError(call.tooLargeCode ?? 'invalid-value', `${call.what}: the API found the body of ${label} too large: ${detail}`);
      default:
        return new StorageError('internal', `${call.what}: ${label} answered HTTP ${response.statusCode}: ${detail}`);
    }
  }

  /** Makes a call and returns the `data` of its JSON answer (undefined for a 404 read as absent). */
  async data<T>(call: ApiCall): Promise<T | undefined> {
    const response = await this.call(call);
    if (response.statusCode === 404) return undefined;
    return parseJson<{ data: T }>(response.body, call.what).data;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

/** Parses a JSON answer, or throws `internal`. */
export function parseJson<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (cause) {
    throw new StorageError('internal', `${what}: the API answered something that is not JSON`, { cause });
  }
}

/** Encodes one path segment. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
