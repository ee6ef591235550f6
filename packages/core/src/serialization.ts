import { StorageError } from './errors.js';

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

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function toJson(value: unknown, key: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new StorageError('invalid-value', `Value of record "${key}" cannot be serialized as JSON: ${(cause as Error).message}`, { cause });
  }
  if (json === undefined) {
    throw new StorageError('invalid-value', `Value of record "${key}" (a ${typeof value}) cannot be serialized as JSON`);
  }
  return json;
}

function assertJsonText(text: string, key: string): void {
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new StorageError('invalid-value', `Value of record "${key}" is a string that is not valid JSON, but its content type is JSON`, { cause });
  }
}

/**
 * Turns a value into a record body and content type. Without `contentType`: strings are text,
 * bytes are `application/octet-stream`, anything else is JSON. With a JSON `contentType`, non-string
 * values are serialized; with any other `contentType` the value must be a string or bytes.
 */
export function serializeRecordValue(key: string, value: unknown, contentType?: string): SerializedRecord {
  if (contentType !== undefined) {
    if (typeof contentType !== 'string' || contentType.trim() === '' || !contentType.includes('/')) {
      throw new StorageError('invalid-argument', `Invalid content type ${JSON.stringify(contentType)} for record "${key}"`);
    }
    if (typeof value === 'string') {
      if (isJsonContentType(contentType)) assertJsonText(value, key);
      return { body: value, contentType };
    }
    if (isBytes(value)) return { body: Buffer.from(value), contentType };
    if (isJsonContentType(contentType)) return { body: toJson(value, key), contentType };
    throw new StorageError(
      'invalid-value',
      `Value of record "${key}" must be a string or bytes when its content type is "${contentType}"`,
    );
  }
  if (typeof value === 'string') return { body: value, contentType: TEXT_CONTENT_TYPE };
  if (isBytes(value)) return { body: Buffer.from(value), contentType: BINARY_CONTENT_TYPE };
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
