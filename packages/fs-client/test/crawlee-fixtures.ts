import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Configuration, log } from '@crawlee/core';
import { MemoryStorage } from '@crawlee/memory-storage';
import { afterEach } from 'vitest';
import type { WarningLogger } from '../src/index.js';

// Crawlee logs every lock and skipped file at INFO/WARNING; the tests assert on the files instead.
log.setLevel(log.LEVELS.ERROR);

/** A fresh temporary storage folder. */
export function makeStorageDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `x-fs-crawlee-${label}-`));
}

/** Removes a folder made by {@link makeStorageDir} (call {@link settleCrawlee} first). */
export function removeStorageDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A warning logger that keeps the messages. */
export function collectingLogger(): WarningLogger & { readonly messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (message: string) => void messages.push(message) };
}

const openedStorages: MemoryStorage[] = [];

/**
 * Waits until every `MemoryStorage` made by {@link crawleeStorage} has finished writing (its
 * metadata is written in the background), so that the folder can be removed.
 */
export async function settleCrawlee(): Promise<void> {
  await Promise.all(openedStorages.splice(0).map((storage) => storage.teardown()));
}

/**
 * Crawlee's `MemoryStorage` persisting to `dir` (with the metadata files), and what to pass to
 * Crawlee's `Dataset.open` & co. The `Configuration` is a fresh one so that Crawlee's storage
 * cache is per test, and `purgeOnStart: false` so that opening a default storage does not wipe
 * the folder under test (Crawlee purges the default storages on the first open otherwise).
 */
export function crawleeStorage(dir: string): {
  readonly storage: MemoryStorage;
  readonly options: { readonly storageClient: MemoryStorage; readonly config: Configuration };
} {
  const storage = new MemoryStorage({ localDataDirectory: dir, persistStorage: true, writeMetadata: true });
  openedStorages.push(storage);
  const config = new Configuration({ purgeOnStart: false });
  return { storage, options: { storageClient: storage, config } };
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A real 1×1 PNG image (67 bytes). */
export const PNG_PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Dataset items covering what JSON can hold: nesting, unicode, escapes, numbers, null. */
export const PRODUCT_ITEMS: Record<string, unknown>[] = [
  { id: 1, title: 'Plain item', price: 9.99, inStock: true, tags: [] },
  {
    id: 2,
    title: 'Nested',
    seller: { name: 'ACME', address: { city: 'Praha', zip: '110 00', geo: [50.0875, 14.4214] } },
    variants: [{ size: 'S', stock: 0 }, { size: 'M', stock: 12, extra: { note: null } }],
    empty: {},
  },
  { id: 3, title: 'Unicode: 日本語 — Ελληνικά — עברית — Grüße 🎉👩‍👩‍👧', emoji: '🦀', combining: 'e\u0301' },
  { id: 4, title: 'Escapes "quoted" \\ back\\slash \t tab \n newline \u2028\u2029 \u0000 nul', path: 'C:\\temp\\x' },
  { id: 5, numbers: { negative: -42, big: 9007199254740991, tiny: 1e-7, zero: 0, float: -0.5 }, nothing: null },
];

/** The request each test queue holds, by a short name. */
export function url(name: string): string {
  return `https://example.com/${name}`;
}

/**
 * A temporary storage folder per call, all removed after each test once Crawlee has finished
 * its background writes. Call at the top of a test file.
 */
export function storageDirsPerTest(): (label: string) => string {
  const dirs: string[] = [];
  afterEach(async () => {
    await settleCrawlee();
    for (const dir of dirs.splice(0)) removeStorageDir(dir);
  });
  return (label) => {
    const dir = makeStorageDir(label);
    dirs.push(dir);
    return dir;
  };
}
