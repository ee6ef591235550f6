// Reads exports back with parsers no one here wrote: csv-parse, exceljs, fast-xml-parser and
// parse5 (the WHATWG HTML parser). Shared by the export tests of the packages (server, actor,
// cloud client) through a relative import, so every package checks its exports the same way.
import { parse as parseCsvText } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseHtml } from 'parse5';

/** The rows of a CSV text (RFC 4180, a leading byte order mark dropped), every cell a string. */
export function readCsv(text: string | Buffer, delimiter = ','): string[][] {
  return parseCsvText(typeof text === 'string' ? text : text.toString('utf8'), { delimiter, bom: true, relax_quotes: false, relax_column_count: false }) as string[][];
}

/** A worksheet read back: its name, rows of cell values (1st column first), and how many cells hold a formula. */
export interface SheetRead {
  readonly name: string;
  readonly rows: unknown[][];
  readonly formulas: number;
}

/** The worksheets of an XLSX file, read with exceljs. */
export async function readXlsx(bytes: Buffer): Promise<SheetRead[]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheets: SheetRead[] = [];
  workbook.eachSheet((sheet) => {
    const rows: unknown[][] = [];
    let formulas = 0;
    // Read once: exceljs counts the columns over every row each time it is asked.
    const columnCount = sheet.columnCount;
    sheet.eachRow({ includeEmpty: true }, (row) => {
      const cells: unknown[] = [];
      for (let column = 1; column <= columnCount; column++) {
        const cell = row.getCell(column);
        if (cell.type === ExcelJS.ValueType.Formula) formulas++;
        cells.push(cell.value ?? null);
      }
      rows.push(cells);
    });
    sheets.push({ name: sheet.name, rows, formulas });
  });
  return sheets;
}

/** An XML document parsed with fast-xml-parser: every text a string, attributes as `@_name`, repeated elements in arrays. */
export function readXml(text: string | Buffer, arrays: readonly string[] = []): Record<string, unknown> {
  const xml = typeof text === 'string' ? text : text.toString('utf8');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`Not well-formed XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
    htmlEntities: false,
    ignoreDeclaration: true,
    isArray: (name) => arrays.includes(name),
  });
  return parser.parse(xml) as Record<string, unknown>;
}

interface HtmlNode {
  readonly nodeName: string;
  readonly tagName?: string;
  readonly value?: string;
  readonly childNodes?: HtmlNode[];
  readonly content?: HtmlNode;
}

function textOf(node: HtmlNode): string {
  if (node.nodeName === '#text') return node.value ?? '';
  return (node.childNodes ?? []).map(textOf).join('');
}

function walk(node: HtmlNode, visit: (node: HtmlNode) => void): void {
  visit(node);
  for (const child of node.childNodes ?? []) walk(child, visit);
  if (node.content) walk(node.content, visit);
}

/** The first table of an HTML document parsed as a browser does (parse5): header cells, rows of cell texts, and every element name in the document. */
export function readHtmlTable(text: string | Buffer): { headers: string[]; rows: string[][]; elements: Set<string>; title: string } {
  const document = parseHtml(typeof text === 'string' ? text : text.toString('utf8')) as unknown as HtmlNode;
  const elements = new Set<string>();
  const headers: string[] = [];
  const rows: string[][] = [];
  let title = '';
  walk(document, (node) => {
    if (!node.tagName) return;
    elements.add(node.tagName);
    if (node.tagName === 'title') title = textOf(node);
    if (node.tagName !== 'tr') return;
    const cells = (node.childNodes ?? []).filter((child) => child.tagName === 'td' || child.tagName === 'th');
    if (cells.length > 0 && cells.every((cell) => cell.tagName === 'th')) headers.push(...cells.map(textOf));
    else rows.push(cells.map(textOf));
  });
  return { headers, rows, elements, title };
}
