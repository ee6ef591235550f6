// The XLSX writer of the dataset export: exceljs's streaming workbook writer, loaded on the first
// XLSX export only (it takes about 200 ms to load, which loading @x/core does not pay).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';

/** Rows of one worksheet of Excel (1,048,576), the header row included: more rows go on to the next sheet. */
export const MAX_XLSX_SHEET_ROWS = 1_048_576;
/** The longest text of one cell Excel opens (32,767 characters): longer texts are cut there. */
export const MAX_XLSX_CELL_LENGTH = 32_767;

/** Uncompressed sheet data waiting for the zip compressor above which writing waits (1 MiB). */
const MAX_PENDING_BYTES = 1024 * 1024;

/** One cell as exceljs takes it. */
export type XlsxCell = string | number | boolean | null;

/** The length of what waits in a Node or readable-stream writable, when it can be told. */
function pendingBytes(stream: unknown): number {
  if (typeof stream !== 'object' || stream === null) return 0;
  const writable = stream as { writableLength?: unknown; _writableState?: { length?: unknown } };
  if (typeof writable.writableLength === 'number') return writable.writableLength;
  const length = writable._writableState?.length;
  return typeof length === 'number' ? length : 0;
}

/**
 * Writes a workbook of one sheet (`Items`; `Items 2`, … past Excel's row limit, each with the
 * header row) from pages of rows, and gives the bytes of the file as they are made. The rows are
 * written as they come, and writing waits while the compressor is behind, so memory stays bounded
 * however many rows there are. Strings are string cells (never formulas), cut at
 * {@link MAX_XLSX_CELL_LENGTH} characters. `sheetRows` is the rows of a sheet (tests make it small).
 */
export async function* xlsxChunks(
  header: readonly XlsxCell[] | undefined,
  pages: AsyncIterable<XlsxCell[][]>,
  sheetRows = MAX_XLSX_SHEET_ROWS,
): AsyncGenerator<Buffer, void, undefined> {
  // exceljs is CommonJS: Node gives its exports as `default` (its typings declare them as named ones).
  const loaded = await import('exceljs');
  const ExcelJS = (loaded as { default?: typeof loaded }).default ?? loaded;
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  let stopped = false;
  let wakeStopped: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => (wakeStopped = resolve));

  const produce = async (): Promise<void> => {
    let sheetNumber = 1;
    let sheet = workbook.addWorksheet('Items');
    let rowsInSheet = 0;
    const addRow = (cells: readonly XlsxCell[]): void => {
      sheet.addRow(cells as XlsxCell[]).commit();
      rowsInSheet++;
    };
    if (header) addRow(header);
    for await (const rows of pages) {
      if (stopped) return;
      for (const row of rows) {
        if (rowsInSheet === sheetRows) {
          sheet.commit();
          sheetNumber++;
          sheet = workbook.addWorksheet(`Items ${sheetNumber}`);
          rowsInSheet = 0;
          if (header) addRow(header);
        }
        addRow(row);
      }
      // exceljs writes the sheet's XML into the zip entry without waiting: wait here while the
      // compressor is behind (the entry stream is exceljs's own; without it, no wait).
      const entry = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0];
      while (!stopped && pendingBytes(entry) > MAX_PENDING_BYTES) {
        await Promise.race([once(entry as NodeJS.EventEmitter, 'drain'), stop]);
      }
    }
    if (stopped) return;
    sheet.commit();
    await workbook.commit();
  };

  const producing = produce().catch((error: unknown) => {
    out.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    for await (const chunk of out) yield chunk as Buffer;
    await producing;
  } finally {
    // The reader stopped early (or a page failed): stop writing and let the workbook go.
    stopped = true;
    wakeStopped();
    if (!out.destroyed) out.destroy();
  }
}
