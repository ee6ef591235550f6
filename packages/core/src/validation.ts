import { StorageError, type StorageErrorCode } from './errors.js';
import type { StorageKind } from './models.js';

/** Record keys: 1 to 256 of letters, digits and `!-_.'()`. */
export const RECORD_KEY_PATTERN = /^[a-zA-Z0-9!\-_.'()]{1,256}$/;
/** Storage names: letters, digits and `-`, not starting or ending with `-`, 1 to 63 characters. */
export const STORAGE_NAME_PATTERN = /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/;
/** The largest a dataset item may be once serialized as JSON: 9 MiB. */
export const MAX_ITEM_BYTES = 9 * 1024 * 1024;
/**
 * The deepest nesting of arrays and objects a stored JSON value may have, the value itself being
 * level 1 (`{"a":[1]}` is 2 deep): 512. Deeper values are refused when they are written, so no
 * reader of a storage (ours, `JSON.stringify` itself, a recursive walk, a Python SDK) runs out of stack.
 */
export const MAX_JSON_DEPTH = 512;

/** Index of the `"` that ends the JSON string starting at `start`, or -1 when it is not closed. */
function endOfJsonString(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let at = quote - 1; text.charCodeAt(at) === 0x5c; at--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/**
 * True when a JSON text nests arrays and objects deeper than `maxDepth`. One pass over the text
 * without parsing or recursion (strings are skipped), so it is safe on any text, JSON or not.
 */
export function jsonTextExceedsDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  // Every level takes an opening and a closing bracket: a short text cannot be too deep.
  if (text.length <= 2 * maxDepth) return false;
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === 0x22) {
      at = endOfJsonString(text, at);
      if (at === -1) return false; // not JSON: its parser says why
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Why `JSON.stringify` failed, in words. */
function jsonFailure(cause: unknown, maxDepth: number): string {
  // V8 recurses while serializing: a value nested a few thousand levels deep overflows the stack.
  if (cause instanceof RangeError && /call stack/i.test(cause.message)) return `it nests arrays and objects deeper than ${maxDepth} levels`;
  return cause instanceof Error ? (cause.message.split('\n')[0] ?? cause.message) : String(cause);
}

/**
 * Serializes `value` as JSON for storage, refusing what JSON cannot hold or a reader could not
 * read back: a BigInt, a circular structure, nesting deeper than `maxDepth` (default {@link MAX_JSON_DEPTH}). Throws a
 * `StorageError` of `code` whose message starts with `what` (or what it gives, made only on failure); gives `undefined` for a value that has
 * no JSON form (`undefined`, a function, a symbol). Functions, symbols and `undefined` inside
 * objects are left out, as `JSON.stringify` does.
 */
export function serializeJson(value: unknown, code: StorageErrorCode, what: string | (() => string), maxDepth: number = MAX_JSON_DEPTH): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new StorageError(code, `${typeof what === 'string' ? what : what()} cannot be serialized as JSON: ${jsonFailure(cause, maxDepth)}`, { cause });
  }
  if (json !== undefined && jsonTextExceedsDepth(json, maxDepth)) {
    throw new StorageError(code, `${typeof what === 'string' ? what : what()} cannot be stored: it nests arrays and objects deeper than ${maxDepth} levels`);
  }
  return json;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  return typeof value === 'object' ? `a ${value.constructor?.name ?? 'null-prototype'} object` : `a ${typeof value}`;
}

/**
 * Keys with `__metadata__` as one of their dot-separated parts name the metadata files of the
 * on-disk layout Crawlee and `@x/fs-client` share (`__metadata__.json` is the store's metadata,
 * `<key>.__metadata__.json` a record's, and Crawlee takes any `*.__metadata__.*` file for one), so
 * such a record would overwrite or be read as one of them.
 */
const RESERVED_KEY_PART = /(^|\.)__metadata__(\.|$)/;

/**
 * True for a valid record key: it matches {@link RECORD_KEY_PATTERN}, is no path segment (`.`,
 * `..`) and is not reserved (has no `__metadata__` part). See {@link assertRecordKey}.
 */
export function isValidRecordKey(key: unknown): key is string {
  return typeof key === 'string' && RECORD_KEY_PATTERN.test(key) && key !== '.' && key !== '..' && !RESERVED_KEY_PART.test(key);
}

/** Throws `invalid-key` unless `key` is a valid record key. */
export function assertRecordKey(key: unknown): asserts key is string {
  if (isValidRecordKey(key)) return;
  // `.` and `..` match the pattern but are path segments: in a record URL or a file path they
  // would address the store itself or its parent, not a record.
  if (typeof key === 'string' && RECORD_KEY_PATTERN.test(key) && key !== '.' && key !== '..') {
    throw new StorageError(
      'invalid-key',
      `Record key ${describe(key)} is reserved: a key with "__metadata__" as a dot-separated part would name a metadata file of the storage layout`,
    );
  }
  throw new StorageError(
    'invalid-key',
    `Invalid record key ${describe(key)}: a key is 1 to 256 characters of a-z, A-Z, 0-9 and !-_.'(), other than "." and ".."`,
  );
}

/**
 * The storage name no storage may have, in any case: the folder of the run's default storage is
 * `default`, and Crawlee's own default storage is a storage *named* `default` (Crawlee also
 * matches names without regard to case, as do the file systems of macOS and Windows).
 */
export const RESERVED_STORAGE_NAME = 'default';

/** Throws `invalid-name` unless `name` is a valid storage name (and not the reserved `default`). */
export function assertStorageName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !STORAGE_NAME_PATTERN.test(name)) {
    throw new StorageError(
      'invalid-name',
      `Invalid storage name ${describe(name)}: a name is 1 to 63 letters, digits and '-', not starting or ending with '-'`,
    );
  }
  if (name.toLowerCase() === RESERVED_STORAGE_NAME) {
    throw new StorageError(
      'invalid-name',
      `Storage name ${describe(name)} is reserved for the run's default storage: open that one without a name or id, or choose another name`,
    );
  }
}

/** Throws `invalid-argument` unless `id` is a non-empty string without path separators or NUL. */
export function assertStorageId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256 || /[/\\\0]/.test(id) || id === '.' || id === '..') {
    throw new StorageError('invalid-argument', `Invalid storage id ${describe(id)}`);
  }
}

/** True for objects made by `{}` or `Object.create(null)`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function stringifyItem(item: Record<string, unknown>, index: number): string {
  const json = serializeJson(item, 'invalid-item', () => `Dataset item at index ${index}`);
  // A toJSON() method can turn a plain object into something else (or into nothing).
  if (typeof json !== 'string' || !json.startsWith('{')) {
    throw new StorageError('invalid-item', `Dataset item at index ${index} must serialize to a JSON object, but its toJSON() gives ${json === undefined ? 'nothing' : 'something else'}`);
  }
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit; measure exactly only near the limit.
  if (json.length * 3 > MAX_ITEM_BYTES && Buffer.byteLength(json) > MAX_ITEM_BYTES) {
    throw new StorageError(
      'item-too-large',
      `Dataset item at index ${index} is ${Buffer.byteLength(json)} bytes serialized; the limit is ${MAX_ITEM_BYTES} bytes (9 MiB)`,
    );
  }
  return json;
}

/**
 * Validates dataset items (one plain object or an array of them) and serializes each to JSON.
 * Throws `invalid-item` or `item-too-large` for the first bad item, before anything is written.
 */
export function serializeDatasetItems(data: unknown): string[] {
  if (isPlainObject(data)) return [stringifyItem(data, 0)];
  if (!Array.isArray(data)) {
    throw new StorageError('invalid-item', `Dataset items must be a plain object or an array of plain objects, got ${describe(data)}`);
  }
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const item: unknown = data[i];
    if (!isPlainObject(item)) {
      throw new StorageError('invalid-item', `Dataset item at index ${i} must be a plain object, got ${describe(item)}`);
    }
    out[i] = stringifyItem(item, i);
  }
  return out;
}

/** Throws `invalid-argument` unless `value` is a non-negative integer (or undefined). */
export function assertOptionalCount(value: unknown, what: string): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
    throw new StorageError('invalid-argument', `${what} must be a non-negative integer, got ${describe(value)}`);
  }
}

const KIND_NAMES: Record<StorageKind, string> = { dataset: 'dataset', keyValueStore: 'key-value store', requestQueue: 'request queue' };

/**
 * The `invalid-name` error of a client that cannot open the storage named `name` because the name
 * belongs to another storage: one without a name whose id is `name` (the default storage of a run
 * with other default ids, one created by id), or, on disk, whatever the folder `name` holds. The
 * storages of a local client live in folders named after their name, or their id when they have
 * none, so the two would be one folder.
 */
export function storageNameTakenError(kind: StorageKind, name: string, holder: { readonly id: string; readonly name?: string | undefined }): StorageError {
  const what = KIND_NAMES[kind];
  const held =
    holder.name === undefined
      ? `the ${what} without a name whose id is "${holder.id}"`
      : `the ${what} named "${holder.name}" (id "${holder.id}")`;
  return new StorageError('invalid-name', `Storage name "${name}" is taken by ${held}: open that one by its id, or choose another name`);
}
