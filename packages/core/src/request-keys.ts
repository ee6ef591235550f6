import { createHash } from 'node:crypto';
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
  const parsed = parseRequestUrl(url);
  const params = parsed.searchParams;
  for (const name of [...params.keys()]) {
    if (name.startsWith('utm_')) params.delete(name);
  }
  params.sort();
  const query = params.toString();
  const path = parsed.pathname.replace(/\/$/, '');
  return `${parsed.protocol.toLowerCase()}//${parsed.host.toLowerCase()}${path}${query ? `?${query}` : ''}${keepFragment ? parsed.hash : ''}`;
}

/**
 * The id of the request with `uniqueKey`, as Crawlee computes it: the SHA-256 of the key in
 * base64 without `+`, `/` and `=`, first 15 characters.
 */
export function requestIdFromUniqueKey(uniqueKey: string): string {
  return createHash('sha256').update(uniqueKey).digest('base64').replace(/[+/=]/g, '').slice(0, REQUEST_ID_LENGTH);
}
