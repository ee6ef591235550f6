import { describe, expect, it } from 'vitest';
import { expectStorageError } from './expect-storage-error.js';
import {
  MAX_ITEM_BYTES,
  MAX_JSON_DEPTH,
  RECORD_KEY_PATTERN,
  STORAGE_NAME_PATTERN,
  StorageError,
  assertRecordKey,
  assertStorageId,
  assertStorageName,
  isValidRecordKey,
  jsonTextExceedsDepth,
  serializeDatasetItems,
  serializeJson,
  type StorageErrorCode,
} from '../src/index.js';

describe('assertRecordKey', () => {
  it('accepts letters, digits and each allowed special character', () => {
    for (const key of ['a', 'Z', '0', 'abcXYZ789', '!', '-', '_', '...', "'", '(', ')', "INPUT", "a!b-c_d.e'f(g)h"]) {
      expect(() => assertRecordKey(key), key).not.toThrow();
      expect(RECORD_KEY_PATTERN.test(key), key).toBe(true);
    }
  });

  it('accepts 256 characters and rejects 257', () => {
    expect(() => assertRecordKey('k'.repeat(256))).not.toThrow();
    expectStorageError(() => assertRecordKey('k'.repeat(257)), 'invalid-key');
  });

  it('rejects an empty key', () => {
    expectStorageError(() => assertRecordKey(''), 'invalid-key');
  });

  it.each([
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a space', 'a b'],
    ['a leading space', ' a'],
    ['a trailing newline', 'a\n'],
    ['a non-ASCII letter', 'čaj'],
    ['an emoji', 'key😀'],
    ['a full-width digit', '１'],
    ['a colon', 'a:b'],
    ['a plus', 'a+b'],
    ['an asterisk', 'a*b'],
    ['a tilde', 'a~b'],
    ['a NUL', 'a\0b'],
  ])('rejects a key with %s', (_what, key) => {
    const error = expectStorageError(() => assertRecordKey(key), 'invalid-key');
    expect(error.message).toContain('Invalid record key');
  });

  it.each(['.', '..'])('rejects the path segment %s, which would address the store or its parent', (key) => {
    expectStorageError(() => assertRecordKey(key), 'invalid-key');
  });

  it('rejects non-strings', () => {
    for (const key of [undefined, null, 1, true, {}, ['a'], Symbol('a')]) {
      expectStorageError(() => assertRecordKey(key), 'invalid-key');
    }
  });

  it.each(['__metadata__', 'foo.__metadata__', '__metadata__.json', 'a.__metadata__.b', 'x.y.__metadata__'])(
    'rejects %s, which would name a metadata file of the storage layout, as reserved',
    (key) => {
      const error = expectStorageError(() => assertRecordKey(key), 'invalid-key');
      expect(error.message).toContain(JSON.stringify(key));
      expect(error.message).toContain('reserved');
      expect(isValidRecordKey(key)).toBe(false);
    },
  );

  it('accepts keys that only resemble the reserved part', () => {
    for (const key of ['__metadata', 'metadata__', 'x__metadata__', '__metadata__x', '_.__metadata___', 'a.__metadata_.json', '.__meta__']) {
      expect(() => assertRecordKey(key), key).not.toThrow();
      expect(isValidRecordKey(key), key).toBe(true);
    }
  });

  it('names the bad key and the rule in the message', () => {
    const error = expectStorageError(() => assertRecordKey('bad key'), 'invalid-key');
    expect(error.message).toContain('"bad key"');
    expect(error.message).toContain('1 to 256');
    expect(error.message).toContain("!-_.'()");
  });
});

describe('assertStorageName', () => {
  it('accepts letters, digits and inner dashes', () => {
    for (const name of ['a', 'my-queue', 'My-Dataset-2', 'a-b-c', 'a--b', '0', '123', '2024']) {
      expect(() => assertStorageName(name), name).not.toThrow();
      expect(STORAGE_NAME_PATTERN.test(name), name).toBe(true);
    }
  });

  it('accepts 63 characters and rejects 64', () => {
    expect(() => assertStorageName('n'.repeat(63))).not.toThrow();
    expect(() => assertStorageName(`a${'-'.repeat(61)}b`)).not.toThrow();
    expectStorageError(() => assertStorageName('n'.repeat(64)), 'invalid-name');
  });

  it.each([
    ['empty', ''],
    ['a leading dash', '-abc'],
    ['a trailing dash', 'abc-'],
    ['only a dash', '-'],
    ['an underscore', 'my_queue'],
    ['a dot', 'my.queue'],
    ['a space', 'my queue'],
    ['a slash', 'my/queue'],
    ['a non-ASCII letter', 'fronta-č'],
    ['a tilde', '~name'],
  ])('rejects a name with %s', (_what, name) => {
    const error = expectStorageError(() => assertStorageName(name), 'invalid-name');
    expect(error.message).toContain('Invalid storage name');
    expect(error.message).toContain('63');
  });

  it('rejects non-strings', () => {
    for (const name of [undefined, null, 5, {}, []]) expectStorageError(() => assertStorageName(name), 'invalid-name');
  });

  it.each(['default', 'DEFAULT', 'Default'])('rejects %s, the folder and Crawlee name of the default storage, as reserved', (name) => {
    const error = expectStorageError(() => assertStorageName(name), 'invalid-name');
    expect(error.message).toContain('reserved');
    expect(error.message).toContain(JSON.stringify(name));
  });

  it('accepts names that only start or end like the reserved one', () => {
    for (const name of ['default-2', 'defaults', 'my-default', 'defaul']) expect(() => assertStorageName(name), name).not.toThrow();
  });
});

describe('assertStorageId', () => {
  it('accepts ordinary ids, including 256 characters', () => {
    for (const id of ['default', 'mIJVZsRQrDQf4rUAf', 'a', 'my-dataset', 'with_underscore', 'x'.repeat(256)]) {
      expect(() => assertStorageId(id), id).not.toThrow();
    }
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a NUL', 'a\0b'],
    ['the current directory', '.'],
    ['the parent directory', '..'],
    ['a path traversal', '../etc'],
  ])('rejects an id that is %s', (_what, id) => {
    const error = expectStorageError(() => assertStorageId(id), 'invalid-argument');
    expect(error.message).toContain('Invalid storage id');
  });

  it('rejects non-strings', () => {
    for (const id of [undefined, null, 1, {}, ['default']]) expectStorageError(() => assertStorageId(id), 'invalid-argument');
  });
});

describe('serializeDatasetItems', () => {
  it('serializes one plain object to one JSON string', () => {
    expect(serializeDatasetItems({ a: 1, b: 'x', c: [1, 2], d: { e: null } })).toEqual(['{"a":1,"b":"x","c":[1,2],"d":{"e":null}}']);
  });

  it('serializes an array of plain objects item by item, in order', () => {
    const out = serializeDatasetItems([{ a: 1 }, { b: 2 }, {}]);
    expect(out).toEqual(['{"a":1}', '{"b":2}', '{}']);
    expect(out.map((json) => JSON.parse(json) as unknown)).toEqual([{ a: 1 }, { b: 2 }, {}]);
  });

  it('gives nothing for an empty array', () => {
    expect(serializeDatasetItems([])).toEqual([]);
  });

  it('accepts an object with a null prototype', () => {
    const item = Object.create(null) as Record<string, unknown>;
    item['a'] = 1;
    expect(serializeDatasetItems(item)).toEqual(['{"a":1}']);
    expect(serializeDatasetItems([item])).toEqual(['{"a":1}']);
  });

  it('accepts objects nested with Dates and other values inside (serialized as JSON)', () => {
    const date = new Date('2024-01-02T03:04:05.000Z');
    expect(serializeDatasetItems({ at: date })).toEqual(['{"at":"2024-01-02T03:04:05.000Z"}']);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', '{"a":1}'],
    ['a boolean', true],
    ['a Date instance', new Date()],
    ['a Map', new Map([['a', 1]])],
    ['a class instance', new (class Item { a = 1; })()],
  ])('rejects %s as the data', (_what, data) => {
    const error = expectStorageError(() => serializeDatasetItems(data), 'invalid-item');
    expect(error.message).toMatch(/plain object/);
  });

  it('rejects an array holding a non-object and names its index', () => {
    for (const [data, index] of [
      [[{ a: 1 }, null], 1],
      [[{ a: 1 }, { b: 2 }, 3], 2],
      [['x'], 0],
      [[[{ a: 1 }]], 0],
      [[{}, new Date()], 1],
    ] as const) {
      const error = expectStorageError(() => serializeDatasetItems(data), 'invalid-item');
      expect(error.message).toContain(`index ${index}`);
    }
  });

  it('says what it got instead of an object', () => {
    expect(expectStorageError(() => serializeDatasetItems([[]]), 'invalid-item').message).toContain('an array');
    expect(expectStorageError(() => serializeDatasetItems([null]), 'invalid-item').message).toContain('null');
    expect(expectStorageError(() => serializeDatasetItems([new Date()]), 'invalid-item').message).toContain('Date');
  });

  it('rejects a circular item with invalid-item naming its index, keeping the cause', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    const error = expectStorageError(() => serializeDatasetItems([{ ok: true }, circular]), 'invalid-item');
    expect(error.message).toContain('index 1');
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('rejects an item holding a BigInt with invalid-item', () => {
    const error = expectStorageError(() => serializeDatasetItems({ n: 10n }), 'invalid-item');
    expect(error.message).toContain('index 0');
  });

  it('rejects a plain object whose toJSON does not give an object', () => {
    expect(expectStorageError(() => serializeDatasetItems({ toJSON: () => 5 }), 'invalid-item').message).toContain('index 0');
    expect(expectStorageError(() => serializeDatasetItems([{}, { toJSON: () => undefined }]), 'invalid-item').message).toContain('index 1');
    expect(expectStorageError(() => serializeDatasetItems({ toJSON: () => [1] }), 'invalid-item').message).toContain('index 0');
  });

  it('validates every item before giving anything back (no partial result)', () => {
    expectStorageError(() => serializeDatasetItems([{ a: 1 }, { b: 2 }, 'bad']), 'invalid-item');
  });

  describe('the 9 MiB limit, measured in UTF-8 bytes', () => {
    // `{"a":"` + text + `"}` is 8 bytes of JSON around the text.
    const OVERHEAD = Buffer.byteLength('{"a":""}');

    it('is 9 MiB', () => {
      expect(MAX_ITEM_BYTES).toBe(9 * 1024 * 1024);
    });

    it('accepts an item of exactly 9 MiB of ASCII and rejects one byte more', () => {
      const text = 'x'.repeat(MAX_ITEM_BYTES - OVERHEAD);
      const [json] = serializeDatasetItems({ a: text });
      expect(Buffer.byteLength(json ?? '')).toBe(MAX_ITEM_BYTES);
      const error = expectStorageError(() => serializeDatasetItems([{}, { a: `${text}x` }]), 'item-too-large');
      expect(error.message).toContain('index 1');
      expect(error.message).toContain(String(MAX_ITEM_BYTES + 1));
    });

    it('counts two-byte characters as two bytes: exactly at the limit passes, over it fails', () => {
      const atLimit = 'é'.repeat((MAX_ITEM_BYTES - OVERHEAD) / 2);
      const [json] = serializeDatasetItems({ a: atLimit });
      expect(Buffer.byteLength(json ?? '')).toBe(MAX_ITEM_BYTES);
      // Fewer UTF-16 units than bytes: a check on string length alone would let this through.
      const over = `${atLimit}é`;
      expect(JSON.stringify({ a: over }).length).toBeLessThan(MAX_ITEM_BYTES);
      const error = expectStorageError(() => serializeDatasetItems([{ a: 1 }, { b: 2 }, { a: over }]), 'item-too-large');
      expect(error.message).toContain('index 2');
      expect(error.message).toContain(String(MAX_ITEM_BYTES + 2));
      expect(error.message).toContain('9 MiB');
    });

    it('counts three-byte and four-byte characters exactly', () => {
      // '€' is 3 bytes in 1 UTF-16 unit; '😀' is 4 bytes in 2 units.
      const rest = MAX_ITEM_BYTES - OVERHEAD - 4;
      expect(rest % 3).toBe(0);
      const atLimit = `${'€'.repeat(rest / 3)}😀`;
      const [json] = serializeDatasetItems({ a: atLimit });
      expect(Buffer.byteLength(json ?? '')).toBe(MAX_ITEM_BYTES);
      expectStorageError(() => serializeDatasetItems({ a: `${atLimit}x` }), 'item-too-large');
      expectStorageError(() => serializeDatasetItems({ a: `${atLimit}😀` }), 'item-too-large');
    });

    it('measures the serialized form, escapes included', () => {
      // A quote becomes `\"`: 2 bytes each once serialized.
      const quotes = '"'.repeat((MAX_ITEM_BYTES - OVERHEAD) / 2);
      expect(() => serializeDatasetItems({ a: quotes })).not.toThrow();
      expectStorageError(() => serializeDatasetItems({ a: `${quotes}"` }), 'item-too-large');
    });
  });
});

describe('jsonTextExceedsDepth', () => {
  const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('counts arrays and objects, the value itself being level 1', () => {
    expect(jsonTextExceedsDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextExceedsDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextExceedsDepth(`${'{"a":'.repeat(3)}1}}}`, 3)).toBe(false);
    expect(jsonTextExceedsDepth(`${'{"a":'.repeat(3)}[1]}}}`, 3)).toBe(true);
    expect(jsonTextExceedsDepth('[[1],[2],[[3]]]', 3)).toBe(false);
    expect(jsonTextExceedsDepth('[[1],[2],[[[3]]]]', 3)).toBe(true);
  });

  it('skips brackets inside strings, escaped quotes and backslashes included', () => {
    const inString = (s: string): string => JSON.stringify([s]);
    expect(jsonTextExceedsDepth(inString('['.repeat(10_000)), 1)).toBe(false);
    expect(jsonTextExceedsDepth(inString(`"${'['.repeat(10)}`), 1)).toBe(false);
    expect(jsonTextExceedsDepth(inString(`\\${'['.repeat(10)}`), 1)).toBe(false);
    expect(jsonTextExceedsDepth(inString(`\\"[[[[[\\\\`), 1)).toBe(false);
    // After a string that ends in an escaped backslash, brackets count again.
    expect(jsonTextExceedsDepth(`["\\\\",[[[]]]]`, 3)).toBe(true);
    expect(jsonTextExceedsDepth(`["\\\\",[[]]]`, 3)).toBe(false);
  });

  it('reads any text without throwing: unclosed strings, stray closers, a 1,000,000-deep text', () => {
    expect(jsonTextExceedsDepth(`["${'['.repeat(2000)}`, 2)).toBe(false);
    expect(jsonTextExceedsDepth(']]]]' + '['.repeat(2000))).toBe(true);
    expect(jsonTextExceedsDepth(nested(1_000_000))).toBe(true);
  });
});

describe('serializeJson', () => {
  it('gives JSON, or undefined for what has no JSON form', () => {
    expect(serializeJson({ a: [1, 'x'] }, 'invalid-value', 'Value')).toBe('{"a":[1,"x"]}');
    expect(serializeJson(undefined, 'invalid-value', 'Value')).toBeUndefined();
    expect(serializeJson({ f: () => 1, s: Symbol('s'), u: undefined }, 'invalid-value', 'Value')).toBe('{}');
  });

  it('refuses a BigInt, a cycle and nesting past the bound with a StorageError of the given code', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = [cycle];
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const [value, words] of [[{ n: 1n }, /BigInt/], [cycle, /circular/], [deep, /deeper than 512 levels/]] as const) {
      const error = expectStorageError(() => serializeJson(value, 'invalid-argument', 'The thing'), 'invalid-argument');
      expect(error.message).toMatch(/^The thing /);
      expect(error.message).toMatch(words);
    }
    let justTooDeep: unknown = 1;
    for (let i = 0; i < 11; i++) justTooDeep = [justTooDeep];
    expectStorageError(() => serializeJson(justTooDeep, 'invalid-item', 'Item', 10), 'invalid-item');
    expect(serializeJson(justTooDeep, 'invalid-item', 'Item', 11)).toBe(`${'['.repeat(11)}1${']'.repeat(11)}`);
  });
});
