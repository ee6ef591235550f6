import { z } from 'zod';
import { StorageError } from './errors.js';
import { httpMethodSchema, type HttpMethod, type RequestData } from './models.js';
import { normalizeParsedUrl, parseRequestUrl, requestIdFromUniqueKey, sha256Base64 } from './request-keys.js';
import { isPlainObject, serializeJson } from './validation.js';

/** Options for a new {@link Request}. Only `url` is required. */
export const requestOptionsSchema = z.object({
  url: z.string(),
  uniqueKey: z.string().min(1).optional(),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(httpMethodSchema)
    .optional(),
  payload: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  userData: z.record(z.string(), z.unknown()).optional(),
  label: z.string().optional(),
  retryCount: z.number().int().nonnegative().optional(),
  noRetry: z.boolean().optional(),
  errorMessages: z.array(z.string()).optional(),
  loadedUrl: z.string().optional(),
  handledAt: z.string().optional(),
  keepUrlFragment: z.boolean().optional(),
  useExtendedUniqueKey: z.boolean().optional(),
});

/** Options for a new {@link Request}: the URL and, optionally, everything else a request carries. */
export type RequestOptions = z.input<typeof requestOptionsSchema>;

function payloadHash(payload: string): string {
  return sha256Base64(payload).replace(/[+/=]/g, '').slice(0, 8);
}

/**
 * Computes the unique key of a request as Crawlee does: the normalized URL, or with
 * `useExtendedUniqueKey`, `METHOD(payloadHash):normalizedUrl`.
 */
export function computeUniqueKey(options: {
  readonly url: string;
  readonly method?: string | undefined;
  readonly payload?: string | undefined;
  readonly keepUrlFragment?: boolean | undefined;
  readonly useExtendedUniqueKey?: boolean | undefined;
}): string {
  return uniqueKeyOfParsed(parseRequestUrl(options.url), options);
}

function uniqueKeyOfParsed(
  parsed: URL,
  options: { readonly method?: string | undefined; readonly payload?: string | undefined; readonly keepUrlFragment?: boolean | undefined; readonly useExtendedUniqueKey?: boolean | undefined },
): string {
  const url = normalizeParsedUrl(parsed, options.keepUrlFragment ?? false);
  if (!options.useExtendedUniqueKey) return url;
  const method = (options.method ?? 'GET').toUpperCase();
  return `${method}(${options.payload ? payloadHash(options.payload) : ''}):${url}`;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; ');
}

/**
 * A URL to process, with everything a crawler keeps about it. `uniqueKey` defaults to the
 * normalized URL and `id` is derived from it, so equal URLs dedupe in a {@link RequestQueue}.
 */
export class Request<UserData extends Record<string, unknown> = Record<string, unknown>> {
  /** The request's id: derived from `uniqueKey`. */
  id!: string;
  /** The URL to load. */
  url!: string;
  /** The key requests are deduplicated by. */
  uniqueKey!: string;
  /** HTTP method. */
  method!: HttpMethod;
  /** HTTP body for methods that take one. */
  payload?: string;
  /** HTTP headers to send. */
  headers?: Record<string, string>;
  /** Any data of the user's, kept with the request. */
  userData!: UserData;
  /** How many times the request was retried. */
  retryCount!: number;
  /** When true, the request is not retried after a failure. */
  noRetry!: boolean;
  /** Messages of the errors met while processing the request. */
  errorMessages!: string[];
  /** The URL finally loaded, after redirects. */
  loadedUrl?: string;
  /** When the request was handled (ISO 8601), if it was. */
  handledAt?: string;

  /** Creates a request; throws `invalid-url` for a bad URL and `invalid-argument` for bad options. */
  constructor(options: RequestOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new StorageError('invalid-argument', 'A request needs an options object with a url');
    }
    const parsedUrl = parseRequestUrl(options.url);
    const parsed = requestOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new StorageError('invalid-argument', `Invalid request: ${formatIssues(parsed.error)}`, { cause: parsed.error });
    }
    const o = parsed.data;
    const url = o.url.trim();
    const uniqueKey = o.uniqueKey ?? uniqueKeyOfParsed(parsedUrl, o);
    const userData = { ...(o.userData ?? {}) } as Record<string, unknown>;
    if (o.label !== undefined) userData['label'] = o.label;
    this.assign({
      id: requestIdFromUniqueKey(uniqueKey),
      url,
      uniqueKey,
      method: o.method ?? 'GET',
      userData,
      retryCount: o.retryCount ?? 0,
      noRetry: o.noRetry ?? false,
      errorMessages: o.errorMessages ?? [],
      ...(o.payload === undefined ? {} : { payload: o.payload }),
      ...(o.headers === undefined ? {} : { headers: o.headers }),
      ...(o.loadedUrl === undefined ? {} : { loadedUrl: o.loadedUrl }),
      ...(o.handledAt === undefined ? {} : { handledAt: o.handledAt }),
    });
    serializeRequestData(this.toData());
  }

  /** Creates a request for `url`, with further options. */
  static fromUrl<T extends Record<string, unknown> = Record<string, unknown>>(
    url: string,
    options: Omit<RequestOptions, 'url'> = {},
  ): Request<T> {
    return new Request<T>({ ...options, url });
  }

  /** Wraps stored request data (as a storage client returns it) without validating it again. */
  static fromData<T extends Record<string, unknown> = Record<string, unknown>>(data: RequestData): Request<T> {
    const request = Object.create(Request.prototype) as Request<T>;
    request.assign(data);
    return request;
  }

  private assign(data: RequestData): void {
    this.id = data.id;
    this.url = data.url;
    this.uniqueKey = data.uniqueKey;
    this.method = data.method;
    if (data.payload !== undefined) this.payload = data.payload;
    if (data.headers !== undefined) this.headers = data.headers;
    this.userData = data.userData as UserData;
    this.retryCount = data.retryCount;
    this.noRetry = data.noRetry;
    this.errorMessages = data.errorMessages;
    if (data.loadedUrl !== undefined) this.loadedUrl = data.loadedUrl;
    if (data.handledAt !== undefined) this.handledAt = data.handledAt;
  }

  /** The `label` in `userData`, which crawlers route requests by. */
  get label(): string | undefined {
    const label = this.userData['label'];
    return typeof label === 'string' ? label : undefined;
  }

  set label(value: string | undefined) {
    const data = this.userData as Record<string, unknown>;
    if (value === undefined) delete data['label'];
    else data['label'] = value;
  }

  /** Records an error met while processing the request. */
  pushErrorMessage(error: unknown): void {
    let message: string | undefined;
    if (error instanceof Error) message = error.message;
    else if (typeof error === 'string') message = error;
    else {
      try {
        message = JSON.stringify(error);
      } catch {
        // Circular structures and BigInts cannot be JSON: fall back to String() below.
      }
    }
    this.errorMessages.push(message ?? String(error));
  }

  /** The request as plain data, as storage clients keep it. */
  toData(): RequestData {
    const data: RequestData = {
      id: this.id,
      url: this.url,
      uniqueKey: this.uniqueKey,
      method: this.method,
      userData: this.userData,
      retryCount: this.retryCount,
      noRetry: this.noRetry,
      errorMessages: this.errorMessages,
    };
    if (this.payload !== undefined) data.payload = this.payload;
    if (this.headers !== undefined) data.headers = this.headers;
    if (this.loadedUrl !== undefined) data.loadedUrl = this.loadedUrl;
    if (this.handledAt !== undefined) data.handledAt = this.handledAt;
    return data;
  }

  /** JSON form: the same as {@link Request.toData}. */
  toJSON(): RequestData {
    return this.toData();
  }
}

/**
 * Serializes a request for storage, or throws `invalid-argument` when it cannot be stored and read
 * back: `userData` that is not a plain object, or anything in the request that JSON cannot hold (a
 * BigInt, a circular structure, nesting deeper than `MAX_JSON_DEPTH`, 512 levels). The frontend checks
 * every request with it before handing it to a storage client, and storage clients call it before
 * they change any state, so a refused request leaves the queue as it was.
 */
export function serializeRequestData(data: RequestData): string {
  const what = (): string => `Request ${JSON.stringify(String(data?.url).slice(0, 200))}`;
  const userData: unknown = data?.userData;
  if (!isPlainObject(userData) || typeof userData['toJSON'] === 'function') {
    throw new StorageError('invalid-argument', `${what()}: userData must be a plain object`);
  }
  const json = serializeJson(data, 'invalid-argument', what);
  if (json === undefined || json.charCodeAt(0) !== 0x7b) throw new StorageError('invalid-argument', `${what()} does not serialize to a JSON object`);
  return json;
}

/**
 * The stored form of a {@link RequestLike}, checked: a new request is validated as it is made, and a
 * {@link Request} made earlier (and maybe changed since) is checked with {@link serializeRequestData}.
 */
export function checkedRequestData(input: RequestLike): RequestData {
  if (!(input instanceof Request)) return toRequest(input).toData();
  const data = input.toData();
  serializeRequestData(data);
  return data;
}

/** Anything a queue accepts as a request: a {@link Request}, its options, or a URL string. */
export type RequestLike = Request | RequestOptions | string;

/** Turns a {@link RequestLike} into a {@link Request}, validating it. */
export function toRequest(input: RequestLike): Request {
  if (input instanceof Request) return input;
  if (typeof input === 'string') return Request.fromUrl(input);
  return new Request(input);
}
