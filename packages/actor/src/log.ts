/** The log levels, from the most verbose; `off` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'off'] as const;

/** A log level of {@link Log}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const ALIASES: Record<string, LogLevel> = {
  debug: 'debug',
  perf: 'debug',
  info: 'info',
  warning: 'warning',
  warn: 'warning',
  soft_fail: 'warning',
  error: 'error',
  off: 'off',
};

/** Reads a level name as the Apify SDK and Crawlee write it (`DEBUG`, `INFO`, `WARNING`/`WARN`, `ERROR`, `OFF`), in any case. */
export function parseLogLevel(value: string): LogLevel | undefined {
  return ALIASES[value.trim().toLowerCase()];
}

/** Where log lines go: one call per line, without the line end. */
export interface LogSink {
  /** Writes a debug or info line. */
  out(line: string): void;
  /** Writes a warning or error line. */
  err(line: string): void;
}

const processSink: LogSink = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function describe(data: unknown): string {
  if (data === undefined) return '';
  if (data instanceof Error) return `\n  ${(data.stack ?? `${data.name}: ${data.message}`).replaceAll('\n', '\n  ')}`;
  try {
    return ` ${JSON.stringify(data)}`;
  } catch {
    return ` ${String(data)}`;
  }
}

/**
 * A small leveled logger: `debug` and `info` go to stdout, `warning` and `error` to stderr, each
 * line as `LEVEL message {data}`. An `Error` as data is written with its stack.
 */
export class Log {
  #level: LogLevel;
  readonly #sink: LogSink;

  constructor(options: { readonly level?: LogLevel | undefined; readonly sink?: LogSink | undefined } = {}) {
    this.#level = options.level ?? 'info';
    this.#sink = options.sink ?? processSink;
  }

  /** The current level: messages below it are dropped. */
  getLevel(): LogLevel {
    return this.#level;
  }

  /** Sets the level. */
  setLevel(level: LogLevel): void {
    if (!LOG_LEVELS.includes(level)) throw new TypeError(`Unknown log level ${JSON.stringify(level)}; use one of ${LOG_LEVELS.join(', ')}`);
    this.#level = level;
  }

  /** True when messages of `level` are written. */
  isEnabled(level: Exclude<LogLevel, 'off'>): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.#level);
  }

  /** Logs a debug message. */
  debug(message: string, data?: unknown): void {
    this.#write('debug', message, data);
  }

  /** Logs an info message. */
  info(message: string, data?: unknown): void {
    this.#write('info', message, data);
  }

  /** Logs a warning. */
  warning(message: string, data?: unknown): void {
    this.#write('warning', message, data);
  }

  /** Logs a warning (same as {@link Log.warning}). */
  warn(message: string, data?: unknown): void {
    this.#write('warning', message, data);
  }

  /** Logs an error; pass the `Error` as `data` to log its stack too. */
  error(message: string, data?: unknown): void {
    this.#write('error', message, data);
  }

  /** Logs `error` (its stack) after `message`, at the error level. */
  exception(error: unknown, message: string, data?: unknown): void {
    this.#write('error', `${message}${describe(data)}`, error instanceof Error ? error : new Error(String(error)));
  }

  #write(level: Exclude<LogLevel, 'off'>, message: string, data: unknown): void {
    if (!this.isEnabled(level)) return;
    const line = `${level.toUpperCase().padEnd(7)} ${message}${describe(data)}`;
    if (level === 'warning' || level === 'error') this.#sink.err(line);
    else this.#sink.out(line);
  }
}
