/** A stream a progress bar can draw on. */
export interface ProgressStream {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  write(chunk: string): unknown;
}

/** Items above which `x-actor export` shows a progress bar (on a terminal only). */
export const PROGRESS_MIN_ITEMS = 1000;

/** True when a progress bar belongs on `stream`: it is a terminal and the work is large. */
export function wantsProgressBar(stream: ProgressStream, total: number): boolean {
  return stream.isTTY === true && total > PROGRESS_MIN_ITEMS;
}

/**
 * A one-line progress bar redrawn in place with `\r`: `label [#####-----]  50% 500/1000`.
 * Redraws at most every 100 ms, and when done.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #label: string;
  #done = 0;
  #lastDraw = 0;

  constructor(stream: ProgressStream, total: number, label: string) {
    this.#stream = stream;
    this.#total = Math.max(1, total);
    this.#label = label;
  }

  /** Units finished so far. */
  get done(): number {
    return this.#done;
  }

  /** Adds `count` finished units and redraws when due. */
  tick(count: number): void {
    this.#done = Math.min(this.#total, this.#done + count);
    const now = Date.now();
    if (now - this.#lastDraw >= 100) {
      this.#lastDraw = now;
      this.#draw();
    }
  }

  /** Draws the bar full and ends its line. */
  finish(): void {
    this.#done = this.#total;
    this.#draw();
    this.#stream.write('\n');
  }

  #draw(): void {
    const width = 30;
    const ratio = this.#done / this.#total;
    const filled = Math.round(ratio * width);
    const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
    this.#stream.write(`\r${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${this.#done}/${this.#total}`);
  }
}
