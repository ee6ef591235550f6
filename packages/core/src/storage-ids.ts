import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A new random storage id: 17 letters and digits, like the Apify platform's. */
export function createStorageId(length = 17): string {
  const bytes = randomBytes(length * 2);
  let id = '';
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps the choice uniform.
  for (const byte of bytes) {
    if (byte >= 248) continue;
    id += ALPHABET[byte % 62];
    if (id.length === length) return id;
  }
  return id + createStorageId(length - id.length);
}
