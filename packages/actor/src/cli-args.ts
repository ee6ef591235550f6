import { parseArgs } from 'node:util';
import { DATASET_EXPORT_FORMATS, type DatasetExportFormat, type DatasetExportOptions } from '@x/core';

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
  export DATASET --format FORMAT [--output FILE] [...]     write a dataset out (json, jsonl, csv, xlsx, xml, html, rss)
  ui [--storage-dir DIR] [--port N]                        browse the local storages in a web page

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
  export: `Usage: x-actor export DATASET --format json|jsonl|csv|xlsx|xml|html|rss [--output FILE] [options]

Writes the items of a local dataset (by name or id; "default" is the run's default dataset) in a
format of the Apify API, page by page. A progress bar is shown on a terminal for large ones.

Options:
  --format FORMAT          json, jsonl, csv, xlsx, xml, html or rss
  --output FILE            write to FILE (default: standard output)
  --fields A,B             keep only these top-level fields, in this order
  --omit A,B               leave out these top-level fields
  --unwind A,B             one item per element of these array fields (objects are merged in)
  --flatten A,B            nested objects of these fields become "a.b" fields
  --clean                  --skip-hidden and --skip-empty
  --skip-hidden            leave out fields starting with #
  --skip-empty             leave out empty items
  --desc                   newest first
  --offset N, --limit N    skip N items; at most N items
  --delimiter C            CSV: the field delimiter (default ",")
  --bom                    start with the UTF-8 byte order mark (text formats)
  --skip-header-row        CSV: no header row
  --xml-root NAME          XML: the root element (default "items")
  --xml-row NAME           XML: each item's element (default "item")
  --no-escape-formulas     CSV, XLSX, HTML: keep cells starting with = + - @ as they are
  -h, --help               this help

Text cells that a spreadsheet would run as a formula get a ' in front, unless --no-escape-formulas.
CSV, XLSX and HTML hold at most 2000 columns of names up to 200 characters.

${STORAGE_NOTE}`,
  ui: `Usage: x-actor ui [--storage-dir DIR] [--port N]

Starts the storage browser of @x/server over a local storage folder, on 127.0.0.1 only, with a new
random token, and prints its address, http://127.0.0.1:PORT/#token=... (the token is in the
fragment, which the browser keeps to itself). On a desktop the address is opened in the browser.
Runs until Ctrl+C (SIGINT) or SIGTERM. Needs the package @x/server.

Options:
  --storage-dir DIR   the storage folder (default: the one the other commands use)
  --port N            the port to listen on (default: a free one)
  -h, --help          this help

${STORAGE_NOTE}`,
} as const;

/** The formats of `x-actor export`: every format of the export engine of `@x/core`. */
export const EXPORT_FORMATS = DATASET_EXPORT_FORMATS;

/** A format of `x-actor export`. */
export type ExportFormat = DatasetExportFormat;

/** The options of `x-actor export` that shape the export (those of the engine, from the command line). */
export type CliExportOptions = Pick<
  DatasetExportOptions,
  'fields' | 'omit' | 'unwind' | 'flatten' | 'clean' | 'skipHidden' | 'skipEmpty' | 'desc' | 'offset' | 'limit' | 'delimiter' | 'bom' | 'skipHeaderRow' | 'xmlRoot' | 'xmlRow' | 'escapeFormulas'
>;

/** What the command line asks for. */
export type CliCommand =
  | { readonly command: 'help'; readonly topic: keyof typeof CLI_USAGE }
  | { readonly command: 'version' }
  | { readonly command: 'run'; readonly purge: boolean; readonly input: string | undefined; readonly argv: readonly string[] }
  | { readonly command: 'storages' }
  | { readonly command: 'ui'; readonly storageDir: string | undefined; readonly port: number }
  | { readonly command: 'export'; readonly dataset: string; readonly format: ExportFormat; readonly output: string | undefined; readonly options: CliExportOptions };

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
  if (command === undefined) throw new CliUsageError('missing command: use run, storages, export or ui (x-actor --help)');
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
    case 'ui': {
      const { values } = parse(rest, { 'storage-dir': { type: 'string' }, port: { type: 'string' } }, false);
      if (values.help) return { command: 'help', topic: 'ui' };
      const storageDir = values['storage-dir'] as string | undefined;
      if (storageDir !== undefined && storageDir.trim() === '') throw new CliUsageError('ui: --storage-dir must not be empty');
      const port = values.port as string | undefined;
      if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) {
        throw new CliUsageError(`ui: --port must be a port number from 0 to 65535 (0: a free one), got "${port}"`);
      }
      return { command: 'ui', storageDir, port: port === undefined ? 0 : Number(port) };
    }
    case 'export': {
      const { values, positionals } = parse(
        rest,
        {
          format: { type: 'string' },
          output: { type: 'string' },
          fields: { type: 'string' },
          omit: { type: 'string' },
          unwind: { type: 'string' },
          flatten: { type: 'string' },
          clean: { type: 'boolean' },
          'skip-hidden': { type: 'boolean' },
          'skip-empty': { type: 'boolean' },
          desc: { type: 'boolean' },
          offset: { type: 'string' },
          limit: { type: 'string' },
          delimiter: { type: 'string' },
          bom: { type: 'boolean' },
          'skip-header-row': { type: 'boolean' },
          'xml-root': { type: 'string' },
          'xml-row': { type: 'string' },
          'no-escape-formulas': { type: 'boolean' },
        },
        true,
      );
      if (values.help) return { command: 'help', topic: 'export' };
      if (positionals.length !== 1) throw new CliUsageError(`export: give exactly one DATASET (a name or id), got ${positionals.length}`);
      const formats = EXPORT_FORMATS.join(', ');
      const format = values.format as string | undefined;
      if (format === undefined) throw new CliUsageError(`export: --format is required (${formats})`);
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`export: --format must be one of ${formats}, got "${format}"`);
      const output = values.output as string | undefined;
      if (output !== undefined && output.trim() === '') throw new CliUsageError('export: --output must not be empty');
      return { command: 'export', dataset: positionals[0]!, format: format as ExportFormat, output, options: exportOptionsOf(values) };
    }
    default:
      throw new CliUsageError(`unknown command "${command}": use run, storages, export or ui (x-actor --help)`);
  }
}

function listOption(values: Record<string, string | boolean | undefined>, name: string): string[] | undefined {
  const value = values[name];
  if (typeof value !== 'string') return undefined;
  const list = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (list.length === 0) throw new CliUsageError(`export: --${name} needs field names, separated by commas`);
  return list;
}

function countOption(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const value = values[name];
  if (typeof value !== 'string') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new CliUsageError(`export: --${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** The export options given on the command line (only those given). */
function exportOptionsOf(values: Record<string, string | boolean | undefined>): CliExportOptions {
  const options: Record<string, unknown> = {
    fields: listOption(values, 'fields'),
    omit: listOption(values, 'omit'),
    unwind: listOption(values, 'unwind'),
    flatten: listOption(values, 'flatten'),
    clean: values['clean'],
    skipHidden: values['skip-hidden'],
    skipEmpty: values['skip-empty'],
    desc: values['desc'],
    offset: countOption(values, 'offset'),
    limit: countOption(values, 'limit'),
    delimiter: values['delimiter'],
    bom: values['bom'],
    skipHeaderRow: values['skip-header-row'],
    xmlRoot: values['xml-root'],
    xmlRow: values['xml-row'],
    escapeFormulas: values['no-escape-formulas'] === true ? false : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as CliExportOptions;
}
