import { createHash, hash } from 'node:crypto';
import { StorageError } from './errors.js';

/** Length of a request id, as Crawlee and the Apify platform make them. */
export const REQUEST_ID_LENGTH = 15;

/**
 * Parses `url` as an absolute http(s) URL, or throws `invalid-url`.
 */
export function parseRequestUrl(url: unknown): URL {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new StorageError('invalid-url', `Request URL must be a non-empty string, got ${url === null ? 'null' : typeof url}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch (cause) {
    throw new StorageError('invalid-url', `Invalid request URL ${JSON.stringify(url)}: not an absolute URL`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StorageError('invalid-url', `Invalid request URL ${JSON.stringify(url)}: only http and https URLs can be queued`);
  }
  return parsed;
}

/**
 * Normalizes a URL the way Crawlee does for unique keys: lower-case scheme and host, `utm_*`
 * parameters dropped, the query sorted, the fragment dropped (unless `keepFragment`), and a
 * trailing slash of the path removed. Throws `invalid-url` for a URL that is not absolute http(s).
 */
export function normalizeUrl(url: string, keepFragment = false): string {
  return normalizeParsedUrl(parseRequestUrl(url), keepFragment);
}

/** {@link normalizeUrl} of a URL already parsed by {@link parseRequestUrl}. */
export function normalizeParsedUrl(parsed: URL, keepFragment: boolean): string {
  let query = '';
  if (parsed.search !== '') {
    // A standalone copy of the parameters: editing `parsed.searchParams` would rebuild its href.
    const params = new URLSearchParams(parsed.search);
    for (const name of [...params.keys()]) {
      if (name.startsWith('utm_')) params.delete(name);
    }
    params.sort();
    query = params.toString();
  }
  const path = parsed.pathname.endsWith('/') ? parsed.pathname.slice(0, -1) : parsed.pathname;
  return `${parsed.protocol.toLowerCase()}//${parsed.host.toLowerCase()}${path}${query ? `?${query}` : ''}${keepFragment ? parsed.hash : ''}`;
}

/**
 * The id of the request with `uniqueKey`, as Crawlee computes it: the SHA-256 of the key in
 * base64 without `+`, `/` and `=`, first 15 characters.
 */
export function requestIdFromUniqueKey(uniqueKey: string): string {
  return sha256Base64(uniqueKey).replace(/[+/=]/g, '').slice(0, REQUEST_ID_LENGTH);
}

/** SHA-256 of a string in base64; `crypto.hash` where Node has it (20.12+), which is faster. */
export const sha256Base64: (text: string) => string =
  typeof hash === 'function'
    ? (text) => hash('sha256', text, 'base64')
    : (text) => createHash('sha256').update(text).digest('base64');
