import type { IncomingMessage, ServerResponse } from 'node:http';
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
      default:
        return new ApiError(500, 'internal-server-error', error.message);
    }
  }
  return new ApiError(500, 'internal-server-error', 'Internal server error');
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends `{"data": value}`. */
export function sendData(res: ServerResponse, status: number, value: unknown): void {
  sendJson(res, status, { data: value });
}

/** Sends an empty answer (204 by default). */
export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** Sends an API error. */
export function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, error.status, { error: { type: error.type, message: error.message } });
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

/**
 * Reads a request body, decoding `gzip`, `deflate` and `br`, and fails with 413 when it (or what
 * it decodes to) is over `limit` bytes. On failure the rest of the body is drained, not kept.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit, declared);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: NodeJS.ReadableStream = req;
  if (encoding !== 'identity' && encoding !== '') {
    const decoder = decoderFor(encoding);
    if (!decoder) {
      req.resume();
      throw new ApiError(415, 'unsupported-content-encoding', `Unsupported Content-Encoding "${encoding}"; use gzip, deflate or br`);
    }
    req.on('error', (error) => decoder.destroy(error));
    source = req.pipe(decoder);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit, `over ${limit}`);
      chunks.push(chunk);
    }
  } catch (error) {
    req.unpipe();
    req.resume();
    if (error instanceof ApiError) throw error;
    throw invalidInput(`The request body cannot be read${encoding === 'identity' ? '' : ` as ${encoding}`}: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks, size);
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
