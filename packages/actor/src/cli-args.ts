import { parseArgs } from 'node:util';

/** A bad command line; the bin prints its message on one line and exits with 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

const STORAGE_NOTE = 'The storage folder is CRAWLEE_STORAGE_DIR, else APIFY_LOCAL_STORAGE_DIR, else ./storage.';

/** The help text of the bin, and of each command. */
export const CLI_USAGE = {
  main: `Usage: x-actor <command> [options]

Commands:
  run [--purge] [--input JSON|FILE] [-- command...]        run the Actor in this folder locally
  storages                                                 list the local storages with their counts
  export DATASET --format json|jsonl|csv [--output FILE]   write a dataset out

Options:
  -h, --help                                               this help
  -v, --version                                            the version of @x/actor

${STORAGE_NOTE}
Run "x-actor <command> --help" for the options of a command.`,
  run: `Usage: x-actor run [--purge] [--input JSON|FILE] [-- command...]

Runs the Actor in the current folder with local storages (default command: npm start). The input is
written as the INPUT record (ACTOR_INPUT_KEY) of the default key-value store first; the command
gets CRAWLEE_STORAGE_DIR as an absolute path, and x-actor exits with its exit code.

Options:
  --purge             empty the default storages first (the input record is kept)
  --input JSON|FILE   the input: a JSON text, or a file holding one
  -h, --help          this help

${STORAGE_NOTE}`,
  storages: `Usage: x-actor storages

Lists the local datasets, key-value stores and request queues with their item, record and
request counts.

Options:
  -h, --help          this help

${STORAGE_NOTE}`,
  export: `Usage: x-actor export DATASET --format json|jsonl|csv [--output FILE]

Writes the items of a local dataset (by name or id; "default" is the run's default dataset) as a
JSON array, JSON lines or CSV, page by page. A progress bar is shown on a terminal for large ones.

Options:
  --format FORMAT     json, jsonl or csv
  --output FILE       write to FILE (default: standard output)
  -h, --help          this help

${STORAGE_NOTE}`,
} as const;

/** The formats of `x-actor export`. */
export const EXPORT_FORMATS = ['json', 'jsonl', 'csv'] as const;

/** A format of `x-actor export`. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What the command line asks for. */
export type CliCommand =
  | { readonly command: 'help'; readonly topic: keyof typeof CLI_USAGE }
  | { readonly command: 'version' }
  | { readonly command: 'run'; readonly purge: boolean; readonly input: string | undefined; readonly argv: readonly string[] }
  | { readonly command: 'storages' }
  | { readonly command: 'export'; readonly dataset: string; readonly format: ExportFormat; readonly output: string | undefined };

type OptionSpec = Record<string, { readonly type: 'string' | 'boolean' }>;

function parse(args: readonly string[], options: OptionSpec, positionals: boolean): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (error) {
    throw new CliUsageError((error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
}

/** Parses the bin's arguments; throws {@link CliUsageError} for a bad command line. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new CliUsageError('missing command: use run, storages or export (x-actor --help)');
  if (command === '-h' || command === '--help' || command === 'help') return { command: 'help', topic: 'main' };
  if (command === '-v' || command === '--version') return { command: 'version' };
  switch (command) {
    case 'run': {
      const split = rest.indexOf('--');
      const own = split === -1 ? rest : rest.slice(0, split);
      const child = split === -1 ? [] : rest.slice(split + 1);
      const { values } = parse(own, { purge: { type: 'boolean' }, input: { type: 'string' } }, false);
      if (values.help) return { command: 'help', topic: 'run' };
      if (split !== -1 && child.length === 0) throw new CliUsageError('run: no command after "--"');
      const input = values.input as string | undefined;
      if (input !== undefined && input.trim() === '') throw new CliUsageError('run: --input must not be empty');
      return { command: 'run', purge: (values.purge as boolean | undefined) ?? false, input, argv: child };
    }
    case 'storages': {
      const { values } = parse(rest, {}, false);
      if (values.help) return { command: 'help', topic: 'storages' };
      return { command: 'storages' };
    }
    case 'export': {
      const { values, positionals } = parse(rest, { format: { type: 'string' }, output: { type: 'string' } }, true);
      if (values.help) return { command: 'help', topic: 'export' };
      if (positionals.length !== 1) throw new CliUsageError(`export: give exactly one DATASET (a name or id), got ${positionals.length}`);
      const format = values.format as string | undefined;
      if (format === undefined) throw new CliUsageError('export: --format is required (json, jsonl or csv)');
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`export: --format must be json, jsonl or csv, got "${format}"`);
      const output = values.output as string | undefined;
      if (output !== undefined && output.trim() === '') throw new CliUsageError('export: --output must not be empty');
      return { command: 'export', dataset: positionals[0]!, format: format as ExportFormat, output };
    }
    default:
      throw new CliUsageError(`unknown command "${command}": use run, storages or export (x-actor --help)`);
  }
}
