import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { KeyValueStore, MAX_JSON_DEPTH, MAX_STREAMED_RECORD_BYTES, eventBus, type RecordInfo, type StorageClient } from '@x/core';
import { describe, expect } from 'vitest';
import { circularObject, collect, expectStorageError, nestedObject, type SuiteContext } from './suite-context.js';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const BINARY = 'application/octet-stream';

/** Keys that are not valid record keys, each of which must reject with `invalid-key`. */
const BAD_KEYS: readonly unknown[] = ['a/b', '..', '', 'k'.repeat(257), 'a b', 'a\\b', 'a?b', 'a#b', 'a%2Fb', 'ä', 'a:b', 5, null, undefined, {}];
/** Keys with a `__metadata__` part, which would name the metadata files of the on-disk layout: reserved. */
const RESERVED_KEYS: readonly string[] = ['__metadata__', 'foo.__metadata__', '__metadata__.json', 'a.__metadata__.b'];
/** Keys at the edges of the valid set, each of which must be accepted. */
const GOOD_KEYS: readonly string[] = ["!-_.'()", 'k'.repeat(256), 'a.b.c', 'a..b', "it's(1)", 'INPUT', 'UPPER-lower_09', 'x'];

/** A web `ReadableStream` of the given chunks. */
function webStream(chunks: readonly unknown[]): ReadableStream<unknown> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Content types that are no media type HTTP can carry; setValue must refuse each with `invalid-argument`. */
const BAD_CONTENT_TYPES: readonly unknown[] = [
  'text/plain\r\nX-Injected: 1',
  'text/plain\n',
  '\r\ntext/plain',
  'text/html; charset=utf-8\r\n',
  'text/plain; name=\u2713',
  'text/pl\u00e4in',
  'text/plain; title="\u00e9t\u00e9"',
  'image/\u{1F600}',
  'text/plain; charset',
  'text/plain; =utf-8',
  'text/plain; charset = utf-8',
  'text/plain; a="unterminated',
  'text/ plain',
  'text /plain',
  'text',
  '/plain',
  'text/',
  'text/plain/extra',
  'text/plain, text/html',
  `text/${'x'.repeat(2000)}`,
  ' ',
  5,
  null,
];

/** Valid content types, each stored as given without surrounding spaces. */
const GOOD_CONTENT_TYPES: readonly [string, string][] = [
  ['text/plain;charset=UTF-8', 'text/plain;charset=UTF-8'],
  ['application/ld+json; profile="https://www.w3.org/ns/activitystreams"', 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'],
  ['multipart/form-data; boundary=----x1', 'multipart/form-data; boundary=----x1'],
  ['text/plain;', 'text/plain;'],
  ['  text/csv\t', 'text/csv'],
  ['application/vnd.ms-excel', 'application/vnd.ms-excel'],
];

async function openStore(storageClient: StorageClient, name?: string): Promise<KeyValueStore> {
  return KeyValueStore.open(name === undefined ? { storageClient } : { name, storageClient });
}

async function keyInfos(store: KeyValueStore): Promise<Map<string, RecordInfo>> {
  return new Map((await collect(store.iterateKeys())).map((info) => [info.key, info]));
}

async function keysOf(store: KeyValueStore, options: Parameters<KeyValueStore['iterateKeys']>[0] = {}): Promise<string[]> {
  return (await collect(store.iterateKeys(options))).map((info) => info.key);
}

/** Reads what a public URL points at, for the protocols that can be read without a server. */
async function readPublicUrl(url: string): Promise<{ bytes: Buffer; contentType: string | undefined } | undefined> {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:') {
    const response = await fetch(url);
    expect(response.ok).toBe(true);
    return { bytes: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type') ?? undefined };
  }
  // Node's fetch does not read file: URLs (it answers "not implemented"), so read the file itself.
  if (parsed.protocol === 'file:') return { bytes: await readFile(fileURLToPath(url)), contentType: undefined };
  return undefined;
}

/** The cases of {@link KeyValueStore}: content types, keys, deletion, listing, URLs and auto-saved values. */
export function defineKeyValueStoreCases(ctx: SuiteContext): void {
  const { test } = ctx;

  describe('KeyValueStore', () => {
    describe('values and content types', () => {
      test('a string is stored as text/plain; charset=utf-8 and read back as the same string', async (storageClient) => {
        const store = await openStore(storageClient);
        const text = 'Hello, world! žluťoučký 🐎\n"quoted"';
        await store.setValue('record', text);
        expect(await store.getValue('record')).toBe(text);
        expect((await keyInfos(store)).get('record')?.contentType).toBe(TEXT);
      });

      test('an empty string is stored and read back', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('empty', '');
        expect(await store.getValue('empty')).toBe('');
        expect(await store.recordExists('empty')).toBe(true);
        expect((await keyInfos(store)).get('empty')).toEqual({ key: 'empty', size: 0, contentType: TEXT });
      });

      test('an object is stored as application/json; charset=utf-8 and parsed back', async (storageClient) => {
        const store = await openStore(storageClient);
        const value = { a: 1, nested: { list: [1, 'two', null, true] }, text: 'é' };
        await store.setValue('object', value);
        expect(await store.getValue('object')).toEqual(value);
        expect((await keyInfos(store)).get('object')?.contentType).toBe(JSON_TYPE);
      });

      test('arrays, numbers, booleans and zero are JSON and read back as they were', async (storageClient) => {
        const store = await openStore(storageClient);
        const values: [string, unknown][] = [
          ['array', [1, { b: 2 }]],
          ['number', 3.25],
          ['zero', 0],
          ['false', false],
          ['true', true],
        ];
        for (const [key, value] of values) await store.setValue(key, value);
        for (const [key, value] of values) expect(await store.getValue(key)).toEqual(value);
        const infos = await keyInfos(store);
        for (const [key] of values) expect(infos.get(key)?.contentType).toBe(JSON_TYPE);
      });

      test('a Buffer and a Uint8Array are stored as application/octet-stream and read back as a Buffer', async (storageClient) => {
        const store = await openStore(storageClient);
        const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 0x80]);
        await store.setValue('buffer', bytes);
        await store.setValue('uint8', new Uint8Array([9, 8, 7, 0, 255]));
        const buffer = await store.getValue<Buffer>('buffer');
        expect(Buffer.isBuffer(buffer)).toBe(true);
        expect(buffer?.equals(bytes)).toBe(true);
        const uint8 = await store.getValue<Buffer>('uint8');
        expect(Buffer.isBuffer(uint8)).toBe(true);
        expect([...(uint8 ?? [])]).toEqual([9, 8, 7, 0, 255]);
        const infos = await keyInfos(store);
        expect(infos.get('buffer')?.contentType).toBe(BINARY);
        expect(infos.get('uint8')?.contentType).toBe(BINARY);
      });

      test('an explicit text/csv content type is kept as given and the value read back as a string', async (storageClient) => {
        const store = await openStore(storageClient);
        const csv = 'a,b\r\n1,2\r\n';
        await store.setValue('table', csv, { contentType: 'text/csv' });
        expect(await store.getValue('table')).toBe(csv);
        await store.setValue('page', '<p>hi</p>', { contentType: 'text/html; charset=utf-8' });
        expect(await store.getValue('page')).toBe('<p>hi</p>');
        const infos = await keyInfos(store);
        expect(infos.get('table')?.contentType).toBe('text/csv');
        expect(infos.get('page')?.contentType).toBe('text/html; charset=utf-8');
      });

      test('an explicit JSON content type serializes an object and parses it back', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('plain-json', { a: [1, 2] }, { contentType: 'application/json' });
        await store.setValue('vendor-json', { b: true }, { contentType: 'application/vnd.api+json' });
        await store.setValue('json-text', '{"c":3}', { contentType: 'application/json' });
        expect(await store.getValue('plain-json')).toEqual({ a: [1, 2] });
        expect(await store.getValue('vendor-json')).toEqual({ b: true });
        expect(await store.getValue('json-text')).toEqual({ c: 3 });
        const infos = await keyInfos(store);
        expect(infos.get('plain-json')?.contentType).toBe('application/json');
        expect(infos.get('vendor-json')?.contentType).toBe('application/vnd.api+json');
        expect(infos.get('json-text')?.contentType).toBe('application/json');
      });

      test('bytes with an explicit binary content type are kept with that type and read back as a Buffer', async (storageClient) => {
        const store = await openStore(storageClient);
        const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        await store.setValue('image', png, { contentType: 'image/png' });
        const back = await store.getValue<Buffer>('image');
        expect(Buffer.isBuffer(back)).toBe(true);
        expect(back?.equals(png)).toBe(true);
        expect((await keyInfos(store)).get('image')?.contentType).toBe('image/png');
      });

      test('overwriting a record replaces its value and content type', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('k', 'text');
        await store.setValue('k', { now: 'json' });
        expect(await store.getValue('k')).toEqual({ now: 'json' });
        expect(await collect(store.iterateKeys())).toEqual([{ key: 'k', size: Buffer.byteLength('{"now":"json"}'), contentType: JSON_TYPE }]);
        await store.setValue('k', Buffer.from('raw'));
        expect((await store.getValue<Buffer>('k'))?.toString()).toBe('raw');
        expect((await keyInfos(store)).get('k')?.contentType).toBe(BINARY);
      });

      test('a value that cannot be stored rejects with invalid-value and nothing is written', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('kept', 'original');
        const unstorable: [unknown, string | undefined][] = [
          [() => 1, undefined],
          [10n, undefined],
          [{ big: 10n }, undefined],
          [Symbol('s'), undefined],
          [{ a: 1 }, 'text/plain'],
          [42, 'text/plain'],
          [{ a: 1 }, 'image/png'],
          ['not json {', 'application/json'],
        ];
        for (const [value, contentType] of unstorable) {
          const options = contentType === undefined ? {} : { contentType };
          await expectStorageError(store.setValue('new', value, options), 'invalid-value');
          await expectStorageError(store.setValue('kept', value, options), 'invalid-value');
        }
        expect(await store.recordExists('new')).toBe(false);
        expect(await store.getValue('kept')).toBe('original');
        expect(await keysOf(store)).toEqual(['kept']);
      });

      test('typed arrays, DataViews, ArrayBuffers and SharedArrayBuffers are stored as the bytes they view, as application/octet-stream', async (storageClient) => {
        const store = await openStore(storageClient);
        const backing = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
        const u16 = new Uint16Array([1, 0xffff, 0x1234]);
        const shared = new SharedArrayBuffer(3);
        new Uint8Array(shared).set([7, 0, 9]);
        const cases: [string, unknown, number[]][] = [
          ['u16', u16, [...new Uint8Array(u16.buffer)]],
          ['u16-slice', new Uint16Array(backing, 2, 2), [3, 4, 5, 6]],
          ['f64', new Float64Array([1.5]), [...new Uint8Array(new Float64Array([1.5]).buffer)]],
          ['view', new DataView(backing, 2, 3), [3, 4, 5]],
          ['u8-slice', new Uint8Array(backing, 5, 2), [6, 7]],
          ['buffer-slice', Buffer.from(backing).subarray(6), [7, 8]],
          ['array-buffer', backing, [1, 2, 3, 4, 5, 6, 7, 8]],
          ['shared', shared, [7, 0, 9]],
          ['empty', new ArrayBuffer(0), []],
        ];
        for (const [key, value] of cases) await store.setValue(key, value);
        await store.setValue('typed', new DataView(backing, 0, 2), { contentType: 'image/png' });
        const infos = await keyInfos(store);
        for (const [key, , bytes] of cases) {
          const back = await store.getValue<Buffer>(key);
          expect(Buffer.isBuffer(back), key).toBe(true);
          expect([...back!], key).toEqual(bytes);
          expect(infos.get(key), key).toEqual({ key, size: bytes.length, contentType: BINARY });
        }
        expect([...(await store.getValue<Buffer>('typed'))!]).toEqual([1, 2]);
        expect(infos.get('typed')?.contentType).toBe('image/png');
        // The stored bytes are a copy: changing the view afterwards changes nothing.
        u16[0] = 2;
        expect([...(await store.getValue<Buffer>('u16'))!].slice(0, 2)).toEqual([1, 0]);
      });

      test('a Node Readable, a web ReadableStream and a Blob are read into bytes; a Blob keeps its type', async (storageClient) => {
        const store = await openStore(storageClient);
        const ownSource = fileURLToPath(import.meta.url);
        await store.setValue('file', createReadStream(ownSource));
        await store.setValue('chunks', Readable.from([Buffer.from('ab'), 'cd', new Uint8Array([0x65])]));
        await store.setValue('web', webStream([new Uint8Array([1, 2]), new Uint8Array([3])]));
        await store.setValue('blob', new Blob(['<p>hi</p>'], { type: 'text/html' }));
        await store.setValue('untyped-blob', new Blob([new Uint8Array([4, 5])]));
        await store.setValue('json-stream', Readable.from(['{"a":', '[1]}']), { contentType: 'application/json' });
        await store.setValue('text-blob', new Blob(['plain']), { contentType: 'text/plain; charset=utf-8' });
        expect((await store.getValue<Buffer>('file'))?.equals(await readFile(ownSource))).toBe(true);
        expect((await store.getValue<Buffer>('chunks'))?.toString()).toBe('abcde');
        expect([...(await store.getValue<Buffer>('web'))!]).toEqual([1, 2, 3]);
        expect(await store.getValue('blob')).toBe('<p>hi</p>');
        expect([...(await store.getValue<Buffer>('untyped-blob'))!]).toEqual([4, 5]);
        expect(await store.getValue('json-stream')).toEqual({ a: [1] });
        expect(await store.getValue('text-blob')).toBe('plain');
        const infos = await keyInfos(store);
        expect(infos.get('file')?.contentType).toBe(BINARY);
        expect(infos.get('chunks')).toEqual({ key: 'chunks', size: 5, contentType: BINARY });
        expect(infos.get('blob')?.contentType).toBe('text/html');
        expect(infos.get('untyped-blob')?.contentType).toBe(BINARY);
        expect(infos.get('json-stream')?.contentType).toBe('application/json');
      });

      test(`a stream that fails, gives objects, or runs past ${MAX_STREAMED_RECORD_BYTES / 1024 / 1024} MiB is refused with invalid-value and nothing is written`, async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('kept', 'original');
        const failing = new Readable({
          read() {
            this.destroy(new Error('the disk went away'));
          },
        });
        const failingWeb = new ReadableStream({
          pull(controller) {
            controller.error(new Error('the connection dropped'));
          },
        });
        const megabyte = Buffer.alloc(1024 * 1024, 0x61);
        const endless = new Readable({
          read() {
            this.push(megabyte);
          },
        });
        const bad: unknown[] = [failing, failingWeb, Readable.from([{ an: 'object' }]), webStream([42]), endless];
        for (const value of bad) {
          await expectStorageError(store.setValue('new', value), 'invalid-value');
        }
        // The endless stream was stopped, not read on.
        expect(endless.destroyed).toBe(true);
        await expectStorageError(store.setValue('kept', Readable.from(['x']), { contentType: 'application/json' }), 'invalid-value');
        expect(await store.recordExists('new')).toBe(false);
        expect(await store.getValue('kept')).toBe('original');
        expect(await keysOf(store)).toEqual(['kept']);
      });

      test('bytes, a stream or a string that is not JSON, or JSON nested too deep, with a JSON content type is refused with invalid-value', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('kept', { v: 1 });
        const deepText = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
        const bad: [unknown, string][] = [
          ['not json', 'application/json'],
          [Buffer.from('not json'), 'application/json'],
          [new Uint8Array([0x7b]), 'application/json; charset=utf-8'],
          [Readable.from(['{"a":']), 'application/json'],
          [new Blob(['nope']), 'application/vnd.api+json'],
          [deepText, 'application/json'],
          [Buffer.from(deepText), 'application/json'],
        ];
        for (const [value, contentType] of bad) {
          await expectStorageError(store.setValue('new', value, { contentType }), 'invalid-value');
          await expectStorageError(store.setValue('kept', value, { contentType }), 'invalid-value');
        }
        expect(await store.recordExists('new')).toBe(false);
        expect(await store.getValue('kept')).toEqual({ v: 1 });
        // JSON text nested exactly to the limit is stored.
        const deepest = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
        await store.setValue('deepest', deepest, { contentType: 'application/json' });
        expect(JSON.stringify(await store.getValue('deepest'))).toBe(deepest);
      });

      test(`a value that is circular or nested deeper than ${MAX_JSON_DEPTH} levels (or 100,000) is refused with invalid-value; one nested to the limit is stored`, async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('kept', 'original');
        for (const value of [circularObject(), [circularObject()], nestedObject(MAX_JSON_DEPTH + 1), nestedObject(100_000), { n: [1n] }]) {
          await expectStorageError(store.setValue('new', value), 'invalid-value');
          await expectStorageError(store.setValue('kept', value, { contentType: 'application/json' }), 'invalid-value');
        }
        expect(await keysOf(store)).toEqual(['kept']);
        expect(await store.getValue('kept')).toBe('original');
        await store.setValue('deepest', nestedObject(MAX_JSON_DEPTH));
        expect(await store.getValue('deepest')).toEqual(nestedObject(MAX_JSON_DEPTH));
      });

      test('a content type with CR/LF, characters outside ASCII or malformed parameters is refused with invalid-argument before a stream is read; nothing is written', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('kept', 'original');
        for (const contentType of BAD_CONTENT_TYPES) {
          const options = { contentType: contentType as string };
          await expectStorageError(store.setValue('new', 'value', options), 'invalid-argument');
          await expectStorageError(store.setValue('kept', Buffer.from('value'), options), 'invalid-argument');
          const stream = Readable.from(['streamed']);
          await expectStorageError(store.setValue('new', stream, options), 'invalid-argument');
          expect(stream.readableDidRead, String(contentType)).toBe(false);
        }
        expect(await keysOf(store)).toEqual(['kept']);
        expect(await store.getValue('kept')).toBe('original');
      });

      test('valid content types with parameters are stored, without surrounding spaces', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const [index, [given]] of GOOD_CONTENT_TYPES.entries()) await store.setValue(`k${index}`, Buffer.from('1'), { contentType: given });
        const infos = await keyInfos(store);
        for (const [index, [given, stored]] of GOOD_CONTENT_TYPES.entries()) expect(infos.get(`k${index}`)?.contentType, given).toBe(stored);
      });

      test('a malformed content type rejects with invalid-argument and nothing is written', async (storageClient) => {
        const store = await openStore(storageClient);
        await expectStorageError(store.setValue('k', 'v', { contentType: 'nonsense' }), 'invalid-argument');
        await expectStorageError(store.setValue('k', 'v', { contentType: '' }), 'invalid-argument');
        expect(await store.recordExists('k')).toBe(false);
      });
    });

    describe('reading, deleting and existence', () => {
      test('getValue of a missing key gives null, or the default value', async (storageClient) => {
        const store = await openStore(storageClient);
        expect(await store.getValue('missing')).toBeNull();
        expect(await store.getValue('missing', { fallback: true })).toEqual({ fallback: true });
        expect(await store.getValue('missing', 0)).toBe(0);
        expect(await store.getValue('missing', '')).toBe('');
        await store.setValue('present', 'here');
        expect(await store.getValue('present', 'default')).toBe('here');
      });

      test('setValue with null or undefined deletes the record', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('a', 'one');
        await store.setValue('b', { two: 2 });
        await store.setValue('c', Buffer.from('3'));
        await store.setValue('a', null);
        await store.setValue('b', undefined);
        expect(await store.getValue('a')).toBeNull();
        expect(await store.getValue('b')).toBeNull();
        expect(await store.recordExists('a')).toBe(false);
        expect(await keysOf(store)).toEqual(['c']);
        // Deleting a record that does not exist is not an error.
        await store.setValue('never-was', null);
        expect(await keysOf(store)).toEqual(['c']);
      });

      test('recordExists tells whether a record exists', async (storageClient) => {
        const store = await openStore(storageClient);
        expect(await store.recordExists('k')).toBe(false);
        await store.setValue('k', 'v');
        expect(await store.recordExists('k')).toBe(true);
        expect(await store.recordExists('K')).toBe(false);
        await store.setValue('k', null);
        expect(await store.recordExists('k')).toBe(false);
      });

      test('records of one store are not visible in another', async (storageClient) => {
        const first = await openStore(storageClient, 'first');
        const second = await openStore(storageClient, 'second');
        await first.setValue('shared-key', 'first');
        expect(await second.getValue('shared-key')).toBeNull();
        await second.setValue('shared-key', 'second');
        expect(await first.getValue('shared-key')).toBe('first');
      });
    });

    describe('keys', () => {
      test('bad keys reject with invalid-key and nothing is written', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const key of BAD_KEYS) {
          const k = key as string;
          await expectStorageError(store.setValue(k, 'value'), 'invalid-key');
          await expectStorageError(store.getValue(k), 'invalid-key');
          await expectStorageError(store.recordExists(k), 'invalid-key');
          await expectStorageError(store.getPublicUrl(k), 'invalid-key');
          await expectStorageError(store.getAutoSavedValue(k, {}), 'invalid-key');
        }
        expect(await keysOf(store)).toEqual([]);
      });

      test('keys reserved by the storage layout (a "__metadata__" part) reject with invalid-key and nothing is written', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('foo', { kept: true });
        for (const key of RESERVED_KEYS) {
          // As JSON, `foo.__metadata__` would be the file that says what `foo` is.
          const error = await expectStorageError(store.setValue(key, { key: 'foo', contentType: TEXT }), 'invalid-key');
          expect(error.message).toContain('reserved');
          await expectStorageError(store.setValue(key, 'text'), 'invalid-key');
          await expectStorageError(store.getValue(key), 'invalid-key');
          await expectStorageError(store.recordExists(key), 'invalid-key');
        }
        expect(await keysOf(store)).toEqual(['foo']);
        expect(await store.getValue('foo')).toEqual({ kept: true });
      });

      test("keys like each other's file names or the layout's files stay apart, also when the storage is opened again", async (storageClient) => {
        // On disk a value file is `<key>.<extension of its content type>`, beside `<key>.__metadata__.json`.
        const longType = 'message/disposition-notification'; // the longest extension there is
        const records: readonly (readonly [string, unknown, string?])[] = [
          ['a', { of: 'a' }],
          ['a.json', 'a.json as text'],
          ['a.json.txt', Buffer.from('a.json.txt as bytes')],
          ['a.txt', { of: 'a.txt' }],
          ['report', 'report as csv', 'text/csv'],
          ['report.csv', 'report.csv as csv', 'text/csv'],
          ['.hidden', 'a key that starts with a dot'],
          ['.a.1.2.x-tmp', { of: 'a key like a temporary file' }],
          ['.x-index', 'a key like the index folder of a queue'],
          ['x__metadata__', { of: 'x__metadata__' }],
          ['__metadata', '__metadata'],
          ['k'.repeat(230), Buffer.from('230'), longType],
          ['k'.repeat(231), Buffer.from('231'), longType],
        ];
        const store = await openStore(storageClient, 'look-alikes');
        for (const [key, value, contentType] of records) await store.setValue(key, value, contentType === undefined ? {} : { contentType });
        const check = async (current: KeyValueStore, present: readonly (readonly [string, unknown, string?])[]): Promise<void> => {
          for (const [key, value] of present) expect(await current.getValue(key), key).toEqual(value);
          expect(await keysOf(current)).toEqual(present.map(([key]) => key).sort());
          const infos = await keyInfos(current);
          for (const [key, , contentType] of present) if (contentType !== undefined) expect(infos.get(key)?.contentType).toBe(contentType);
        };
        await check(store, records);
        await store.setValue('a', null);
        await store.setValue('report', null);
        const left = records.filter(([key]) => key !== 'a' && key !== 'report');
        await check(store, left);
        if (ctx.capabilities.persistent && ctx.options.reopenClient) {
          const reopened = await ctx.options.reopenClient(storageClient);
          await check(await openStore(reopened, 'look-alikes'), left);
        }
      });

      test('keys at the edges of the valid set are accepted', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const key of GOOD_KEYS) await store.setValue(key, `value of ${key}`);
        for (const key of GOOD_KEYS) expect(await store.getValue(key)).toBe(`value of ${key}`);
        expect(await keysOf(store)).toEqual([...GOOD_KEYS].sort());
      });

      test('iterateKeys lists keys in ascending order with size and content type', async (storageClient) => {
        const store = await openStore(storageClient);
        const keys = ['b', 'a', 'C', '1', 'a-b', 'a.b', 'ab', 'Z', '(x)', '_u', '!bang'];
        for (const key of keys) await store.setValue(key, key);
        const infos = await collect(store.iterateKeys());
        expect(infos.map((i) => i.key)).toEqual([...keys].sort());
        for (const info of infos) expect(info).toEqual({ key: info.key, size: Buffer.byteLength(info.key), contentType: TEXT });
      });

      test('iterateKeys starts after exclusiveStartKey', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const key of ['a1', 'a2', 'a3', 'b1', 'b2']) await store.setValue(key, 1);
        expect(await keysOf(store, { exclusiveStartKey: 'a2' })).toEqual(['a3', 'b1', 'b2']);
        expect(await keysOf(store, { exclusiveStartKey: 'a25' })).toEqual(['a3', 'b1', 'b2']);
        expect(await keysOf(store, { exclusiveStartKey: '0' })).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
        expect(await keysOf(store, { exclusiveStartKey: 'b2' })).toEqual([]);
        expect(await keysOf(store, { exclusiveStartKey: 'z' })).toEqual([]);
      });

      test('iterateKeys with a prefix lists only keys starting with it', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const key of ['a', 'ab1', 'ab2', 'abc', 'b', 'Ab', 'ac']) await store.setValue(key, 1);
        expect(await keysOf(store, { prefix: 'ab' })).toEqual(['ab1', 'ab2', 'abc']);
        expect(await keysOf(store, { prefix: 'a' })).toEqual(['a', 'ab1', 'ab2', 'abc', 'ac']);
        expect(await keysOf(store, { prefix: 'x' })).toEqual([]);
      });

      test('iterateKeys with both exclusiveStartKey and prefix', async (storageClient) => {
        const store = await openStore(storageClient);
        for (const key of ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1']) await store.setValue(key, 1);
        expect(await keysOf(store, { prefix: 'b', exclusiveStartKey: 'b1' })).toEqual(['b2', 'b3']);
        expect(await keysOf(store, { prefix: 'b', exclusiveStartKey: 'a2' })).toEqual(['b1', 'b2', 'b3']);
        expect(await keysOf(store, { prefix: 'a', exclusiveStartKey: 'b1' })).toEqual([]);
        expect(await keysOf(store, { prefix: 'b', exclusiveStartKey: 'b3' })).toEqual([]);
      });

      test('iterateKeys pages through more keys than one page', async (storageClient) => {
        const store = await openStore(storageClient);
        const keys = Array.from({ length: 23 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
        for (const key of [...keys].reverse()) await store.setValue(key, { i: key });
        await store.setValue('other', 1);
        expect(await keysOf(store, { pageSize: 4 })).toEqual([...keys, 'other']);
        expect(await keysOf(store, { pageSize: 1 })).toEqual([...keys, 'other']);
        expect(await keysOf(store, { pageSize: 5, prefix: 'key-' })).toEqual(keys);
        expect(await keysOf(store, { pageSize: 3, prefix: 'key-1' })).toEqual(keys.slice(10, 20));
        expect(await keysOf(store, { pageSize: 3, exclusiveStartKey: 'key-15' })).toEqual([...keys.slice(16), 'other']);
        await expectStorageError(collect(store.iterateKeys({ pageSize: 0 })), 'invalid-argument');
      });

      test('iterateKeys of an empty store yields nothing', async (storageClient) => {
        const store = await openStore(storageClient);
        expect(await collect(store.iterateKeys())).toEqual([]);
        expect(await collect(store.iterateKeys({ prefix: 'a', exclusiveStartKey: 'a' }))).toEqual([]);
      });

      test('sizes are in bytes of the stored body', async (storageClient) => {
        const store = await openStore(storageClient);
        await store.setValue('ascii', 'hello');
        await store.setValue('multi', 'héllo €');
        await store.setValue('emoji', '🐎');
        await store.setValue('json', { a: 'é' });
        await store.setValue('bytes', Buffer.alloc(1000, 7));
        const infos = await keyInfos(store);
        expect(infos.get('ascii')?.size).toBe(5);
        expect(infos.get('multi')?.size).toBe(10);
        expect(infos.get('emoji')?.size).toBe(4);
        expect(infos.get('json')?.size).toBe(Buffer.byteLength(JSON.stringify({ a: 'é' })));
        expect(infos.get('json')?.size).toBe(10);
        expect(infos.get('bytes')?.size).toBe(1000);
      });
    });

    describe('public URLs', () => {
      test('getPublicUrl gives a URL of an existing record that reads back as the record', async (storageClient) => {
        const store = await openStore(storageClient);
        const text = 'Hello, wörld!';
        const value = { a: [1, 2], b: 'č' };
        const bytes = Buffer.from([0, 1, 2, 255]);
        await store.setValue('text', text);
        await store.setValue('json', value);
        await store.setValue('bytes', bytes);
        for (const [key, check] of [
          ['text', (body: Buffer) => expect(body.toString('utf8')).toBe(text)],
          ['json', (body: Buffer) => expect(JSON.parse(body.toString('utf8'))).toEqual(value)],
          ['bytes', (body: Buffer) => expect(body.equals(bytes)).toBe(true)],
        ] as const) {
          const url = await store.getPublicUrl(key);
          expect(typeof url).toBe('string');
          const parsed = new URL(url);
          expect(['data:', 'file:', 'http:', 'https:']).toContain(parsed.protocol);
          const read = await readPublicUrl(url);
          if (read) check(read.bytes);
          if (read?.contentType !== undefined) {
            const expected = { text: 'text/plain', json: 'application/json', bytes: 'application/octet-stream' }[key];
            expect(read.contentType.toLowerCase().startsWith(expected)).toBe(true);
          }
        }
      });
    });

    describe('auto-saved values', () => {
      test('getAutoSavedValue gives the same object on repeat calls and persistAutoSavedValues() stores it', async (storageClient) => {
        const store = await openStore(storageClient, 'auto-saved');
        try {
          const state = await store.getAutoSavedValue('STATE', { count: 0, seen: [] as string[] });
          expect(state).toEqual({ count: 0, seen: [] });
          expect(await store.getAutoSavedValue('STATE', { count: 99, seen: [] as string[] })).toBe(state);
          state.count = 1;
          state.seen.push('a');
          await store.persistAutoSavedValues();
          expect(await store.getValue('STATE')).toEqual({ count: 1, seen: ['a'] });
          // The record is really in the storage, not only in the store object.
          const raw = await storageClient.openKeyValueStore({ kind: 'id', id: store.id });
          const record = await raw.getRecord('STATE');
          expect(record?.contentType).toBe(JSON_TYPE);
          expect(JSON.parse(String(record?.body))).toEqual({ count: 1, seen: ['a'] });
        } finally {
          await store.drop();
        }
      });

      test('auto-saved values are persisted on the persistState event', async (storageClient) => {
        const store = await openStore(storageClient, 'auto-event');
        try {
          const state = await store.getAutoSavedValue('STATE', { count: 0 });
          const other = await store.getAutoSavedValue('OTHER', 'text');
          expect(other).toBe('text');
          state.count = 2;
          await eventBus.emitAndWait('persistState', { isMigrating: false });
          expect(await store.getValue('STATE')).toEqual({ count: 2 });
          expect(await store.getValue('OTHER')).toBe('text');
          state.count = 3;
          await eventBus.emitAndWait('persistState', { isMigrating: true });
          expect(await store.getValue('STATE')).toEqual({ count: 3 });
        } finally {
          await store.drop();
        }
      });

      test('getAutoSavedValue loads an existing value instead of the default', async (storageClient) => {
        const store = await openStore(storageClient, 'auto-load');
        try {
          await store.setValue('STATE', { count: 7, list: [1] });
          const state = await store.getAutoSavedValue('STATE', { count: 0, list: [] as number[] });
          expect(state).toEqual({ count: 7, list: [1] });
          state.list.push(2);
          await store.persistAutoSavedValues();
          expect(await store.getValue('STATE')).toEqual({ count: 7, list: [1, 2] });
        } finally {
          await store.drop();
        }
      });
    });

    describe('copies', () => {
      test('a stored Buffer is not changed by mutating the Buffer given or the one returned', async (storageClient) => {
        const store = await openStore(storageClient);
        const given = Buffer.from([1, 2, 3]);
        await store.setValue('bytes', given);
        given[0] = 99;
        const first = await store.getValue<Buffer>('bytes');
        expect([...(first ?? [])]).toEqual([1, 2, 3]);
        first?.fill(0);
        expect([...((await store.getValue<Buffer>('bytes')) ?? [])]).toEqual([1, 2, 3]);
        const uint8 = new Uint8Array([4, 5]);
        await store.setValue('uint8', uint8);
        uint8[0] = 0;
        expect([...((await store.getValue<Buffer>('uint8')) ?? [])]).toEqual([4, 5]);
      });

      test('a stored object is not changed by mutating the object given or the one returned', async (storageClient) => {
        const store = await openStore(storageClient);
        const given = { list: [1] };
        await store.setValue('obj', given);
        given.list.push(2);
        const first = await store.getValue<{ list: number[] }>('obj');
        expect(first).toEqual({ list: [1] });
        first?.list.push(3);
        expect(await store.getValue('obj')).toEqual({ list: [1] });
      });
    });

    describe('raw client contract', () => {
      test('listKeys pages with limit, isTruncated and nextExclusiveStartKey', async (storageClient) => {
        const client = await storageClient.openKeyValueStore({ kind: 'name', name: 'raw' });
        for (const key of ['e', 'a', 'd', 'b', 'c']) await client.setRecord({ key, body: key, contentType: TEXT });
        const first = await client.listKeys({ limit: 2 });
        expect(first.items.map((i) => i.key)).toEqual(['a', 'b']);
        expect(first.isTruncated).toBe(true);
        const second = await client.listKeys({ limit: 2, exclusiveStartKey: first.nextExclusiveStartKey ?? 'b' });
        expect(second.items.map((i) => i.key)).toEqual(['c', 'd']);
        expect(second.isTruncated).toBe(true);
        const last = await client.listKeys({ limit: 2, exclusiveStartKey: second.nextExclusiveStartKey ?? 'd' });
        expect(last.items.map((i) => i.key)).toEqual(['e']);
        expect(last.isTruncated).toBe(false);
        const all = await client.listKeys({ limit: 10, prefix: 'c' });
        expect(all).toMatchObject({ items: [{ key: 'c', size: 1, contentType: TEXT }], isTruncated: false });
      });

      test('getRecord, recordExists and deleteRecord work on stored records', async (storageClient) => {
        const client = await storageClient.openKeyValueStore({ kind: 'default', id: 'default' });
        expect(await client.getRecord('k')).toBeUndefined();
        await client.setRecord({ key: 'k', body: Buffer.from([1, 2]), contentType: BINARY });
        const record = await client.getRecord('k');
        expect(record?.key).toBe('k');
        expect(record?.contentType).toBe(BINARY);
        expect(Buffer.isBuffer(record?.body)).toBe(true);
        expect([...((record?.body as Buffer | undefined) ?? [])]).toEqual([1, 2]);
        expect(await client.recordExists('k')).toBe(true);
        await client.deleteRecord('k');
        await client.deleteRecord('k');
        expect(await client.recordExists('k')).toBe(false);
      });
    });
  });
}
