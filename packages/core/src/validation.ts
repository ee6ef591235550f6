import { StorageError } from './errors.js';
import type { StorageKind } from './models.js';

/** Record keys: 1 to 256 of letters, digits and `!-_.'()`. */
export const RECORD_KEY_PATTERN = /^[a-zA-Z0-9!\-_.'()]{1,256}$/;
/** Storage names: letters, digits and `-`, not starting or ending with `-`, 1 to 63 characters. */
export const STORAGE_NAME_PATTERN = /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/;
/** The largest a dataset item may be once serialized as JSON: 9 MiB. */
export const MAX_ITEM_BYTES = 9 * 1024 * 1024;

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function stringifyItem(item: Record<string, unknown>, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(item);
  } catch (cause) {
    throw new StorageError('invalid-item', `Dataset item at index ${index} cannot be serialized as JSON: ${(cause as Error).message}`, { cause });
  }
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
