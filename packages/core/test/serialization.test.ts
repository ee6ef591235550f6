import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expectStorageError } from './expect-storage-error.js';
import {
  BINARY_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  MAX_STREAMED_RECORD_BYTES,
  StorageError,
  TEXT_CONTENT_TYPE,
  assertContentType,
  deserializeRecordValue,
  isJsonContentType,
  isTextContentType,
  isValidContentType,
  readRecordStream,
  recordBodySize,
  serializeRecordValue,
  type StorageErrorCode,
} from '../src/index.js';


describe('content type constants', () => {
  it('are the ones DESIGN.md names', () => {
    expect(TEXT_CONTENT_TYPE).toBe('text/plain; charset=utf-8');
    expect(JSON_CONTENT_TYPE).toBe('application/json; charset=utf-8');
    expect(BINARY_CONTENT_TYPE).toBe('application/octet-stream');
  });
});

describe('serializeRecordValue without a content type', () => {
  it('stores a string as text, unchanged', () => {
    expect(serializeRecordValue('k', 'Hello, world!')).toEqual({ body: 'Hello, world!', contentType: 'text/plain; charset=utf-8' });
    expect(serializeRecordValue('k', '')).toEqual({ body: '', contentType: 'text/plain; charset=utf-8' });
    // A string that looks like JSON is still text.
    expect(serializeRecordValue('k', '{"a":1}')).toEqual({ body: '{"a":1}', contentType: 'text/plain; charset=utf-8' });
  });

  it('stores a Buffer as octet-stream bytes', () => {
    const { body, contentType } = serializeRecordValue('k', Buffer.from([1, 2, 3]));
    expect(contentType).toBe('application/octet-stream');
    expect(Buffer.isBuffer(body)).toBe(true);
    expect([...(body as Buffer)]).toEqual([1, 2, 3]);
  });

  it('stores a Uint8Array as a Buffer copy: changing the input afterwards leaves the body alone', () => {
    const input = new Uint8Array([10, 20, 30]);
    const { body, contentType } = serializeRecordValue('k', input);
    expect(contentType).toBe('application/octet-stream');
    expect(Buffer.isBuffer(body)).toBe(true);
    input[0] = 99;
    input.fill(0, 1);
    expect([...(body as Buffer)]).toEqual([10, 20, 30]);
  });

  it('copies a Buffer too', () => {
    const input = Buffer.from('abc');
    const { body } = serializeRecordValue('k', input);
    input.write('xyz');
    expect((body as Buffer).toString('utf8')).toBe('abc');
  });

  it('copies only the viewed part of a Uint8Array over a larger buffer', () => {
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
    const view = backing.subarray(2, 4);
    const { body } = serializeRecordValue('k', view);
    expect([...(body as Buffer)]).toEqual([2, 3]);
  });

  it.each([
    ['an object', { a: 1, b: [true, null], c: { d: 'e' } }, '{"a":1,"b":[true,null],"c":{"d":"e"}}'],
    ['an array', [1, 'two', { three: 3 }], '[1,"two",{"three":3}]'],
    ['a number', 42, '42'],
    ['zero', 0, '0'],
    ['a boolean', false, 'false'],
    ['null', null, 'null'],
    ['an empty object', {}, '{}'],
    ['a Date', new Date('2024-01-02T03:04:05.000Z'), '"2024-01-02T03:04:05.000Z"'],
  ])('stores %s as JSON', (_what, value, json) => {
    expect(serializeRecordValue('k', value)).toEqual({ body: json, contentType: 'application/json; charset=utf-8' });
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('rejects %s with invalid-value naming the key', (_what, value) => {
    const error = expectStorageError(() => serializeRecordValue('my-key', value), 'invalid-value');
    expect(error.message).toContain('"my-key"');
  });

  it('rejects a BigInt and a circular object with invalid-value, keeping the cause', () => {
    const big = expectStorageError(() => serializeRecordValue('k', 1n), 'invalid-value');
    expect(big.cause).toBeInstanceOf(TypeError);
    const circular: Record<string, unknown> = {};
    circular['me'] = circular;
    const circ = expectStorageError(() => serializeRecordValue('k', circular), 'invalid-value');
    expect(circ.cause).toBeInstanceOf(TypeError);
  });
});

describe('serializeRecordValue with a content type', () => {
  it('keeps a string with a text content type as it is', () => {
    expect(serializeRecordValue('k', 'a,b\r\n1,2\r\n', 'text/csv')).toEqual({ body: 'a,b\r\n1,2\r\n', contentType: 'text/csv' });
    expect(serializeRecordValue('k', '<p>hi</p>', 'text/html; charset=utf-8')).toEqual({
      body: '<p>hi</p>',
      contentType: 'text/html; charset=utf-8',
    });
  });

  it('keeps the content type exactly as given', () => {
    expect(serializeRecordValue('k', 'x', 'Text/CSV; Charset=UTF-8').contentType).toBe('Text/CSV; Charset=UTF-8');
  });

  it('serializes an object with a JSON content type', () => {
    expect(serializeRecordValue('k', { a: 1 }, 'application/json')).toEqual({ body: '{"a":1}', contentType: 'application/json' });
    expect(serializeRecordValue('k', [1, 2], 'application/json; charset=utf-8')).toEqual({
      body: '[1,2]',
      contentType: 'application/json; charset=utf-8',
    });
  });

  it('serializes an object with a +json content type', () => {
    expect(serializeRecordValue('k', { a: 1 }, 'application/ld+json')).toEqual({ body: '{"a":1}', contentType: 'application/ld+json' });
    expect(serializeRecordValue('k', { b: 2 }, 'application/vnd.api+json; charset=utf-8').body).toBe('{"b":2}');
  });

  it('keeps a string that is JSON text as it is with a JSON content type', () => {
    expect(serializeRecordValue('k', '{"a":1}', 'application/json')).toEqual({ body: '{"a":1}', contentType: 'application/json' });
    expect(serializeRecordValue('k', '"quoted"', 'application/problem+json').body).toBe('"quoted"');
  });

  it('rejects a string that is not JSON with a JSON content type', () => {
    const error = expectStorageError(() => serializeRecordValue('rec', 'not json', 'application/json'), 'invalid-value');
    expect(error.message).toContain('"rec"');
    expect(error.message).toContain('not valid JSON');
    expectStorageError(() => serializeRecordValue('rec', '{"a":', 'application/ld+json'), 'invalid-value');
    expectStorageError(() => serializeRecordValue('rec', '', 'application/json; charset=utf-8'), 'invalid-value');
  });

  it('rejects an object with a content type that is not JSON', () => {
    for (const contentType of ['text/plain', 'text/csv', 'application/octet-stream', 'image/png', 'application/xml']) {
      const error = expectStorageError(() => serializeRecordValue('rec', { a: 1 }, contentType), 'invalid-value');
      expect(error.message).toContain(contentType);
      expect(error.message).toContain('"rec"');
    }
    expectStorageError(() => serializeRecordValue('rec', 42, 'text/plain'), 'invalid-value');
    expectStorageError(() => serializeRecordValue('rec', [1], 'text/csv'), 'invalid-value');
  });

  it('stores bytes with any content type as a Buffer copy', () => {
    const input = new Uint8Array([137, 80, 78, 71]);
    const { body, contentType } = serializeRecordValue('k', input, 'image/png');
    expect(contentType).toBe('image/png');
    expect(Buffer.isBuffer(body)).toBe(true);
    input[0] = 0;
    expect([...(body as Buffer)]).toEqual([137, 80, 78, 71]);
    const json = serializeRecordValue('k', Buffer.from('{"a":1}'), 'application/json');
    expect(Buffer.isBuffer(json.body)).toBe(true);
  });

  it('rejects undefined and functions with a JSON content type', () => {
    expectStorageError(() => serializeRecordValue('k', undefined, 'application/json'), 'invalid-value');
    expectStorageError(() => serializeRecordValue('k', () => 1, 'application/json'), 'invalid-value');
  });

  it('rejects undefined and functions with a content type that is not JSON', () => {
    expectStorageError(() => serializeRecordValue('k', undefined, 'text/plain'), 'invalid-value');
    expectStorageError(() => serializeRecordValue('k', () => 1, 'text/plain'), 'invalid-value');
  });

  it('rejects a content type that is empty or not a media type with invalid-argument', () => {
    for (const contentType of ['', '   ', 'json', 'text']) {
      expectStorageError(() => serializeRecordValue('k', 'x', contentType), 'invalid-argument');
    }
  });
});

describe('deserializeRecordValue', () => {
  it('parses JSON bodies, given as a string or as bytes', () => {
    expect(deserializeRecordValue('{"a":[1,2]}', 'application/json; charset=utf-8')).toEqual({ a: [1, 2] });
    expect(deserializeRecordValue(Buffer.from('[1,"x"]'), 'application/json')).toEqual([1, 'x']);
    expect(deserializeRecordValue('"text"', 'application/ld+json')).toBe('text');
    expect(deserializeRecordValue('null', 'application/json')).toBeNull();
  });

  it('gives a string for text bodies, given as a string or as bytes', () => {
    expect(deserializeRecordValue('a,b', 'text/csv')).toBe('a,b');
    expect(deserializeRecordValue(Buffer.from('čaj', 'utf8'), 'text/plain; charset=utf-8')).toBe('čaj');
    expect(deserializeRecordValue('<a/>', 'application/xml')).toBe('<a/>');
    expect(deserializeRecordValue('{"a":1}', 'text/plain')).toBe('{"a":1}');
  });

  it('gives a Buffer for any other content type', () => {
    const bytes = Buffer.from([0, 255, 1]);
    expect(deserializeRecordValue(bytes, 'application/octet-stream')).toBe(bytes);
    const fromString = deserializeRecordValue('hello', 'image/png');
    expect(Buffer.isBuffer(fromString)).toBe(true);
    expect((fromString as Buffer).toString('utf8')).toBe('hello');
  });

  it('fails with internal for a stored JSON record that is not JSON', () => {
    const error = expectStorageError(() => deserializeRecordValue('{oops', 'application/json'), 'internal');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('round trips', () => {
  const roundTrip = (value: unknown, contentType?: string): unknown => {
    const { body, contentType: stored } = serializeRecordValue('k', value, contentType);
    return deserializeRecordValue(body, stored);
  };

  it('gives back strings, including ones that look like JSON', () => {
    for (const value of ['Hello, world!', '', '{"a":1}', '42', 'čaj 😀', 'line\r\nbreak']) {
      expect(roundTrip(value)).toBe(value);
    }
  });

  it('gives back JSON values', () => {
    for (const value of [{ a: 1, nested: { list: [1, 'two', null, { x: true }] } }, [1, 2, 3], 42, -1.5, true, false, null, {}, []]) {
      expect(roundTrip(value)).toEqual(value);
    }
  });

  it('gives back bytes as a Buffer with the same contents', () => {
    const out = roundTrip(new Uint8Array([0, 1, 2, 253, 254, 255]));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect([...(out as Buffer)]).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it('gives back values stored with an explicit content type', () => {
    expect(roundTrip('a,b\r\n', 'text/csv; charset=utf-8')).toBe('a,b\r\n');
    expect(roundTrip({ a: 1 }, 'application/json')).toEqual({ a: 1 });
    expect(roundTrip('{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(roundTrip({ '@id': 'x' }, 'application/ld+json')).toEqual({ '@id': 'x' });
    const png = roundTrip(Buffer.from([137, 80]), 'image/png');
    expect([...(png as Buffer)]).toEqual([137, 80]);
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['APPLICATION/JSON', true],
    [' application/json ; charset=utf-8', true],
    ['application/ld+json', true],
    ['application/vnd.api+json; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/plain', false],
    ['text/json-ish', false],
    ['application/jsonl', false],
    ['application/octet-stream', false],
    ['application/xml', false],
    ['', false],
  ])('%j → %s', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });
});

describe('isTextContentType', () => {
  it.each([
    ['text/plain', true],
    ['text/plain; charset=utf-8', true],
    ['text/csv', true],
    ['Text/HTML', true],
    ['application/xml', true],
    ['image/svg+xml', true],
    ['application/javascript', true],
    ['application/json', false],
    ['application/octet-stream', false],
    ['image/png', false],
    ['', false],
  ])('%j → %s', (contentType, expected) => {
    expect(isTextContentType(contentType)).toBe(expected);
  });
});

describe('recordBodySize', () => {
  it('counts UTF-8 bytes of a string and the length of bytes', () => {
    expect(recordBodySize('abc')).toBe(3);
    expect(recordBodySize('é€😀')).toBe(2 + 3 + 4);
    expect(recordBodySize(Buffer.alloc(7))).toBe(7);
    expect(recordBodySize('')).toBe(0);
  });
});

describe('isValidContentType and assertContentType', () => {
  it('accept media types with parameters (RFC 9110), and give them without surrounding spaces', () => {
    for (const contentType of ['text/plain', 'Text/CSV; Charset=UTF-8', 'application/ld+json;profile="a b\\"c"', 'text/plain;', 'text/plain ; a=1;;b=2', 'x-custom/*']) {
      expect(isValidContentType(contentType), contentType).toBe(true);
      expect(assertContentType(contentType, 'k')).toBe(contentType);
    }
    expect(assertContentType(' \ttext/html\t ', 'k')).toBe('text/html');
  });

  it('refuse line breaks, control characters, anything outside ASCII and malformed media types', () => {
    const bad = ['text/plain\r\n', 'text/plain\nX: 1', 'text/pl\u0000ain', 'text/plain; a="\u00e9"', 'text/\u2713', 'text/plain; a', 'text/plain; a=', 'text/plain; a="b', 'a b/c', 'text//plain', `a/${'b'.repeat(1100)}`, '', ' '];
    for (const contentType of bad) {
      expect(isValidContentType(contentType), JSON.stringify(contentType)).toBe(false);
      const error = expectStorageError(() => assertContentType(contentType, 'rec'), 'invalid-argument');
      expect(error.message).toContain('"rec"');
      expect(error.message).not.toMatch(/[\r\n]/);
    }
    expect(isValidContentType(undefined)).toBe(false);
    expect(isValidContentType(42)).toBe(false);
  });

  it('answers fast on a long hostile type (no catastrophic backtracking)', () => {
    const hostile = `a/b${'; '.repeat(500)}!`;
    const started = performance.now();
    expect(isValidContentType(hostile)).toBe(false);
    // Generous: a backtracking blow-up would take seconds or more.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('serializeRecordValue with binary data and streams', () => {
  it('stores any typed array, DataView, ArrayBuffer or SharedArrayBuffer as a copy of the bytes it views', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
    const view = new DataView(backing, 1, 3);
    const { body, contentType } = serializeRecordValue('k', view);
    expect(contentType).toBe(BINARY_CONTENT_TYPE);
    expect([...(body as Buffer)]).toEqual([2, 3, 4]);
    new Uint8Array(backing)[1] = 99;
    expect([...(body as Buffer)]).toEqual([2, 3, 4]);
    expect([...(serializeRecordValue('k', new Uint16Array([0x0102])).body as Buffer)]).toEqual([0x02, 0x01]);
    expect([...(serializeRecordValue('k', backing).body as Buffer)]).toEqual([1, 99, 3, 4, 5, 6]);
    expect([...(serializeRecordValue('k', new SharedArrayBuffer(2)).body as Buffer)]).toEqual([0, 0]);
    expect(serializeRecordValue('k', new Int32Array(2), 'image/png').contentType).toBe('image/png');
  });

  it('refuses bytes that are not JSON with a JSON content type', () => {
    expectStorageError(() => serializeRecordValue('k', Buffer.from('nope'), 'application/json'), 'invalid-value');
    expect(serializeRecordValue('k', new TextEncoder().encode('[1]'), 'application/json').body).toEqual(Buffer.from('[1]'));
  });

  it('refuses a stream or Blob given to it directly: they must be read first', () => {
    for (const value of [Readable.from(['x']), new ReadableStream(), new Blob(['x'])]) {
      expectStorageError(() => serializeRecordValue('k', value), 'invalid-value');
    }
  });
});

describe('readRecordStream', () => {
  it('reads Node and web streams and Blobs into bytes; gives other values back as they are', async () => {
    expect(await readRecordStream('k', Readable.from(['a', Buffer.from('b'), new Uint16Array([0x6463])]))).toEqual({ value: Buffer.from('abcd') });
    const web = new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array([1])), c.close()) });
    expect(await readRecordStream('k', web)).toEqual({ value: Buffer.from([1]) });
    expect(await readRecordStream('k', new Blob(['x'], { type: 'image/svg+xml' }))).toEqual({ value: Buffer.from('x'), contentType: 'image/svg+xml' });
    expect(await readRecordStream('k', new Blob(['x'], { type: 'nonsense' }))).toEqual({ value: Buffer.from('x') });
    const object = { a: 1 };
    expect((await readRecordStream('k', object)).value).toBe(object);
  });

  it(`stops and refuses a stream past ${MAX_STREAMED_RECORD_BYTES} bytes, and cancels a web stream it stops reading`, async () => {
    const chunk = new Uint8Array(8 * 1024 * 1024);
    let cancelled = false;
    let pulls = 0;
    const endless = new ReadableStream({
      pull: (c) => {
        pulls++;
        c.enqueue(chunk);
      },
      cancel: () => {
        cancelled = true;
      },
    });
    await expect(readRecordStream('k', endless)).rejects.toSatisfy((error) => StorageError.is(error, 'invalid-value'));
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThan(MAX_STREAMED_RECORD_BYTES / chunk.length + 4);
  });
});
