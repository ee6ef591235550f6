import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectStorageError } from './expect-storage-error.js';
import {
  Request,
  StorageError,
  computeUniqueKey,
  requestDataSchema,
  requestIdFromUniqueKey,
  serializeRequestData,
  toRequest,
  type RequestOptions,
  type StorageErrorCode,
} from '../src/index.js';


const payloadHash = (payload: string): string =>
  createHash('sha256').update(payload).digest('base64').replace(/[+/=]/g, '').slice(0, 8);

describe('Request.fromUrl', () => {
  it('fills in the defaults, with the normalized URL as uniqueKey and the id derived from it', () => {
    const request = Request.fromUrl('https://Example.com/a/?b=2&a=1#frag');
    expect(request).toBeInstanceOf(Request);
    expect(request.url).toBe('https://Example.com/a/?b=2&a=1#frag');
    expect(request.uniqueKey).toBe('https://example.com/a?a=1&b=2');
    expect(request.id).toBe(requestIdFromUniqueKey('https://example.com/a?a=1&b=2'));
    expect(request.method).toBe('GET');
    expect(request.userData).toEqual({});
    expect(request.retryCount).toBe(0);
    expect(request.noRetry).toBe(false);
    expect(request.errorMessages).toEqual([]);
    expect(request.payload).toBeUndefined();
    expect(request.headers).toBeUndefined();
    expect(request.loadedUrl).toBeUndefined();
    expect(request.handledAt).toBeUndefined();
    expect(request.label).toBeUndefined();
  });

  it('trims the URL it keeps', () => {
    expect(Request.fromUrl('  https://example.com/x  ').url).toBe('https://example.com/x');
  });

  it('takes further options', () => {
    const request = Request.fromUrl('https://example.com', { label: 'START', userData: { depth: 1 }, method: 'head' });
    expect(request.method).toBe('HEAD');
    expect(request.userData).toEqual({ depth: 1, label: 'START' });
    expect(request.label).toBe('START');
  });

  it('gives equal unique keys and ids for URLs equal after normalization', () => {
    const a = Request.fromUrl('https://example.com/path?b=2&a=1');
    const b = Request.fromUrl('HTTPS://EXAMPLE.COM/path/?a=1&b=2&utm_source=x#top');
    expect(a.uniqueKey).toBe(b.uniqueKey);
    expect(a.id).toBe(b.id);
  });

  it('rejects a bad URL with invalid-url', () => {
    for (const url of ['ftp://example.com', 'not a url', '', '/relative']) {
      expectStorageError(() => Request.fromUrl(url), 'invalid-url');
    }
  });
});

describe('new Request(options)', () => {
  it('keeps every option it is given', () => {
    const request = new Request({
      url: 'https://example.com/api',
      method: 'POST',
      payload: '{"q":1}',
      headers: { 'content-type': 'application/json' },
      userData: { page: 2 },
      retryCount: 3,
      noRetry: true,
      errorMessages: ['first failure'],
      loadedUrl: 'https://example.com/api/v2',
      handledAt: '2024-01-02T03:04:05.000Z',
    });
    expect(request.url).toBe('https://example.com/api');
    expect(request.method).toBe('POST');
    expect(request.payload).toBe('{"q":1}');
    expect(request.headers).toEqual({ 'content-type': 'application/json' });
    expect(request.userData).toEqual({ page: 2 });
    expect(request.retryCount).toBe(3);
    expect(request.noRetry).toBe(true);
    expect(request.errorMessages).toEqual(['first failure']);
    expect(request.loadedUrl).toBe('https://example.com/api/v2');
    expect(request.handledAt).toBe('2024-01-02T03:04:05.000Z');
    // Without useExtendedUniqueKey, method and payload do not change the key.
    expect(request.uniqueKey).toBe('https://example.com/api');
  });

  it('upper-cases the method', () => {
    expect(new Request({ url: 'https://example.com', method: 'post' }).method).toBe('POST');
    expect(new Request({ url: 'https://example.com', method: 'Patch' }).method).toBe('PATCH');
    expect(new Request({ url: 'https://example.com', method: 'DELETE' }).method).toBe('DELETE');
  });

  it('uses an explicit uniqueKey as it is, and derives the id from it', () => {
    const request = new Request({ url: 'https://example.com/A/#x', uniqueKey: 'my-own-key' });
    expect(request.uniqueKey).toBe('my-own-key');
    expect(request.id).toBe(requestIdFromUniqueKey('my-own-key'));
    expect(request.url).toBe('https://example.com/A/#x');
  });

  it('keeps the fragment in the unique key with keepUrlFragment', () => {
    expect(new Request({ url: 'https://example.com/a#one', keepUrlFragment: true }).uniqueKey).toBe('https://example.com/a#one');
    expect(new Request({ url: 'https://example.com/a#one' }).uniqueKey).toBe('https://example.com/a');
  });

  it('makes the extended unique key METHOD(payloadHash):url with useExtendedUniqueKey', () => {
    const post = new Request({ url: 'https://example.com/api/?b=1&a=2', method: 'post', payload: 'a=1', useExtendedUniqueKey: true });
    expect(post.uniqueKey).toBe(`POST(${payloadHash('a=1')}):https://example.com/api?a=2&b=1`);
    expect(payloadHash('a=1')).toHaveLength(8);
    expect(post.id).toBe(requestIdFromUniqueKey(post.uniqueKey));

    const get = new Request({ url: 'https://example.com', useExtendedUniqueKey: true });
    expect(get.uniqueKey).toBe('GET():https://example.com');

    const otherPayload = new Request({ url: 'https://example.com/api?a=2&b=1', method: 'POST', payload: 'a=2', useExtendedUniqueKey: true });
    expect(otherPayload.uniqueKey).not.toBe(post.uniqueKey);
    expect(otherPayload.id).not.toBe(post.id);
  });

  it('lets an explicit uniqueKey win over useExtendedUniqueKey', () => {
    expect(new Request({ url: 'https://example.com', uniqueKey: 'k', useExtendedUniqueKey: true }).uniqueKey).toBe('k');
  });

  it('puts label into userData, over a label already there', () => {
    const request = new Request({ url: 'https://example.com', userData: { label: 'OLD', x: 1 }, label: 'NEW' });
    expect(request.userData).toEqual({ label: 'NEW', x: 1 });
    expect(request.label).toBe('NEW');
    expect(new Request({ url: 'https://example.com', userData: { label: 'FROM-DATA' } }).label).toBe('FROM-DATA');
  });

  it('does not share the userData object it was given', () => {
    const userData = { a: 1 };
    const request = new Request({ url: 'https://example.com', userData, label: 'L' });
    expect(userData).toEqual({ a: 1 });
    request.userData['b'] = 2;
    expect(userData).toEqual({ a: 1 });
  });

  it.each<[string, unknown]>([
    ['an unknown method', { url: 'https://example.com', method: 'FETCH' }],
    ['a non-string method', { url: 'https://example.com', method: 1 }],
    ['a negative retryCount', { url: 'https://example.com', retryCount: -1 }],
    ['a fractional retryCount', { url: 'https://example.com', retryCount: 1.5 }],
    ['an empty uniqueKey', { url: 'https://example.com', uniqueKey: '' }],
    ['a non-string header', { url: 'https://example.com', headers: { a: 1 } }],
    ['userData that is not an object', { url: 'https://example.com', userData: 'x' }],
    ['a non-boolean noRetry', { url: 'https://example.com', noRetry: 'yes' }],
    ['errorMessages that are not strings', { url: 'https://example.com', errorMessages: [1] }],
    ['a non-string payload', { url: 'https://example.com', payload: { a: 1 } }],
  ])('rejects %s with invalid-argument', (_what, options) => {
    const error = expectStorageError(() => new Request(options as RequestOptions), 'invalid-argument');
    expect(error.message).toMatch(/^Invalid request: /);
  });

  it('names the bad option in the message', () => {
    const error = expectStorageError(() => new Request({ url: 'https://example.com', retryCount: -1 }), 'invalid-argument');
    expect(error.message).toContain('retryCount');
  });

  it('rejects a missing options object with invalid-argument', () => {
    expectStorageError(() => new Request(null as unknown as RequestOptions), 'invalid-argument');
    expectStorageError(() => new Request(undefined as unknown as RequestOptions), 'invalid-argument');
    expectStorageError(() => new Request('https://example.com' as unknown as RequestOptions), 'invalid-argument');
  });

  it('rejects a bad or missing URL with invalid-url', () => {
    expectStorageError(() => new Request({ url: 'ftp://example.com' }), 'invalid-url');
    expectStorageError(() => new Request({} as RequestOptions), 'invalid-url');
  });
});

describe('computeUniqueKey', () => {
  it('is the normalized URL, or the extended key', () => {
    expect(computeUniqueKey({ url: 'https://Example.com/a/' })).toBe('https://example.com/a');
    expect(computeUniqueKey({ url: 'https://example.com/a', method: 'put', payload: 'x', useExtendedUniqueKey: true })).toBe(
      `PUT(${payloadHash('x')}):https://example.com/a`,
    );
  });
});

describe('label', () => {
  it('reads and writes userData.label', () => {
    const request = Request.fromUrl('https://example.com', { userData: { other: true } });
    expect(request.label).toBeUndefined();
    request.label = 'DETAIL';
    expect(request.label).toBe('DETAIL');
    expect(request.userData).toEqual({ other: true, label: 'DETAIL' });
    request.label = undefined;
    expect(request.label).toBeUndefined();
    expect('label' in request.userData).toBe(false);
    expect(request.userData).toEqual({ other: true });
  });

  it('is undefined when userData.label is not a string', () => {
    const request = Request.fromUrl('https://example.com', { userData: { label: 5 } });
    expect(request.label).toBeUndefined();
  });
});

describe('pushErrorMessage', () => {
  it('records the message of an Error, a string, or other values as JSON, in order', () => {
    const request = Request.fromUrl('https://example.com');
    request.pushErrorMessage(new Error('timed out'));
    request.pushErrorMessage(new TypeError('bad type'));
    request.pushErrorMessage('plain text');
    request.pushErrorMessage({ status: 500 });
    request.pushErrorMessage(42);
    request.pushErrorMessage(undefined);
    expect(request.errorMessages).toEqual(['timed out', 'bad type', 'plain text', '{"status":500}', '42', 'undefined']);
  });

  it('records something, without throwing, for values JSON cannot serialize', () => {
    const request = Request.fromUrl('https://example.com');
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;
    expect(() => request.pushErrorMessage(circular)).not.toThrow();
    expect(() => request.pushErrorMessage(10n)).not.toThrow();
    expect(() => request.pushErrorMessage(Symbol('s'))).not.toThrow();
    expect(request.errorMessages).toHaveLength(3);
    expect(request.errorMessages[1]).toBe('10');
    expect(request.errorMessages[2]).toBe('Symbol(s)');
    for (const message of request.errorMessages) expect(typeof message).toBe('string');
  });
});

describe('toData / fromData / toJSON', () => {
  const full = (): Request =>
    new Request({
      url: 'https://example.com/item?id=1',
      method: 'POST',
      payload: 'body',
      headers: { accept: 'text/html' },
      label: 'ITEM',
      userData: { n: 1, nested: { a: [1, 2] } },
      retryCount: 2,
      noRetry: false,
      errorMessages: ['e1'],
      loadedUrl: 'https://example.com/item?id=1&r=1',
      handledAt: '2024-05-06T07:08:09.000Z',
    });

  it('toData gives plain data that the request data schema accepts', () => {
    const data = full().toData();
    expect(requestDataSchema.parse(data)).toEqual(data);
    expect(data).toEqual({
      id: requestIdFromUniqueKey('https://example.com/item?id=1'),
      url: 'https://example.com/item?id=1',
      uniqueKey: 'https://example.com/item?id=1',
      method: 'POST',
      payload: 'body',
      headers: { accept: 'text/html' },
      userData: { n: 1, nested: { a: [1, 2] }, label: 'ITEM' },
      retryCount: 2,
      noRetry: false,
      errorMessages: ['e1'],
      loadedUrl: 'https://example.com/item?id=1&r=1',
      handledAt: '2024-05-06T07:08:09.000Z',
    });
  });

  it('toData leaves out the optional fields that are not set', () => {
    const data = Request.fromUrl('https://example.com').toData();
    expect(Object.keys(data).sort()).toEqual(['errorMessages', 'id', 'method', 'noRetry', 'retryCount', 'uniqueKey', 'url', 'userData']);
  });

  it('fromData(toData()) gives an equal Request, through JSON too', () => {
    for (const original of [full(), Request.fromUrl('https://example.com/x')]) {
      const copy = Request.fromData(original.toData());
      expect(copy).toBeInstanceOf(Request);
      expect(copy.toData()).toEqual(original.toData());
      expect(copy.label).toBe(original.label);

      const revived = Request.fromData(requestDataSchema.parse(JSON.parse(JSON.stringify(original))));
      expect(revived).toBeInstanceOf(Request);
      expect(revived.toData()).toEqual(original.toData());
    }
  });

  it('fromData keeps the stored id and uniqueKey as they are (no recomputing)', () => {
    const data = { ...Request.fromUrl('https://example.com').toData(), id: 'storedId1234567', uniqueKey: 'stored-key' };
    const request = Request.fromData(data);
    expect(request.id).toBe('storedId1234567');
    expect(request.uniqueKey).toBe('stored-key');
    request.pushErrorMessage('boom');
    expect(request.toData().errorMessages).toEqual(['boom']);
  });

  it('toJSON is toData, so JSON.stringify gives the plain data', () => {
    const request = full();
    expect(request.toJSON()).toEqual(request.toData());
    expect(JSON.parse(JSON.stringify(request))).toEqual(request.toData());
    expect(JSON.stringify(request)).toBe(JSON.stringify(request.toData()));
  });
});

describe('toRequest', () => {
  it('takes a Request as it is, a URL string or options', () => {
    const request = Request.fromUrl('https://example.com');
    expect(toRequest(request)).toBe(request);
    expect(toRequest('https://example.com/a/').uniqueKey).toBe('https://example.com/a');
    expect(toRequest({ url: 'https://example.com/b', label: 'B' }).label).toBe('B');
    expectStorageError(() => toRequest('nope'), 'invalid-url');
  });
});

describe('serializeRequestData', () => {
  it('gives the JSON of a request', () => {
    const data = Request.fromUrl('https://example.com/a', { userData: { n: [1] } }).toData();
    expect(JSON.parse(serializeRequestData(data))).toEqual(data);
  });

  it('refuses userData that is no plain object, or that JSON cannot hold, naming the request', () => {
    const base = Request.fromUrl('https://example.com/a').toData();
    const cycle: Record<string, unknown> = {};
    cycle['me'] = cycle;
    const bad: unknown[] = [null, [1], 'text', new Map(), { toJSON: () => 1 }, { big: 2n }, cycle];
    for (const userData of bad) {
      const error = expectStorageError(() => serializeRequestData({ ...base, userData } as never), 'invalid-argument');
      expect(error.message).toContain('https://example.com/a');
    }
  });

  it('is checked when a Request is made', () => {
    expectStorageError(() => new Request({ url: 'https://example.com/a', userData: { big: 1n } }), 'invalid-argument');
    expectStorageError(() => Request.fromUrl('https://example.com/a', { userData: { list: [{ big: 1n }] } }), 'invalid-argument');
  });
});
