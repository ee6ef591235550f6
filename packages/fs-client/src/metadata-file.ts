import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAtExit } from './exit-hooks.js';
import { tempPathFor, writeFileAtomicSync, type WriteOptions } from './safe-files.js';

/** Name of a storage's metadata file, as Crawlee names it. */
export const METADATA_FILE_NAME = '__metadata__.json';

/** Something that warns about a file it skipped or repaired. */
export interface WarningLogger {
  warn(message: string): void;
}

/**
 * Reads a JSON file, accepting the doubly encoded form Crawlee writes for some files (a JSON
 * string holding the JSON). Gives `undefined` (and a warning) for a missing or unparsable file.
 */
export function readJsonFile(path: string, logger: WarningLogger, { warnIfMissing = false } = {}): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || warnIfMissing) {
      logger.warn(`Skipping ${path}: ${(error as Error).message}`);
    }
    return undefined;
  }
  try {
    let value: unknown = JSON.parse(text);
    if (typeof value === 'string') value = JSON.parse(value);
    return value;
  } catch (error) {
    logger.warn(`Skipping ${path}: it is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}

/**
 * A storage's `__metadata__.json`, written at most every `delayMs` after changes (and at process
 * exit), since it is derived data: counts are rebuilt from the files when a storage is opened.
 */
export class MetadataFile {
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #cancelExitFlush: (() => void) | undefined;
  /** Called with the temporary file's path just before the file is written (a queue journals it). */
  beforeWrite: ((temp: string) => void) | undefined;

  constructor(
    private readonly dir: string,
    private readonly snapshot: () => Record<string, unknown>,
    private readonly writeOptions: WriteOptions,
    private readonly delayMs = 200,
  ) {}

  /** Marks the metadata changed; it is written soon. */
  changed(): void {
    this.#dirty = true;
    this.#cancelExitFlush ??= runAtExit(() => this.flush());
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.flush();
        } catch {
          // Retried on the next change and at exit; the files themselves are the truth.
        }
      }, this.delayMs);
      this.#timer.unref();
    }
  }

  /** True when a change waits to be written. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Writes the metadata now if it changed. When that fails, the change stays to be written (on the next flush, change or exit). */
  flush(): void {
    if (!this.#dirty) return;
    const path = join(this.dir, METADATA_FILE_NAME);
    const temp = tempPathFor(path);
    this.beforeWrite?.(temp);
    writeFileAtomicSync(path, `${JSON.stringify(this.snapshot(), null, 2)}\n`, this.writeOptions, temp);
    this.#dirty = false;
    this.#cancelExitFlush?.();
    this.#cancelExitFlush = undefined;
  }

  /** Stops writing (the storage was dropped). */
  discard(): void {
    this.#dirty = false;
    this.#cancelExitFlush?.();
    this.#cancelExitFlush = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
