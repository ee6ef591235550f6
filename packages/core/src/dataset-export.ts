// The dataset export engine: a dataset's items, read page by page from its storage client, as a
// stream of bytes in any format of the Apify API's dataset items endpoint. The server, the Dataset
// class, the CLI and the cloud client all export through it.
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import escapeHtml from 'escape-html';
import { StorageError } from './errors.js';
import { projectItems, type ItemProjectionOptions } from './export-format.js';
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
/**
 * Rows of a CSV, XLSX or HTML export kept from the pass that finds the columns, at most (their
 * estimated size, 24 MiB): the pages they cover are not read again. A dataset past it is read twice
 * (the rest of it), so memory stays bounded for any size.
 */
export const MAX_KEPT_ROWS_BYTES = 24 * 1024 * 1024;

let keptRowsBudget = MAX_KEPT_ROWS_BYTES;

/** @internal For tests: the bytes of rows kept from the column pass (`undefined`: back to {@link MAX_KEPT_ROWS_BYTES}). */
export function setKeptRowsBudget(bytes: number | undefined): void {
  keptRowsBudget = bytes ?? MAX_KEPT_ROWS_BYTES;
}

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

/** A page read from the storage client and the dataset positions it covers. */
interface RawPage<T> {
  readonly items: readonly T[];
  readonly positions: number;
}

/** One read of the storage client: parsed items, or their JSON texts. */
type PageReader<T> = (options: { offset: number; limit: number; desc: boolean }) => Promise<{ readonly items: readonly T[]; readonly total: number }>;

/**
 * Reads the positions `[offset, offset + count)` page by page, with a turn of the event loop
 * between pages (a long export does not hold a server's other clients). With `desc`, positions
 * count from the end, so items appended meanwhile would move them: each page is read where the
 * items of the first read now are.
 */
async function* readPages<T>(read: PageReader<T>, plan: ExportPlan, range: { readonly count: number; readonly total: number }, first: RawPage<T> | undefined): AsyncGenerator<RawPage<T>> {
  let seenTotal = range.total;
  let shift = 0;
  for (let done = 0; done < range.count; ) {
    const want = Math.min(plan.pageSize, range.count - done);
    let items: readonly T[];
    if (done === 0 && first) {
      items = first.items;
    } else {
      await nextTurn();
      for (let attempt = 0; ; attempt++) {
        const page = await read({ offset: plan.offset + done + shift, limit: want, desc: plan.desc });
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

/** A node of the tree of field paths: its children by key, and its column when it is a leaf. */
interface PathNode {
  children: Map<string, PathNode> | undefined;
  /** The column of this path, -1 while no item had a value here. */
  column: number;
  /** The column name: the path joined with `/`. */
  readonly name: string;
}

function isNested(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

/**
 * The columns of a table export, found over every item: the flattened field paths (`a/b`,
 * `tags/0`, as {@link flattenItem} names them) in first-seen order, kept as a tree so that a row
 * is filled by one walk of its item, without building a name per value.
 */
class TableColumns {
  readonly names: string[] = [];
  readonly #root: PathNode = { children: undefined, column: -1, name: '' };
  readonly #byName = new Map<string, number>();

  #child(node: PathNode, key: string): PathNode {
    let children = node.children;
    if (!children) children = node.children = new Map();
    let child = children.get(key);
    if (!child) {
      child = { children: undefined, column: -1, name: node === this.#root ? key : `${node.name}/${key}` };
      children.set(key, child);
    }
    return child;
  }

  #columnOf(node: PathNode): void {
    const known = this.#byName.get(node.name);
    if (known !== undefined) {
      node.column = known;
      return;
    }
    if (node.name.length > MAX_EXPORT_COLUMN_NAME_LENGTH) throw columnNameTooLong(node.name);
    if (this.names.length === MAX_EXPORT_COLUMNS) throw tooManyColumns();
    node.column = this.names.length;
    this.#byName.set(node.name, node.column);
    this.names.push(node.name);
  }

  #addValue(node: PathNode, value: unknown): void {
    if (!isNested(value)) {
      if (node.column === -1) this.#columnOf(node);
      return;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) this.#addValue(this.#child(node, String(index)), value[index]);
    } else {
      for (const key of Object.keys(value)) this.#addValue(this.#child(node, key), value[key]);
    }
  }

  /** Adds the columns of an item; throws when they pass the limits. */
  add(item: Record<string, unknown>): void {
    for (const key of Object.keys(item)) this.#addValue(this.#child(this.#root, key), item[key]);
  }

  #take(node: PathNode, value: unknown, row: unknown[]): void {
    if (!isNested(value)) {
      if (node.column === -1) this.#columnOf(node);
      row[node.column] = value;
      return;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) this.#take(this.#child(node, String(index)), value[index], row);
    } else {
      for (const key of Object.keys(value)) this.#take(this.#child(node, key), value[key], row);
    }
  }

  /** Adds the columns of an item and gives its cells (by column; columns found later are missing at the end). */
  take(item: Record<string, unknown>): unknown[] {
    const row: unknown[] = [];
    for (const key of Object.keys(item)) this.#take(this.#child(this.#root, key), item[key], row);
    return row;
  }

  #fill(node: PathNode | undefined, value: unknown, row: unknown[]): void {
    if (!node) return;
    if (!isNested(value)) {
      if (node.column !== -1) row[node.column] = value;
      return;
    }
    const children = node.children;
    if (!children) return;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) this.#fill(children.get(String(index)), value[index], row);
    } else {
      for (const key of Object.keys(value)) this.#fill(children.get(key), value[key], row);
    }
  }

  /** The cells of an item, one per column (`undefined` where it has no value). */
  row(item: Record<string, unknown>): unknown[] {
    const row = new Array<unknown>(this.names.length);
    this.#fill(this.#root, item, row);
    return row;
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

/** True when a spreadsheet would take `text` for a formula: it starts with `=`, `+`, `-`, `@`, a tab or a CR. */
function startsFormula(text: string): boolean {
  switch (text.charCodeAt(0)) {
    case 0x3d:
    case 0x2b:
    case 0x2d:
    case 0x40:
    case 0x09:
    case 0x0d:
      return true;
    default:
      return false;
  }
}

/** A text cell as a spreadsheet should take it: with a `'` in front of what would start a formula. */
function neutralized(text: string, escapeFormulas: boolean): string {
  return escapeFormulas && startsFormula(text) ? `'${text}` : text;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/** The writer of JSON, JSONL, XML or RSS: text for each page of projected items. */
interface FormatWriter {
  start(): string | Promise<string>;
  page(items: readonly Record<string, unknown>[]): string;
  end(): string;
}

/** About how many bytes rows of cells take in memory. */
function estimatedBytes(rows: readonly unknown[][]): number {
  let bytes = 0;
  for (const row of rows) {
    bytes += 32 + 8 * row.length;
    for (const cell of row) if (typeof cell === 'string') bytes += 16 + 2 * cell.length;
  }
  return bytes;
}

/**
 * How a CSV or HTML table is written: the cells of a row (its first `width` columns), what goes
 * around them, and the empty cells of the columns a row lacks at the end. Rows of the column pass
 * are kept as text before the last columns are known, and padded when written.
 */
interface TableRenderer {
  start(names: readonly string[]): string;
  cells(row: readonly unknown[], width: number): string;
  readonly rowStart: string;
  readonly rowEnd: string;
  pad(width: number, count: number): string;
  end(): string;
}

function csvRenderer(plan: ExportPlan): TableRenderer {
  const { delimiter, escapeFormulas } = plan;
  const special = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`, 'u');
  const field = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'string') return String(value);
    const text = neutralized(value, escapeFormulas);
    return special.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const cells = (row: readonly unknown[], width: number): string => {
    const fields = new Array<string>(width);
    for (let i = 0; i < width; i++) fields[i] = field(row[i]);
    return fields.join(delimiter);
  };
  return {
    start: (names) => (names.length === 0 || plan.skipHeaderRow ? '' : `${cells(names, names.length)}\r\n`),
    cells,
    rowStart: '',
    rowEnd: '\r\n',
    pad: (width, count) => (width < count ? delimiter.repeat(count - Math.max(width, 1)) : ''),
    end: () => '',
  };
}

function htmlRenderer(plan: ExportPlan): TableRenderer {
  const cell = (tag: 'td' | 'th', value: unknown): string =>
    `<${tag}>${escapeHtml(typeof value === 'string' ? neutralized(value, plan.escapeFormulas) : cellText(value))}</${tag}>`;
  return {
    start: (names) =>
      '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n' +
      `<title>${escapeHtml(plan.title)}</title>\n` +
      '<style>table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; white-space: pre-wrap; }</style>\n' +
      '</head>\n<body>\n<table>\n' +
      (names.length === 0 ? '' : `<thead>\n<tr>${names.map((name) => cell('th', name)).join('')}</tr>\n</thead>\n`) +
      '<tbody>\n',
    cells(row, width) {
      let out = '';
      for (let i = 0; i < width; i++) out += cell('td', row[i]);
      return out;
    },
    rowStart: '<tr>',
    rowEnd: '</tr>\n',
    pad: (width, count) => '<td></td>'.repeat(count - width),
    end: () => '</tbody>\n</table>\n</body>\n</html>\n',
  };
}

/**
 * A page of table rows kept as UTF-8 bytes: each row's start and cells, then its end (`cellEnds`
 * tells where each row's cells end), and how many columns each row has.
 */
interface KeptTextPage {
  readonly bytes: Buffer;
  readonly cellEnds: Uint32Array;
  readonly widths: Uint16Array;
  readonly positions: number;
}

function keepAsText(renderer: TableRenderer, rows: readonly unknown[][], positions: number): KeptTextPage {
  const cellEnds = new Uint32Array(rows.length);
  const widths = new Uint16Array(rows.length);
  const writer = new Utf8Writer(rows.length * 256);
  const { rowStart, rowEnd } = renderer;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (rowStart !== '') writer.append(rowStart);
    writer.append(renderer.cells(row, row.length));
    cellEnds[i] = writer.offset;
    widths[i] = row.length;
    writer.append(rowEnd);
  }
  return { bytes: writer.take(), cellEnds, widths, positions };
}

/** A kept page as it is written once the columns are known: as it is when every row has them all. */
function keptPageBytes(renderer: TableRenderer, page: KeptTextPage, count: number): Buffer | undefined {
  if (count === 0 || page.widths.length === 0) return undefined;
  if (page.widths.every((width) => width === count)) return page.bytes;
  const writer = new Utf8Writer(page.bytes.length + page.widths.length * count * 9);
  const rowEndBytes = Buffer.byteLength(renderer.rowEnd);
  let start = 0;
  for (let i = 0; i < page.widths.length; i++) {
    const cellEnd = page.cellEnds[i]!;
    writer.appendBytes(page.bytes.subarray(start, cellEnd));
    writer.append(renderer.pad(page.widths[i]!, count));
    writer.append(renderer.rowEnd);
    start = cellEnd + rowEndBytes;
  }
  return writer.take();
}

/** Rows with a cell per column, as the bytes of their lines. */
function rowsToBytes(renderer: TableRenderer, rows: readonly unknown[][], width: number): Buffer {
  const writer = new Utf8Writer(rows.length * 256);
  for (const row of rows) {
    if (renderer.rowStart !== '') writer.append(renderer.rowStart);
    writer.append(renderer.cells(row, width));
    writer.append(renderer.rowEnd);
  }
  return writer.take();
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

/**
 * Writes text as UTF-8 straight into a Buffer, outside the JavaScript heap: a page of an export as
 * one joined string would be megabytes of heap for the garbage collector to copy and walk.
 */
class Utf8Writer {
  #buffer: Buffer;
  #offset = 0;

  constructor(expectedChars: number) {
    this.#buffer = Buffer.allocUnsafe(Math.ceil(expectedChars * 1.1) + 64);
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.#offset;
  }

  #grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#offset + needed));
    this.#buffer.copy(grown, 0, 0, this.#offset);
    this.#buffer = grown;
  }

  append(text: string): void {
    for (;;) {
      if (this.#buffer.length - this.#offset >= text.length * 3) {
        this.#offset += this.#buffer.write(text, this.#offset);
        return;
      }
      // Near the end of the buffer the text may not fit (a write stops at the last whole character).
      const written = this.#buffer.write(text, this.#offset);
      if (written === Buffer.byteLength(text)) {
        this.#offset += written;
        return;
      }
      this.#grow(text.length * 3);
    }
  }

  appendBytes(bytes: Uint8Array): void {
    if (this.#buffer.length - this.#offset < bytes.length) this.#grow(bytes.length);
    this.#buffer.set(bytes, this.#offset);
    this.#offset += bytes.length;
  }

  /** What was written (a view of the buffer: the writer is done with it). */
  take(): Buffer {
    return this.#buffer.subarray(0, this.#offset);
  }
}

/** Texts joined as UTF-8 bytes, between `before` and `after`. */
function textsToBuffer(texts: readonly string[], before: string, separator: string, after: string): Buffer {
  let length = before.length + after.length + separator.length * texts.length;
  for (const text of texts) length += text.length;
  const writer = new Utf8Writer(length);
  writer.append(before);
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) writer.append(separator);
    writer.append(texts[i]!);
  }
  writer.append(after);
  return writer.take();
}

/** JSON and JSONL straight from the stored texts, where nothing shapes the items: the same bytes as parsing and serializing them. */
function textWriter(format: 'json' | 'jsonl'): { start(): string; page(texts: readonly string[]): Buffer | undefined; end(): string } {
  if (format === 'jsonl') {
    return {
      start: () => '',
      page: (texts) => (texts.length === 0 ? undefined : textsToBuffer(texts, '', '\n', '\n')),
      end: () => '',
    };
  }
  let first = true;
  return {
    start: () => '[',
    page(texts) {
      if (texts.length === 0) return undefined;
      const out = textsToBuffer(texts, first ? '\n' : ',\n', ',\n', '');
      first = false;
      return out;
    },
    end: () => (first ? ']\n' : '\n]\n'),
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
  const table = TABLE_FORMATS.has(plan.format);
  const { fields, omit, unwind, flatten, clean, skipHidden, skipEmpty } = plan.projection;
  const shapes = fields !== undefined || omit !== undefined || unwind !== undefined || (flatten !== undefined && flatten.length > 0) || clean === true || skipHidden === true || skipEmpty === true;
  // JSON and JSONL of unshaped items come straight from the stored texts, where the client has them.
  const listTexts = (plan.format === 'json' || plan.format === 'jsonl') && !shapes && client.listItemTexts ? client.listItemTexts.bind(client) : undefined;
  const listItems: PageReader<Record<string, unknown>> = (read) => client.listItems(read);

  const firstLimit = Math.min(plan.pageSize, plan.limit ?? Number.MAX_SAFE_INTEGER);
  const firstRead = await (listTexts ?? listItems)({ offset: plan.offset, limit: firstLimit, desc: plan.desc });
  const total = firstRead.total;
  const count = Math.max(0, Math.min(plan.limit ?? Number.MAX_SAFE_INTEGER, total - plan.offset));
  const range = { count, total };
  const toRead = table ? count * 2 : count;
  let read = 0;
  const progressed = (positions: number): void => {
    read += positions;
    onProgress?.({ read, toRead });
  };

  let columns: TableColumns | undefined;
  const renderer = plan.format === 'csv' ? csvRenderer(plan) : plan.format === 'html' ? htmlRenderer(plan) : undefined;
  /**
   * The first pages kept from the column pass (up to {@link MAX_KEPT_ROWS_BYTES}), so they are not
   * read again: CSV and HTML rows as their cells' text and width, XLSX rows as cells.
   */
  const kept: { rows?: unknown[][]; page?: KeptTextPage; positions: number }[] = [];
  let keptPositions = 0;
  if (table) {
    columns = new TableColumns();
    const first = { items: firstRead.items as Record<string, unknown>[], positions: Math.min(firstLimit, count) };
    let keptBytes = 0;
    let keeping = true;
    for await (const page of readPages(listItems, plan, range, first)) {
      const items = projectItems(page.items as Record<string, unknown>[], plan.projection);
      if (keeping) {
        const rows = items.map((item) => columns!.take(item));
        let entry: (typeof kept)[number];
        if (renderer) {
          const textPage = keepAsText(renderer, rows, page.positions);
          entry = { page: textPage, positions: page.positions };
          keptBytes += textPage.bytes.buffer.byteLength + 6 * rows.length;
        } else {
          entry = { rows, positions: page.positions };
          keptBytes += estimatedBytes(rows);
        }
        if (keptBytes <= keptRowsBudget) {
          kept.push(entry);
          keptPositions += page.positions;
        } else {
          keeping = false;
        }
      } else {
        for (const item of items) columns.add(item);
      }
      progressed(page.positions);
    }
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
    columns: columns ? [...columns.names] : undefined,
  };
  const bom = plan.bom ? UTF8_BOM : '';

  if (listTexts) {
    const writer = textWriter(plan.format as 'json' | 'jsonl');
    const first = { items: firstRead.items as readonly string[], positions: Math.min(firstLimit, count) };
    const texts = async function* (): AsyncGenerator<Buffer> {
      const start = bom + writer.start();
      if (start !== '') yield Buffer.from(start, 'utf8');
      for await (const page of readPages(listTexts, plan, range, first)) {
        const chunk = writer.page(page.items);
        progressed(page.positions);
        if (chunk) yield chunk;
      }
      const end = writer.end();
      if (end !== '') yield Buffer.from(end, 'utf8');
    };
    return new DatasetExport(info, texts());
  }

  async function* projectedPages(): AsyncGenerator<Record<string, unknown>[]> {
    const first = { items: firstRead.items as Record<string, unknown>[], positions: Math.min(firstLimit, count) };
    for await (const page of readPages(listItems, plan, range, first)) {
      yield projectItems(page.items as Record<string, unknown>[], plan.projection);
      progressed(page.positions);
    }
  }

  /** The rows of a table export not kept from the column pass, read again (each with a cell per column). */
  async function* rowsReadAgain(): AsyncGenerator<unknown[][]> {
    // The rest starts keptPositions further on (from the end with desc).
    const restPlan = { ...plan, offset: plan.offset + keptPositions };
    const restRange = { count: count - keptPositions, total };
    for await (const page of readPages(listItems, restPlan, restRange, undefined)) {
      yield projectItems(page.items as Record<string, unknown>[], plan.projection).map((item) => columns!.row(item));
      progressed(page.positions);
    }
  }

  /** The rows of an XLSX export: those kept from the column pass, then the rest. */
  async function* tableRows(): AsyncGenerator<unknown[][]> {
    for (let page = 0; page < kept.length; page++) {
      const { rows = [], positions } = kept[page]!;
      kept[page] = { positions };
      yield rows;
      progressed(positions);
    }
    yield* rowsReadAgain();
  }

  if (renderer) {
    const names = columns!.names;
    const width = names.length;
    const tableText = async function* (): AsyncGenerator<Buffer> {
      const start = bom + renderer.start(names);
      if (start !== '') yield Buffer.from(start, 'utf8');
      for (let index = 0; index < kept.length; index++) {
        const { page, positions } = kept[index]!;
        kept[index] = { positions };
        const chunk = page ? keptPageBytes(renderer, page, width) : undefined;
        progressed(positions);
        if (chunk) yield chunk;
      }
      for await (const rows of rowsReadAgain()) {
        if (width === 0 || rows.length === 0) continue;
        yield rowsToBytes(renderer, rows, width);
      }
      const end = renderer.end();
      if (end !== '') yield Buffer.from(end, 'utf8');
    };
    return new DatasetExport(info, tableText());
  }

  if (plan.format === 'xlsx') {
    const header = columns!.names.length === 0 ? undefined : columns!.names.map((name) => xlsxCell(name, plan.escapeFormulas));
    const width = columns!.names.length;
    const rows = async function* (): AsyncGenerator<XlsxCell[][]> {
      for await (const page of tableRows()) {
        yield page.map((row) => {
          const cells = new Array<XlsxCell>(width);
          for (let i = 0; i < width; i++) cells[i] = xlsxCell(row[i], plan.escapeFormulas);
          return cells;
        });
      }
    };
    return new DatasetExport(info, xlsxChunks(header, rows()));
  }

  const writer = plan.format === 'jsonl' ? jsonlWriter() : plan.format === 'json' ? jsonWriter() : await xmlWriter(plan);
  async function* text(): AsyncGenerator<Buffer> {
    const start = bom + (await writer.start());
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
