// The dataset export engine: a dataset's items, read page by page from its storage client, as a
// stream of bytes in any format of the Apify API's dataset items endpoint. The server, the Dataset
// class, the CLI and the cloud client all export through it.
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import escapeHtml from 'escape-html';
import { StorageError } from './errors.js';
import { flattenItem, projectItems, type ItemProjectionOptions } from './export-format.js';
import { isXmlName, loadXmlItemWriter } from './export-xml.js';
import { MAX_XLSX_CELL_LENGTH, xlsxChunks, type XlsxCell } from './export-xlsx.js';
import type { DatasetClient } from './storage-client.js';
import { assertOptionalCount } from './validation.js';

export { MAX_XLSX_CELL_LENGTH, MAX_XLSX_SHEET_ROWS } from './export-xlsx.js';
export { xmlNameOf } from './export-xml.js';

/** The export formats: the `format` values of the Apify API's dataset items endpoint. */
export const DATASET_EXPORT_FORMATS = ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss'] as const;

/** One of {@link DATASET_EXPORT_FORMATS}. */
export type DatasetExportFormat = (typeof DATASET_EXPORT_FORMATS)[number];

/** The content type of each format, as the Apify API answers it. */
export const DATASET_EXPORT_CONTENT_TYPES: Readonly<Record<DatasetExportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xml: 'application/xml; charset=utf-8',
  html: 'text/html; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
};

/** The most columns a CSV, XLSX or HTML export has (the Apify API's limit): 2000. */
export const MAX_EXPORT_COLUMNS = 2000;
/** The longest column name of a CSV, XLSX or HTML export (the Apify API's limit): 200 characters. */
export const MAX_EXPORT_COLUMN_NAME_LENGTH = 200;
/** Items read from the storage client per call, by default. */
export const DEFAULT_EXPORT_PAGE_SIZE = 1000;

/** Where an export stands: positions of the dataset read so far, out of all it reads (every pass). */
export interface DatasetExportProgress {
  /** Dataset positions read so far, over all passes. */
  readonly read: number;
  /** Dataset positions the export reads in all: its `count`, twice for CSV, XLSX and HTML (the columns are found first). */
  readonly toRead: number;
}

/**
 * Options of an export: the parameters of the Apify API's `GET /v2/datasets/{id}/items` (and
 * {@link ItemProjectionOptions}: `fields`, `omit`, `unwind`, `flatten`, `clean`, `skipHidden`,
 * `skipEmpty`).
 */
export interface DatasetExportOptions extends ItemProjectionOptions {
  /** The format; default `json`. */
  readonly format?: DatasetExportFormat | undefined;
  /** Dataset positions to skip (from the end with `desc`); default 0. */
  readonly offset?: number | undefined;
  /** At most this many dataset positions (an unwound item counts once); default all. */
  readonly limit?: number | undefined;
  /** Newest first (the elements of an unwound field keep their order). */
  readonly desc?: boolean | undefined;
  /**
   * Start with the UTF-8 byte order mark (text formats; not XLSX). Default false here; the API's
   * default (on for CSV only) is what `@x/server` applies when the parameter is absent.
   */
  readonly bom?: boolean | undefined;
  /** CSV: the field delimiter, one character (`;`, a tab); default `,`. */
  readonly delimiter?: string | undefined;
  /** CSV: leave out the header row. */
  readonly skipHeaderRow?: boolean | undefined;
  /** XML: the root element's name; default `items`. */
  readonly xmlRoot?: string | undefined;
  /** XML: each item's element name; default `item`. */
  readonly xmlRow?: string | undefined;
  /**
   * CSV, XLSX and HTML: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
   * gets a `'` in front, so a spreadsheet shows it as text and never runs it as a formula (OWASP's
   * advice against CSV injection); header cells too. Default true; numbers are never changed.
   */
  readonly escapeFormulas?: boolean | undefined;
  /** HTML and RSS: the page's and the channel's title; default `Dataset items`. */
  readonly title?: string | undefined;
  /** Items read from the storage client per call; default 1000. */
  readonly pageSize?: number | undefined;
  /** Called after each page read, in every pass (to draw a progress bar). */
  readonly onProgress?: ((progress: DatasetExportProgress) => void) | undefined;
}

/** What an export covers, known before its first byte: the API's pagination headers and the file's type. */
export interface DatasetExportInfo {
  readonly format: DatasetExportFormat;
  /** The content type to serve or store it with. */
  readonly contentType: string;
  /** The file name extension (`csv`, `xlsx`, …). */
  readonly extension: DatasetExportFormat;
  /** Items in the dataset when the export started. */
  readonly total: number;
  readonly offset: number;
  /** The limit asked for; `undefined` for none. */
  readonly limit: number | undefined;
  /** Dataset positions the export covers (`X-Apify-Pagination-Count`: items dropped by `clean` count too, unwound ones once). */
  readonly count: number;
  readonly desc: boolean;
  /** The columns of a CSV, XLSX or HTML export (flattened names, first seen first); `undefined` for the other formats. */
  readonly columns: readonly string[] | undefined;
}

/**
 * A dataset export under way: what it covers ({@link DatasetExportInfo}) and its bytes, read page
 * by page from the storage client as they are consumed. Iterate it (`for await (const chunk of
 * exported)`) or take it as a Node stream ({@link DatasetExport.toReadable}), once.
 */
export class DatasetExport implements DatasetExportInfo, AsyncIterable<Buffer> {
  readonly format: DatasetExportFormat;
  readonly contentType: string;
  readonly extension: DatasetExportFormat;
  readonly total: number;
  readonly offset: number;
  readonly limit: number | undefined;
  readonly count: number;
  readonly desc: boolean;
  readonly columns: readonly string[] | undefined;
  #chunks: AsyncIterable<Buffer> | undefined;

  /** @internal Made by {@link exportDatasetItems}. */
  constructor(info: DatasetExportInfo, chunks: AsyncIterable<Buffer>) {
    this.format = info.format;
    this.contentType = info.contentType;
    this.extension = info.extension;
    this.total = info.total;
    this.offset = info.offset;
    this.limit = info.limit;
    this.count = info.count;
    this.desc = info.desc;
    this.columns = info.columns;
    this.#chunks = chunks;
  }

  /** The export's bytes, chunk by chunk (a page of items or so each); it can be read once. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const chunks = this.#chunks;
    if (!chunks) throw new StorageError('conflict', 'This dataset export was already read; start a new one');
    this.#chunks = undefined;
    return chunks[Symbol.asyncIterator]();
  }

  /** The export as a Node `Readable` of bytes, read from the storage as it is consumed (backpressure holds). */
  toReadable(): Readable {
    return Readable.from(this, { objectMode: false });
  }

  /** The whole export in one Buffer (it is all in memory then: for large datasets, stream it). */
  async toBuffer(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk);
    return Buffer.concat(parts);
  }
}

const TABLE_FORMATS: ReadonlySet<DatasetExportFormat> = new Set(['csv', 'xlsx', 'html']);
const FORMULA_START = /^[=+\-@\t\r]/;
const UTF8_BOM = '\uFEFF';

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

function invalid(message: string): StorageError {
  return new StorageError('invalid-argument', message);
}

/** The options checked and with their defaults. */
interface ExportPlan {
  readonly format: DatasetExportFormat;
  readonly offset: number;
  readonly limit: number | undefined;
  readonly desc: boolean;
  readonly bom: boolean;
  readonly delimiter: string;
  readonly skipHeaderRow: boolean;
  readonly xmlRoot: string;
  readonly xmlRow: string;
  readonly escapeFormulas: boolean;
  readonly title: string;
  readonly pageSize: number;
  readonly projection: ItemProjectionOptions;
}

function planOf(options: DatasetExportOptions): ExportPlan {
  if (typeof options !== 'object' || options === null) throw invalid('Export options must be an object');
  const { format = 'json', offset = 0, limit, delimiter = ',', xmlRoot = 'items', xmlRow = 'item', title = 'Dataset items', pageSize = DEFAULT_EXPORT_PAGE_SIZE } = options;
  if (!(DATASET_EXPORT_FORMATS as readonly unknown[]).includes(format)) {
    throw invalid(`Export format must be one of ${DATASET_EXPORT_FORMATS.join(', ')}; got ${JSON.stringify(format)}`);
  }
  assertOptionalCount(offset, 'offset');
  assertOptionalCount(limit, 'limit');
  if (!Number.isInteger(pageSize) || pageSize < 1) throw invalid('pageSize must be a positive integer');
  if (typeof delimiter !== 'string' || [...delimiter].length !== 1 || /["\r\n]/.test(delimiter)) {
    throw invalid(`delimiter must be one character other than a double quote, CR or LF; got ${JSON.stringify(delimiter)}`);
  }
  for (const [what, name] of [['xmlRoot', xmlRoot], ['xmlRow', xmlRow]] as const) {
    if (typeof name !== 'string' || !isXmlName(name)) throw invalid(`${what} must be an XML element name (letters, digits, "_", "-", "." ; not starting with a digit, "-" or "."); got ${JSON.stringify(name)}`);
  }
  if (typeof title !== 'string') throw invalid('title must be a string');
  for (const what of ['fields', 'omit', 'flatten'] as const) {
    const value = options[what];
    if (value !== undefined && !isStringList(value)) throw invalid(`${what} must be an array of field names`);
  }
  const { unwind } = options;
  if (unwind !== undefined && typeof unwind !== 'string' && !isStringList(unwind)) throw invalid('unwind must be a field name or an array of them');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalid('onProgress must be a function');
  return {
    format,
    offset,
    limit,
    desc: options.desc === true,
    bom: options.bom === true,
    delimiter,
    skipHeaderRow: options.skipHeaderRow === true,
    xmlRoot,
    xmlRow,
    escapeFormulas: options.escapeFormulas !== false,
    title,
    pageSize,
    projection: {
      fields: options.fields,
      omit: options.omit,
      unwind,
      flatten: options.flatten,
      clean: options.clean,
      skipHidden: options.skipHidden,
      skipEmpty: options.skipEmpty,
    },
  };
}

/** A page of raw items and the dataset positions it covers. */
interface RawPage {
  readonly items: Record<string, unknown>[];
  readonly positions: number;
}

/**
 * Reads the positions `[offset, offset + count)` page by page, with a turn of the event loop
 * between pages (a long export does not hold a server's other clients). With `desc`, positions
 * count from the end, so items appended meanwhile would move them: each page is read where the
 * items of the first read now are.
 */
async function* readPages(client: DatasetClient, plan: ExportPlan, range: { readonly count: number; readonly total: number }, first: RawPage | undefined): AsyncGenerator<RawPage> {
  let seenTotal = range.total;
  let shift = 0;
  for (let done = 0; done < range.count; ) {
    const want = Math.min(plan.pageSize, range.count - done);
    let items: Record<string, unknown>[];
    if (done === 0 && first) {
      items = first.items;
    } else {
      await nextTurn();
      for (let attempt = 0; ; attempt++) {
        const page = await client.listItems({ offset: plan.offset + done + shift, limit: want, desc: plan.desc });
        if (plan.desc && page.total !== seenTotal && attempt < 10) {
          shift += page.total - seenTotal;
          seenTotal = page.total;
          continue;
        }
        items = page.items;
        break;
      }
    }
    yield { items, positions: want };
    done += want;
  }
}

function tooManyColumns(): StorageError {
  return invalid(
    `CSV, XLSX and HTML exports are limited to ${MAX_EXPORT_COLUMNS} columns (the Apify API's limit), and these items flatten to more; ` +
      'choose fewer with "fields" or "omit", or export as JSON, JSONL or XML, which have no such limit',
  );
}

function columnNameTooLong(name: string): StorageError {
  return invalid(
    `CSV, XLSX and HTML column names are limited to ${MAX_EXPORT_COLUMN_NAME_LENGTH} characters (the Apify API's limit); ` +
      `the items have a field "${name.slice(0, 60)}…" of ${name.length}; leave it out with "omit" or "fields", or export as JSON, JSONL or XML`,
  );
}

/** A text cell as a spreadsheet should take it: with a `'` in front of what would start a formula. */
function neutralized(text: string, escapeFormulas: boolean): string {
  return escapeFormulas && FORMULA_START.test(text) ? `'${text}` : text;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/** The writer of one format: text chunks or bytes for each page of projected items. */
interface FormatWriter {
  start(): string | Promise<string>;
  page(items: readonly Record<string, unknown>[]): string;
  end(): string;
}

function csvWriter(plan: ExportPlan, columns: readonly string[]): FormatWriter {
  const { delimiter, escapeFormulas } = plan;
  const special = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`, 'u');
  const field = (value: unknown): string => {
    const raw = cellText(value);
    const text = typeof value === 'string' ? neutralized(raw, escapeFormulas) : raw;
    return special.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const line = (cells: readonly unknown[]): string => {
    let out = '';
    for (let i = 0; i < cells.length; i++) out += i === 0 ? field(cells[i]) : delimiter + field(cells[i]);
    return `${out}\r\n`;
  };
  return {
    start: () => (columns.length === 0 || plan.skipHeaderRow ? '' : line(columns)),
    page(items) {
      if (columns.length === 0) return '';
      let out = '';
      for (const item of items) {
        const row = flattenItem(item);
        out += line(columns.map((column) => row.get(column)));
      }
      return out;
    },
    end: () => '',
  };
}

function htmlWriter(plan: ExportPlan, columns: readonly string[]): FormatWriter {
  const cell = (tag: 'td' | 'th', value: unknown): string =>
    `<${tag}>${escapeHtml(typeof value === 'string' ? neutralized(value, plan.escapeFormulas) : cellText(value))}</${tag}>`;
  return {
    start: () =>
      '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n' +
      `<title>${escapeHtml(plan.title)}</title>\n` +
      '<style>table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; white-space: pre-wrap; }</style>\n' +
      '</head>\n<body>\n<table>\n' +
      (columns.length === 0 ? '' : `<thead>\n<tr>${columns.map((column) => cell('th', column)).join('')}</tr>\n</thead>\n`) +
      '<tbody>\n',
    page(items) {
      let out = '';
      for (const item of items) {
        const row = flattenItem(item);
        out += `<tr>${columns.map((column) => cell('td', row.get(column))).join('')}</tr>\n`;
      }
      return out;
    },
    end: () => '</tbody>\n</table>\n</body>\n</html>\n',
  };
}

function jsonWriter(): FormatWriter {
  let first = true;
  return {
    start: () => '[',
    page(items) {
      let out = '';
      for (const item of items) {
        out += `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
        first = false;
      }
      return out;
    },
    end: () => (first ? ']\n' : '\n]\n'),
  };
}

function jsonlWriter(): FormatWriter {
  return {
    start: () => '',
    page(items) {
      let out = '';
      for (const item of items) out += `${JSON.stringify(item)}\n`;
      return out;
    },
    end: () => '',
  };
}

async function xmlWriter(plan: ExportPlan): Promise<FormatWriter> {
  const writer = await loadXmlItemWriter();
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (plan.format === 'rss') {
    return {
      start: () => `${declaration}<rss version="2.0">\n  <channel>\n${writer.channelHeader(plan.title, plan.title, 2)}\n`,
      page: (items) => items.map((item) => `${writer.item(item, 'item', 2)}\n`).join(''),
      end: () => '  </channel>\n</rss>\n',
    };
  }
  // The names were checked to be XML names: they need no escaping.
  return {
    start: () => `${declaration}<${plan.xmlRoot}>\n`,
    page: (items) => items.map((item) => `${writer.item(item, plan.xmlRow, 1)}\n`).join(''),
    end: () => `</${plan.xmlRoot}>\n`,
  };
}

/** A cell of the spreadsheet: numbers and booleans as they are, text neutralized and cut to Excel's limit. */
function xlsxCell(value: unknown, escapeFormulas: boolean): XlsxCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = neutralized(String(value), escapeFormulas);
  return text.length > MAX_XLSX_CELL_LENGTH ? text.slice(0, MAX_XLSX_CELL_LENGTH) : text;
}

/**
 * Exports the items of a dataset (through its storage client) in any format of the Apify API,
 * with its options (see {@link DatasetExportOptions}). Bad options are an `invalid-argument`
 * error at once, and so are items that flatten to more columns than a CSV, XLSX or HTML export
 * holds: both before the first byte. The promise resolves once the first page is read (for CSV,
 * XLSX and HTML, once every item was read to find the columns: at most 2000 names are kept); the
 * items are then read again page by page as the export is consumed, so a dataset of any size
 * exports in bounded memory.
 *
 * ```ts
 * const exported = await exportDatasetItems(client, { format: 'csv', fields: ['url', 'title'] });
 * exported.toReadable().pipe(createWriteStream('items.csv'));
 * ```
 */
export async function exportDatasetItems(client: DatasetClient, options: DatasetExportOptions = {}): Promise<DatasetExport> {
  const plan = planOf(options);
  const onProgress = options.onProgress;
  const firstLimit = Math.min(plan.pageSize, plan.limit ?? Number.MAX_SAFE_INTEGER);
  const firstRead = await client.listItems({ offset: plan.offset, limit: firstLimit, desc: plan.desc });
  const total = firstRead.total;
  const count = Math.max(0, Math.min(plan.limit ?? Number.MAX_SAFE_INTEGER, total - plan.offset));
  const range = { count, total };
  const first: RawPage = { items: firstRead.items, positions: Math.min(firstLimit, count) };
  const table = TABLE_FORMATS.has(plan.format);
  const toRead = table ? count * 2 : count;
  let read = 0;
  const progressed = (positions: number): void => {
    read += positions;
    onProgress?.({ read, toRead });
  };

  let columns: string[] | undefined;
  /** The first page, projected, when it is the whole export (it is not read twice then). */
  let onlyPage: Record<string, unknown>[] | undefined;
  if (table) {
    const seen = new Set<string>();
    for await (const page of readPages(client, plan, range, first)) {
      const items = projectItems(page.items, plan.projection);
      if (count <= plan.pageSize) onlyPage = items;
      for (const item of items) {
        for (const key of flattenItem(item).keys()) {
          if (seen.has(key)) continue;
          if (key.length > MAX_EXPORT_COLUMN_NAME_LENGTH) throw columnNameTooLong(key);
          seen.add(key);
          if (seen.size > MAX_EXPORT_COLUMNS) throw tooManyColumns();
        }
      }
      progressed(page.positions);
    }
    columns = [...seen];
  }

  const info: DatasetExportInfo = {
    format: plan.format,
    contentType: DATASET_EXPORT_CONTENT_TYPES[plan.format],
    extension: plan.format,
    total,
    offset: plan.offset,
    limit: plan.limit,
    count,
    desc: plan.desc,
    columns,
  };

  async function* projectedPages(): AsyncGenerator<Record<string, unknown>[]> {
    if (onlyPage) {
      yield onlyPage;
      progressed(count);
      return;
    }
    for await (const page of readPages(client, plan, range, table ? undefined : first)) {
      yield projectItems(page.items, plan.projection);
      progressed(page.positions);
    }
  }

  if (plan.format === 'xlsx') {
    const header = columns!.length === 0 ? undefined : columns!.map((column) => xlsxCell(column, plan.escapeFormulas));
    const rows = async function* (): AsyncGenerator<XlsxCell[][]> {
      for await (const items of projectedPages()) {
        yield items.map((item) => {
          const row = flattenItem(item);
          return columns!.map((column) => xlsxCell(row.get(column), plan.escapeFormulas));
        });
      }
    };
    return new DatasetExport(info, xlsxChunks(header, rows()));
  }

  const writer =
    plan.format === 'csv'
      ? csvWriter(plan, columns!)
      : plan.format === 'html'
        ? htmlWriter(plan, columns!)
        : plan.format === 'jsonl'
          ? jsonlWriter()
          : plan.format === 'json'
            ? jsonWriter()
            : await xmlWriter(plan);
  async function* text(): AsyncGenerator<Buffer> {
    const start = (plan.bom ? UTF8_BOM : '') + (await writer.start());
    if (start !== '') yield Buffer.from(start, 'utf8');
    for await (const items of projectedPages()) {
      const chunk = writer.page(items);
      if (chunk !== '') yield Buffer.from(chunk, 'utf8');
    }
    const end = writer.end();
    if (end !== '') yield Buffer.from(end, 'utf8');
  }
  return new DatasetExport(info, text());
}

/** True when `format` is one of {@link DATASET_EXPORT_FORMATS}. */
export function isDatasetExportFormat(format: unknown): format is DatasetExportFormat {
  return (DATASET_EXPORT_FORMATS as readonly unknown[]).includes(format);
}
