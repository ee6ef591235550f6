import { createHmac, randomBytes } from 'node:crypto';

const BASE62 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The signature of a record URL, as the Apify platform makes it: HMAC-SHA256(secretKey, message)
 * in hex, its first 30 hex digits read as one number and written in base 62 (`0-9a-zA-Z`). The
 * message is the record key. Clients sign URLs with it and servers check them.
 */
export function createRecordSignature(secretKey: string, message: string): string {
  let n = BigInt(`0x${createHmac('sha256', secretKey).update(message).digest('hex').slice(0, 30)}`);
  if (n === 0n) return '0';
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out;
}

/**
 * A new URL-signing secret for a key-value store: 32 random bytes in base64url (43 characters).
 * Each store gets its own, kept in its metadata, so a signature opens one record of one store.
 */
export function createUrlSigningSecretKey(): string {
  return randomBytes(32).toString('base64url');
}
