import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { brotliDecompress as brotliDecompressCallback, gunzip as gunzipCallback, gzip as gzipCallback, inflate as inflateCallback } from 'node:zlib';
import { MAX_JSON_DEPTH, StorageError, serializeJson, type StorageErrorCode } from '@x/core';
import { Agent, type Dispatcher } from 'undici';

const gzip = promisify(gzipCallback);
const DECOMPRESS: Record<string, (body: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzipCallback),
  'x-gzip': promisify(gunzipCallback),
  deflate: promisify(inflateCallback),
  br: promisify(brotliDecompressCallback),
};

/** The HTTP methods the API is called with. */
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** Request bodies of this many bytes or more are sent gzip-compressed. */
export const COMPRESS_MIN_BYTES = 1024;

/** How the HTTP layer talks to the API. */
export interface ApiHttpOptions {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  /**
   * How long a call keeps retrying network errors (no HTTP answer: refused, unresolvable host,
   * dropped connection, connect timeout), counted from the first of them since the last answer.
   * A retry whose delay would end past it is not made.
   */
  readonly networkRetryDeadlineMs: number;
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

/** The error of an attempt that got no answer in time. */
class AttemptTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Reads a response body whole, decompressed as its `content-encoding` says. */
async function readBody(answer: Dispatcher.ResponseData): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of answer.body) chunks.push(chunk as Buffer);
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const encoding = answer.headers['content-encoding'];
  const decompress = typeof encoding === 'string' ? DECOMPRESS[encoding.trim().toLowerCase()] : undefined;
  return decompress && body.length > 0 ? decompress(body) : body;
}

/**
 * The HTTP layer of the cloud client: undici with a pool of keep-alive connections, a timeout per
 * attempt, retries with jittered exponential backoff on 429, 5xx and network errors (these only
 * until a deadline, so an unreachable server fails in seconds, naming the base URL), gzip for
 * large bodies (and gzip, deflate or br answers), and API errors turned into {@link StorageError}s.
 * The token is only ever put in the Authorization header; it is never part of a message, and
 * errors keep no reference to the request options.
 *
 * undici rather than got: on loopback a got round trip costs about 150 µs of CPU (its options are
 * merged and normalized, and a stream, a cancelable promise and their events are made for every
 * request), undici's about 30 µs; over a fast network that is most of the time of an API call.
 */
export class ApiHttp {
  /** The connection pool: made on first use, and again after {@link close}. */
  #agent: Agent | undefined;
  readonly #agentOptions: Agent.Options;
  readonly #origin: string;
  /** The path of `/v2/` on the origin (the base URL may have a path of its own). */
  readonly #apiPath: string;
  readonly #headers: Record<string, string>;
  readonly #maxAttempts: number;
  readonly #retryBaseDelayMs: number;
  readonly #networkRetryDeadlineMs: number;
  readonly #timeoutMs: number;
  /** Base URL of the API, without the trailing `/v2`. */
  readonly baseUrl: string;

  constructor(options: ApiHttpOptions) {
    this.baseUrl = options.baseUrl;
    this.#maxAttempts = options.maxAttempts;
    this.#retryBaseDelayMs = options.retryBaseDelayMs;
    this.#networkRetryDeadlineMs = options.networkRetryDeadlineMs;
    this.#timeoutMs = options.timeoutMs;
    const url = new URL(options.baseUrl);
    this.#origin = url.origin;
    this.#apiPath = `${url.pathname.replace(/\/+$/, '')}/v2/`;
    // Connecting (name lookup included) may take as long as an attempt, and no longer than the
    // network retry deadline; an attempt during an outage is cut at the deadline (see call()).
    const connectMs = Math.min(options.timeoutMs, options.networkRetryDeadlineMs);
    this.#agentOptions = {
      connections: 64,
      connect: { timeout: connectMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    const token = options.token;
    this.#headers = {
      'user-agent': 'x-cloud-client',
      'accept-encoding': 'gzip, deflate, br',
      ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }),
    };
  }

  /**
   * One attempt: the answer, or the error of a request that got none (refused, dropped, no
   * answer within `timeoutMs`: then an {@link AttemptTimeout}).
   */
  async #attempt(method: Method, path: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<ApiResponse> {
    // The attempt's whole time is bounded, not only the wait for headers and between body chunks.
    const abort = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.emit('abort');
    }, timeoutMs);
    try {
      this.#agent ??= new Agent(this.#agentOptions);
      const answer = await this.#agent.request({ origin: this.#origin, path, method, headers, body: body ?? null, signal: abort });
      return { statusCode: answer.statusCode, headers: answer.headers, body: await readBody(answer) };
    } catch (error) {
      if (timedOut) throw new AttemptTimeout(`no answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
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
    let headers = this.#headers;
    if (contentType !== undefined) headers = { ...headers, 'content-type': contentType };
    if (body !== undefined && body.length >= COMPRESS_MIN_BYTES) {
      body = await gzip(body);
      headers = { ...headers, 'content-encoding': 'gzip' };
    }
    let path = `${this.#apiPath}${call.path}`;
    let separator = '?';
    for (const name in call.searchParams) {
      const value = call.searchParams[name];
      if (value === undefined) continue;
      path += `${separator}${encodeURIComponent(name)}=${encodeURIComponent(typeof value === 'boolean' ? (value ? '1' : '0') : String(value))}`;
      separator = '&';
    }
    const label = `${call.method} /v2/${call.path}`;
    let lastProblem = '';
    /** When the current run of network errors (no HTTP answer since) began. */
    let unreachableSince: number | undefined;
    let attempt = 1;
    for (; ; attempt++) {
      let response: ApiResponse;
      try {
        // While the server does not answer, an attempt may take no longer than the time left to retry.
        const timeoutMs =
          unreachableSince === undefined ? this.#timeoutMs : Math.max(1, Math.min(this.#timeoutMs, this.#networkRetryDeadlineMs - (Date.now() - unreachableSince)));
        response = await this.#attempt(call.method, path, headers, body, timeoutMs);
      } catch (error) {
        // A network error or timeout: retry while the deadline allows. Only the code and message are
        // kept (no request options).
        const e = error as { code?: string; message?: string };
        lastProblem = `${e.code ?? 'network error'}: ${e.message ?? ''}`.trim();
        unreachableSince ??= Date.now();
        const delay = this.retryDelay(attempt);
        if (attempt >= this.#maxAttempts || Date.now() - unreachableSince + delay > this.#networkRetryDeadlineMs) {
          const seconds = ((Date.now() - unreachableSince) / 1000).toFixed(1);
          throw new StorageError(
            'io',
            `Cannot reach the API at ${this.baseUrl} (${label}): ${lastProblem}; gave up after ${attempt} attempts in ${seconds} s. ` +
              'Check the base URL (APIFY_API_BASE_URL) and that the server is running.',
          );
        }
        await sleep(delay);
        continue;
      }
      unreachableSince = undefined;
      const status = response.statusCode;
      if (status === 429 || status >= 500) {
        const apiError = errorOf(response.body);
        lastProblem = `HTTP ${status}${apiError ? ` ${apiError.type}: ${apiError.message}` : ''}`;
        if (attempt >= this.#maxAttempts) break;
        await sleep(this.retryDelay(attempt));
        continue;
      }
      if (status < 300) return response;
      if (status === 404 && call.notFound === 'absent') return response;
      throw this.#toError(call, label, response);
    }
    throw new StorageError('internal', `${label} failed after ${attempt} attempts; last: ${lastProblem}`);
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

  /** Closes the kept-alive connections (calls still running fail); a later call opens new ones. Idempotent. */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.destroy();
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
