import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Actor } from '@x/actor';
import type { StorageClient } from '@x/core';
import { isMain, quiet, runAlone, type Log } from './run-alone.js';

/** What the public URL example did. */
export interface PublicUrlOutcome {
  readonly url: string;
  /** `data:` (memory client), `file:` (fs client) or `http:`/`https:` (cloud client). */
  readonly protocol: string;
  /** The body read from the URL, and the content type it was served with (none for a file). */
  readonly body: string;
  readonly servedContentType: string | undefined;
}

/** Reads a record's URL: `data:` and `http(s):` with fetch, `file:` from the disk. */
export async function readUrl(url: string): Promise<{ body: string; contentType: string | undefined }> {
  if (new URL(url).protocol === 'file:') return { body: await readFile(fileURLToPath(url), 'utf8'), contentType: undefined };
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return { body: await response.text(), contentType: response.headers.get('content-type') ?? undefined };
}

/**
 * Example 7: the public URL of a record, and reading the record through it. What the URL is
 * depends on the storage client: a file on disk, a data URL, or the API URL of the record (signed
 * when the store has a URL signing key, so it reads without a token).
 */
export async function publicUrl(storageClient: StorageClient, log: Log = quiet): Promise<PublicUrlOutcome> {
  await Actor.init({ storageClient });
  try {
    await Actor.setValue('summary', { pages: 10, failed: 0 }); // into the run's default store
    const store = await Actor.openKeyValueStore();
    const url = await store.getPublicUrl('summary');
    const { body, contentType } = await readUrl(url);
    log(`public URL of "summary": ${url.length > 100 ? `${url.slice(0, 100)}…` : url}`);
    log(`read through it: ${body}${contentType === undefined ? '' : ` (served as ${contentType})`}`);
    return { url, protocol: new URL(url).protocol, body, servedContentType: contentType };
  } finally {
    await Actor.exit();
  }
}

if (isMain(import.meta.url)) runAlone('7. The public URL of a record', publicUrl);
