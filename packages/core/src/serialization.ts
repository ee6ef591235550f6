import { types } from 'node:util';
import { StorageError } from './errors.js';
import { MAX_JSON_DEPTH, jsonTextExceedsDepth, serializeJson } from './validation.js';

/** Content type given to string values. */
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Content type given to JSON values. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** Content type given to bytes. */
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/** A record body as storage clients keep it: a string for text and JSON, bytes otherwise. */
export type RecordBody = string | Buffer;

/** A value ready for a storage client: its body and content type. */
export interface SerializedRecord {
  readonly body: RecordBody;
  readonly contentType: string;
}

function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** True for `application/json` and `*\/*+json` content types. */
export function isJsonContentType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === 'application/json' || type.endsWith('+json');
}

/** True for `text/*` content types and the textual application types (XML, JavaScript). */
export function isTextContentType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml') || type === 'application/javascript';
}

/**
 * The largest stream or Blob `KeyValueStore.setValue` reads into a record: 64 MiB. A stream
 * is read into memory before it is stored, so the bound keeps an endless or huge stream from
 * exhausting the heap; bytes already in memory (a Buffer) have no such bound.
 */
export const MAX_STREAMED_RECORD_BYTES = 64 * 1024 * 1024;
/** The longest content type a record may have (far below the 16 KiB Node allows for all headers). */
export const MAX_CONTENT_TYPE_LENGTH = 1024;

// RFC 9110 §8.3.1: type "/" subtype *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ), in
// ASCII only: obs-text (bytes 0x80-0xFF) is obsolete, and HTTP stacks decode it differently.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING = '"(?:[\\t !#-\\[\\]-~]|\\\\[\\t -~])*"';
const MEDIA_TYPE_PATTERN = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;(?:[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED_STRING}))?)*$`);

function describeContentType(contentType: unknown): string {
  if (typeof contentType !== 'string') return `a ${contentType === null ? 'null' : typeof contentType}`;
  return JSON.stringify(contentType.length > 80 ? `${contentType.slice(0, 80)}…` : contentType);
}

/** True when `contentType` is a valid media type with parameters (RFC 9110), in ASCII, as HTTP can carry it. */
export function isValidContentType(contentType: unknown): contentType is string {
  if (typeof contentType !== 'string' || contentType.length > MAX_CONTENT_TYPE_LENGTH) return false;
  return MEDIA_TYPE_PATTERN.test(contentType.replace(/^[ \t]+|[ \t]+$/g, ''));
}

/**
 * Checks a record's content type and gives it without surrounding spaces. Throws
 * `invalid-argument` for anything that is not a media type HTTP can carry: no `/`, a CR or LF,
 * characters outside ASCII, malformed parameters, more than {@link MAX_CONTENT_TYPE_LENGTH} characters.
 */
export function assertContentType(contentType: unknown, key: string): string {
  if (!isValidContentType(contentType)) {
    throw new StorageError(
      'invalid-argument',
      `Invalid content type ${describeContentType(contentType)} for record "${key}": expected a media type such as "text/html; charset=utf-8", in ASCII, without line breaks`,
    );
  }
  return contentType.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** A copy of the bytes of a Buffer, typed array, DataView, ArrayBuffer or SharedArrayBuffer; `undefined` for anything else. */
function bytesOf(value: unknown): Buffer | undefined {
  if (ArrayBuffer.isView(value)) return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (types.isAnyArrayBuffer(value)) return Buffer.from(new Uint8Array(value));
  return undefined;
}

/** The bytes of a Buffer, typed array, DataView or ArrayBuffer as a Buffer that shares their memory. */
function viewOf(value: unknown): Buffer | undefined {
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (types.isAnyArrayBuffer(value)) return Buffer.from(value);
  return undefined;
}

interface NodeReadableLike {
  pipe(...args: unknown[]): unknown;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

function isNodeReadable(value: unknown): value is NodeReadableLike {
  const candidate = value as Partial<NodeReadableLike> | null;
  return typeof value === 'object' && value !== null && typeof candidate?.pipe === 'function' && typeof candidate[Symbol.asyncIterator] === 'function';
}

function isWebReadableStream(value: unknown): value is ReadableStream<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { getReader?: unknown }).getReader === 'function';
}

/** True for the values {@link readRecordStream} reads: a Node `Readable`, a web `ReadableStream` or a `Blob`. */
function isStreamed(value: unknown): boolean {
  return isNodeReadable(value) || isWebReadableStream(value) || value instanceof Blob;
}

async function* webStreamChunks(stream: ReadableStream<unknown>): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Stopped early (too large, a bad chunk): cancel the stream so its source is released.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function tooLarge(key: string): StorageError {
  return new StorageError('invalid-value', `Value of record "${key}" is a stream or Blob of more than ${MAX_STREAMED_RECORD_BYTES} bytes (64 MiB), the most setValue reads; pass a Buffer to store more`);
}

async function readChunks(key: string, chunks: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of chunks) {
      // Views, not copies: Buffer.concat copies them once at the end.
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : viewOf(chunk);
      if (bytes === undefined) {
        throw new StorageError('invalid-value', `Value of record "${key}" is a stream that gave a chunk that is neither bytes nor a string`);
      }
      size += bytes.length;
      if (size > MAX_STREAMED_RECORD_BYTES) throw tooLarge(key);
      parts.push(bytes);
    }
  } catch (error) {
    if (StorageError.is(error)) throw error;
    throw new StorageError('invalid-value', `Value of record "${key}" is a stream that failed while it was read: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return Buffer.concat(parts, size);
}

/**
 * Reads a streamed record value into bytes: a Node `Readable`, a web `ReadableStream` (chunks of
 * bytes or strings) or a `Blob`, at most {@link MAX_STREAMED_RECORD_BYTES}; a Blob's `type`, when
 * valid, is the content type to default to. Any other value is given back as it is. Throws
 * `invalid-value` for a stream that is too large, fails, or gives something other than bytes.
 */
export async function readRecordStream(key: string, value: unknown): Promise<{ readonly value: unknown; readonly contentType?: string }> {
  if (value instanceof Blob) {
    if (value.size > MAX_STREAMED_RECORD_BYTES) throw tooLarge(key);
    const bytes = Buffer.from(await value.arrayBuffer());
    return isValidContentType(value.type) && value.type !== '' ? { value: bytes, contentType: value.type } : { value: bytes };
  }
  if (isNodeReadable(value)) return { value: await readChunks(key, value) };
  if (isWebReadableStream(value)) return { value: await readChunks(key, webStreamChunks(value)) };
  return { value };
}

function toJson(value: unknown, key: string): string {
  const json = serializeJson(value, 'invalid-value', `Value of record "${key}"`);
  if (json === undefined) {
    throw new StorageError('invalid-value', `Value of record "${key}" (a ${typeof value}) cannot be serialized as JSON`);
  }
  return json;
}

function assertJsonText(text: string, key: string): void {
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new StorageError('invalid-value', `Value of record "${key}" is not valid JSON, but its content type is JSON`, { cause });
  }
  if (jsonTextExceedsDepth(text)) {
    throw new StorageError('invalid-value', `Value of record "${key}" is JSON that nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/**
 * Turns a value into a record body and content type. Without `contentType`: strings are text,
 * binary data (a Buffer, any typed array, a DataView, an ArrayBuffer or SharedArrayBuffer, stored
 * as the bytes it views) is `application/octet-stream`, anything else is JSON. With a JSON
 * `contentType`, a string or bytes must be JSON text and other values are serialized; with any
 * other `contentType` the value must be a string or bytes. Streams must be read first
 * ({@link readRecordStream}; `KeyValueStore.setValue` does). Throws `invalid-argument` for a
 * malformed content type and `invalid-value` for a value that cannot be stored, before anything is written.
 */
export function serializeRecordValue(key: string, value: unknown, contentType?: string): SerializedRecord {
  const type = contentType === undefined ? undefined : assertContentType(contentType, key);
  if (isStreamed(value)) {
    throw new StorageError('invalid-value', `Value of record "${key}" is a stream or Blob: read it into bytes first (KeyValueStore.setValue does)`);
  }
  const bytes = typeof value === 'string' ? undefined : bytesOf(value);
  if (type !== undefined) {
    const json = isJsonContentType(type);
    if (typeof value === 'string') {
      if (json) assertJsonText(value, key);
      return { body: value, contentType: type };
    }
    if (bytes !== undefined) {
      if (json) assertJsonText(bytes.toString('utf8'), key);
      return { body: bytes, contentType: type };
    }
    if (json) return { body: toJson(value, key), contentType: type };
    throw new StorageError('invalid-value', `Value of record "${key}" must be a string or bytes when its content type is "${type}"`);
  }
  if (typeof value === 'string') return { body: value, contentType: TEXT_CONTENT_TYPE };
  if (bytes !== undefined) return { body: bytes, contentType: BINARY_CONTENT_TYPE };
  return { body: toJson(value, key), contentType: JSON_CONTENT_TYPE };
}

/**
 * Turns a stored body back into the value that was stored: parsed JSON for JSON content types,
 * a string for text, a Buffer otherwise.
 */
export function deserializeRecordValue(body: RecordBody, contentType: string): unknown {
  if (isJsonContentType(contentType)) {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new StorageError('internal', `Stored JSON record is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  if (isTextContentType(contentType)) return typeof body === 'string' ? body : body.toString('utf8');
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** Size of a record body in bytes. */
export function recordBodySize(body: RecordBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
