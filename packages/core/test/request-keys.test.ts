import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectStorageError } from './expect-storage-error.js';
import { REQUEST_ID_LENGTH, type StorageError, normalizeUrl, parseRequestUrl, requestIdFromUniqueKey } from '../src/index.js';

function expectInvalidUrl(fn: () => unknown): StorageError {
  return expectStorageError(fn, 'invalid-url');
}

describe('normalizeUrl', () => {
  it('lower-cases the scheme and the host but not the path or the query', () => {
    expect(normalizeUrl('HTTPS://Example.COM/Some/Path?Q=Value')).toBe('https://example.com/Some/Path?Q=Value');
    expect(normalizeUrl('HtTp://WWW.APIFY.COM')).toBe('http://www.apify.com');
  });

  it('keeps a non-default port and drops a default one', () => {
    expect(normalizeUrl('http://example.com:8080/a')).toBe('http://example.com:8080/a');
    expect(normalizeUrl('https://example.com:443/a')).toBe('https://example.com/a');
  });

  it('drops the fragment, or keeps it when asked', () => {
    expect(normalizeUrl('https://example.com/page#section')).toBe('https://example.com/page');
    expect(normalizeUrl('https://example.com/page#section', true)).toBe('https://example.com/page#section');
    expect(normalizeUrl('https://example.com/page?b=2&a=1#frag', true)).toBe('https://example.com/page?a=1&b=2#frag');
  });

  it('sorts the query by parameter name, keeping the order of repeated names', () => {
    expect(normalizeUrl('https://example.com/?c=3&a=1&b=2')).toBe('https://example.com?a=1&b=2&c=3');
    expect(normalizeUrl('https://example.com/s?z=1&a=2&a=1')).toBe('https://example.com/s?a=2&a=1&z=1');
  });

  it('removes utm_ parameters and nothing else', () => {
    expect(normalizeUrl('https://example.com/a?utm_source=x&b=1&utm_medium=y&utm_campaign=z')).toBe('https://example.com/a?b=1');
    expect(normalizeUrl('https://example.com/a?utm_source=x')).toBe('https://example.com/a');
    expect(normalizeUrl('https://example.com/a?xutm_source=1&UTM_SOURCE=2')).toBe('https://example.com/a?UTM_SOURCE=2&xutm_source=1');
  });

  it('drops an empty query', () => {
    expect(normalizeUrl('https://example.com/a?')).toBe('https://example.com/a');
  });

  it('removes one trailing slash of the path, the root one included', () => {
    expect(normalizeUrl('https://example.com/a/')).toBe('https://example.com/a');
    expect(normalizeUrl('https://example.com/a/b/?x=1')).toBe('https://example.com/a/b?x=1');
    expect(normalizeUrl('https://a.com/')).toBe('https://a.com');
    expect(normalizeUrl('https://a.com')).toBe('https://a.com');
    expect(normalizeUrl('https://a.com/?q=1')).toBe('https://a.com?q=1');
    // Only one slash goes, as in Crawlee.
    expect(normalizeUrl('https://a.com/x//')).toBe('https://a.com/x/');
  });

  it('trims surrounding whitespace', () => {
    expect(normalizeUrl('  https://example.com/a  ')).toBe('https://example.com/a');
    expect(normalizeUrl('\n\thttps://example.com/a/\n')).toBe('https://example.com/a');
  });

  it('gives equal keys for URLs that differ only in what is normalized away', () => {
    const variants = [
      'https://example.com/path?a=1&b=2',
      'HTTPS://EXAMPLE.COM/path/?b=2&a=1',
      'https://example.com/path?b=2&a=1#top',
      ' https://example.com/path/?utm_source=news&a=1&b=2 ',
    ];
    expect(new Set(variants.map((url) => normalizeUrl(url)))).toEqual(new Set(['https://example.com/path?a=1&b=2']));
  });

  it('matches the values Crawlee gives', () => {
    expect(normalizeUrl('https://www.Example.com/Path/?b=2&a=1&utm_source=x#hash')).toBe('https://www.example.com/Path?a=1&b=2');
    expect(normalizeUrl('http://example.com/?Q=1&q=2')).toBe('http://example.com?Q=1&q=2');
  });

  it.each([
    ['an ftp URL', 'ftp://example.com/file'],
    ['a file URL', 'file:///etc/passwd'],
    ['a mailto URL', 'mailto:someone@example.com'],
    ['a javascript URL', 'javascript:alert(1)'],
    ['a relative path', '/relative/path'],
    ['a relative name', 'example.com/page'],
    ['an empty string', ''],
    ['whitespace only', '   '],
    ['garbage', 'http://'],
  ])('rejects %s with invalid-url', (_what, url) => {
    const error = expectInvalidUrl(() => normalizeUrl(url));
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('rejects non-strings with invalid-url', () => {
    for (const url of [undefined, null, 42, {}, ['https://example.com']]) {
      expectInvalidUrl(() => normalizeUrl(url as unknown as string));
    }
  });

  it('says why a URL is rejected', () => {
    expect(expectInvalidUrl(() => normalizeUrl('ftp://example.com')).message).toContain('http');
    expect(expectInvalidUrl(() => normalizeUrl('/x')).message).toContain('"/x"');
    expect(expectInvalidUrl(() => normalizeUrl('/x')).cause).toBeInstanceOf(TypeError);
  });
});

describe('parseRequestUrl', () => {
  it('parses absolute http(s) URLs', () => {
    expect(parseRequestUrl('https://example.com/a?b=1').href).toBe('https://example.com/a?b=1');
    expect(parseRequestUrl(' http://example.com ').hostname).toBe('example.com');
  });

  it('rejects everything else with invalid-url', () => {
    for (const url of ['ftp://x.com', 'x', '', null, 1]) expectInvalidUrl(() => parseRequestUrl(url));
  });
});

describe('requestIdFromUniqueKey', () => {
  const reference = (key: string): string =>
    createHash('sha256').update(key, 'utf8').digest('base64').replaceAll('+', '').replaceAll('/', '').replaceAll('=', '').slice(0, 15);

  it('is base64(sha256(uniqueKey)) without + / =, first 15 characters', () => {
    const keys = [
      'https://apify.com',
      'https://example.com',
      'GET():https://example.com',
      'POST(abcdefgh):https://example.com/a?b=1',
      '',
      'a',
      'čaj 😀',
      'x'.repeat(10_000),
    ];
    for (const key of keys) {
      const id = requestIdFromUniqueKey(key);
      expect(id).toBe(reference(key));
      expect(id).toHaveLength(REQUEST_ID_LENGTH);
      expect(id).toMatch(/^[A-Za-z0-9]{15}$/);
    }
  });

  it('is 15 characters long', () => {
    expect(REQUEST_ID_LENGTH).toBe(15);
  });

  it('strips + and / before cutting (their digests contain them in the first 15 characters)', () => {
    // sha256('') in base64 is 47DEQpj8HBSa+/TImW+5…; sha256('GET():https://example.com') starts with '/'.
    expect(createHash('sha256').update('').digest('base64').slice(0, 15)).toContain('+');
    expect(requestIdFromUniqueKey('')).toBe('47DEQpj8HBSaTIm');
    expect(requestIdFromUniqueKey('GET():https://example.com')).toBe('zYk68OuvhfdFudP');
  });

  it('gives the known ids of Crawlee and the Apify platform', () => {
    expect(requestIdFromUniqueKey('abc')).toBe('ungWv48BzpBQUDe');
    expect(requestIdFromUniqueKey('uniqueKey')).toBe('xiWPs083cree7mH');
    expect(requestIdFromUniqueKey('测试中文')).toBe('lKPdJkdvw8MXEUp');
    expect(requestIdFromUniqueKey('test+/=')).toBe('XZRQjhoG0yjfnYD');
    expect(requestIdFromUniqueKey('https://apify.com')).toBe('fvwscO2UJLdr10B');
  });

  it('differs for different keys and is stable for the same key', () => {
    expect(requestIdFromUniqueKey('https://example.com/a')).toBe(requestIdFromUniqueKey('https://example.com/a'));
    expect(requestIdFromUniqueKey('https://example.com/a')).not.toBe(requestIdFromUniqueKey('https://example.com/b'));
  });
});
