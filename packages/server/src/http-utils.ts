import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { MAX_JSON_DEPTH, StorageError, jsonTextExceedsDepth } from '@x/core';

/** An error answered as `{"error":{"type","message"}}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** 400 `invalid-input`: a bad parameter or body. */
export function invalidInput(message: string): ApiError {
  return new ApiError(400, 'invalid-input', message);
}

/** 404 `record-not-found`. */
export function recordNotFound(message = 'The requested resource was not found.'): ApiError {
  return new ApiError(404, 'record-not-found', message);
}

/** The OS error codes of a full disk or quota (answered 507). */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The answer to an `io` storage error: 507 for a full disk, else 500. Its message names the OS
 * error code but never the storage's message, which can hold file paths of the server.
 */
function ioError(error: Error): ApiError {
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : undefined;
  if (code !== undefined && NO_SPACE_CODES.has(code)) {
    return new ApiError(507, 'insufficient-storage', `The storage has no space left (${code})`);
  }
  return new ApiError(500, 'internal-server-error', `The storage medium failed${code === undefined ? '' : ` (${code})`}`);
}

/** The API error a thrown value is answered with. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (StorageError.is(error)) {
    switch (error.code) {
      case 'not-found':
        return recordNotFound(error.message);
      case 'conflict':
        return new ApiError(409, 'conflict', error.message);
      case 'locked':
        return new ApiError(409, 'request-locked', error.message);
      case 'invalid-key':
      case 'invalid-name':
      case 'invalid-item':
      case 'item-too-large':
      case 'invalid-url':
      case 'invalid-value':
      case 'invalid-argument':
        return invalidInput(error.message);
      case 'io':
        return ioError(error);
      case 'client-missing':
      case 'internal':
        return new ApiError(500, 'internal-server-error', error.message);
      default:
        return new ApiError(500, 'internal-server-error', 'Internal server error');
    }
  }
  return new ApiError(500, 'internal-server-error', 'Internal server error');
}

/**
 * The Content-Security-Policy of every answer but the storage browser's files: a document the API
 * serves (an HTML record, an HTML or RSS export) opened in a browser is sandboxed in an opaque
 * origin, loads nothing and cannot be framed, so it can neither run script with the server's
 * origin nor read what the storage browser keeps there (its token in `sessionStorage`).
 */
export const API_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";

/**
 * Headers of every API answer: its CSP, and nothing to be sniffed into another type (a JSON or
 * text body read as HTML). Part of each answer's own headers, so that node writes them in one step.
 */
export const API_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff', 'content-security-policy': API_CSP };

/** Headers of every JSON answer. */
const JSON_HEADERS: Readonly<Record<string, string>> = { ...API_HEADERS, 'content-type': 'application/json; charset=utf-8' };

/**
 * Writes a whole answer (`body` a string or bytes, or none) straight to node's response, with its
 * headers and length in one `writeHead`: the API's answers need nothing of Fastify's reply (no
 * serializer, no onSend hooks), whose steps cost a few microseconds per call.
 */
export function sendWhole(reply: FastifyReply, status: number, headers: Readonly<Record<string, string>>, body?: string | Buffer): FastifyReply {
  const res = reply.raw;
  // The head first: a header node refuses throws here, before the reply is taken from Fastify,
  // whose error handler then answers (an error after `hijack()` would leave the client waiting).
  if (body === undefined) res.writeHead(status, headers);
  else res.writeHead(status, { ...headers, 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length });
  reply.hijack();
  res.end(body);
  return reply;
}

/** Sends a JSON answer. */
export function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return sendWhole(reply, status, JSON_HEADERS, JSON.stringify(value));
}

/** Sends a `{"data": value}` answer. */
export function sendData(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return sendJson(reply, status, { data: value });
}

/** Sends an empty answer (204 by default). */
export function sendEmpty(reply: FastifyReply, status = 204): FastifyReply {
  return sendWhole(reply, status, API_HEADERS);
}

/** Sends the answer to an API error: `{"error":{"type","message"}}` with its status. */
export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return sendJson(reply, error.status, { error: { type: error.type, message: error.message } });
}

function decoderFor(encoding: string): Transform | undefined {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function tooLarge(limit: number, actual: number | string): ApiError {
  return new ApiError(413, 'request-too-large', `The request body is too large (limit: ${limit} bytes, actual length: ${actual} bytes)`);
}

/** The headers of a request's body that the routes read, as the client sent them. */
export interface BodyHeaders {
  readonly contentType: string | undefined;
  readonly contentLength: string | undefined;
}

/** Where a request keeps its {@link BodyHeaders} once they are set aside. */
const BODY_HEADERS = Symbol('bodyHeaders');

type WithBodyHeaders = IncomingMessage & { [BODY_HEADERS]?: BodyHeaders };

/**
 * Takes `Content-Type`, `Content-Length` and `Transfer-Encoding` out of a request's headers, for
 * {@link bodyHeadersOf}, so that Fastify sees a request without a body and hands it to its route
 * unread. Fastify would pick a body parser by the type (and answer 415 to a type it cannot parse
 * before any route runs) and run it, a few microseconds a call; the API reads every body itself
 * ({@link readBody}: its limit, its decoding; JSON whatever the type says; a record's type checked
 * as `setValue` checks it, 400 with its message). Node has parsed the request already and reads
 * none of them again. (They are made `undefined` rather than deleted: a deleted property makes
 * node's headers object a slow dictionary for every later read.)
 */
export function setBodyHeadersAside(req: IncomingMessage): void {
  const { headers } = req;
  const kept: BodyHeaders = { contentType: headers['content-type'], contentLength: headers['content-length'] };
  (req as WithBodyHeaders)[BODY_HEADERS] = kept;
  if (kept.contentType !== undefined) headers['content-type'] = undefined;
  if (kept.contentLength !== undefined) headers['content-length'] = undefined;
  // Node reads the body by its own parser state, and no route needs this one: only hidden.
  if (headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = undefined;
}

/** The body headers the request came with (set aside or not). */
export function bodyHeadersOf(req: IncomingMessage): BodyHeaders {
  const kept = (req as WithBodyHeaders)[BODY_HEADERS];
  if (kept) return kept;
  const { headers } = req;
  return { contentType: headers['content-type'], contentLength: headers['content-length'] };
}

/**
 * Reads a request body, decoding `gzip`, `deflate` and `br`, and fails with 413 when it (or what
 * it decodes to) is over `limit` bytes. On failure it stops reading and leaves the rest of the
 * body on the connection: the caller answers and then discards it ({@link discardBody}).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(bodyHeadersOf(req).contentLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit, declared));
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let decoder: Transform | undefined;
  if (encoding !== 'identity' && encoding !== '') {
    decoder = decoderFor(encoding);
    if (!decoder) {
      return Promise.reject(new ApiError(415, 'unsupported-content-encoding', `Unsupported Content-Encoding "${encoding}"; use gzip, deflate or br`));
    }
  }
  // Listeners rather than `for await`: leaving an async iterator destroys the request, and with
  // it the connection's parser state, so the next request on a keep-alive connection hung.
  return new Promise<Buffer>((resolve, reject) => {
    const source: NodeJS.ReadableStream = decoder ?? req;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: ApiError): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      req.off('error', onError);
      req.off('close', onClose);
      if (decoder) {
        req.unpipe(decoder);
        decoder.destroy();
      }
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit, `over ${limit}`));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void =>
      finish(invalidInput(`The request body cannot be read${encoding === 'identity' ? '' : ` as ${encoding}`}: ${error.message}`));
    const onClose = (): void => {
      if (!req.complete) finish(invalidInput('The request body ended before it was complete'));
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    req.on('close', onClose);
    if (decoder) {
      req.on('error', onError);
      req.pipe(decoder);
    }
  });
}

/** How much of an unread body is read and dropped after an error answer before the connection is closed. */
export interface DiscardLimits {
  /** Bytes read and dropped at most. */
  readonly maxBytes: number;
  /** Milliseconds at most. */
  readonly maxMs: number;
}

/**
 * Whether the rest of a request body that was not read whole is more than `limits` would discard:
 * such an answer says `Connection: close`, since the connection cannot be used again.
 */
export function bodyTooLongToDiscard(req: IncomingMessage, limits: DiscardLimits): boolean {
  if (req.complete) return false;
  const declared = Number(bodyHeadersOf(req).contentLength ?? Number.NaN);
  return Number.isFinite(declared) && declared > limits.maxBytes;
}

/**
 * Reads and drops what is left of a request body that an error answer did not need, so that the
 * keep-alive connection can carry the next request. Past `limits` (bytes or time) the connection
 * is closed instead: a client sending on and on gets its answer and then a closed connection,
 * never a connection that hangs.
 */
export function discardBody(req: IncomingMessage, limits: DiscardLimits): void {
  if (req.complete) return;
  const socket = req.socket;
  let dropped = 0;
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', stop);
    socket.off('close', stop);
  };
  const cut = (): void => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > limits.maxBytes) cut();
  };
  const timer = setTimeout(cut, limits.maxMs);
  timer.unref();
  req.on('data', onData);
  req.once('end', stop);
  socket.once('close', stop);
  req.resume();
}

/**
 * The deepest a JSON body may nest: a stored value's limit, plus one level for the array a batch of
 * items or requests comes in. Each stored value is checked against its own limit afterwards.
 */
const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 1;

/** Parses a JSON body, or throws 400 `invalid-input`; a body nested too deep is refused before it is parsed. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw invalidInput('The request body is empty; JSON was expected');
  const text = body.toString('utf8');
  if (jsonTextExceedsDepth(text, MAX_BODY_DEPTH)) {
    throw invalidInput(`The request body nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidInput(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}
