/** Flattens nested objects and arrays into `a/b` and `a/0` keys, as the Apify API does for CSV. */
export function flattenItem(item: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, child] of entries) walk(child, path ? `${path}/${key}` : key);
      return;
    }
    out.set(path, value);
  };
  for (const [key, value] of Object.entries(item)) walk(value, key);
  return out;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (RFC 4180 quoting, CRLF end): for writers that stream rows, as the CLI's export. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * Writes items as CSV (RFC 4180, CRLF line ends): the header is the union of the flattened keys
 * in first-seen order; nested values are flattened as `address/city` and `tags/0`.
 */
export function itemsToCsv(items: readonly Record<string, unknown>[]): string {
  const rows = items.map(flattenItem);
  const columns = new Set<string>();
  for (const row of rows) for (const key of row.keys()) columns.add(key);
  if (columns.size === 0) return '';
  const header = [...columns];
  let csv = csvLine(header);
  for (const row of rows) csv += csvLine(header.map((column) => row.get(column)));
  return csv;
}

/** Writes items as a pretty JSON array. */
export function itemsToJson(items: readonly Record<string, unknown>[]): string {
  return JSON.stringify(items, null, 2);
}

/** The options of a dataset read that shape its items (see {@link projectItems}). */
export interface ItemProjectionOptions {
  /** Keep only these top-level fields, in this order. */
  readonly fields?: readonly string[] | undefined;
  /** Leave out these top-level fields. */
  readonly omit?: readonly string[] | undefined;
  /** Both `skipHidden` and `skipEmpty`. */
  readonly clean?: boolean | undefined;
  /** Leave out fields starting with `#`. */
  readonly skipHidden?: boolean | undefined;
  /** Leave out items that are empty (after the other options). */
  readonly skipEmpty?: boolean | undefined;
  /**
   * Unwind this field, or these fields one after the other, as the Apify API does: an array makes
   * one item per element, each element merged into the item (an element that is not an object
   * replaces the field); an object is merged into the item; a missing field or any other value
   * leaves the item as it is. The elements keep their order with `desc` too.
   */
  readonly unwind?: string | readonly string[] | undefined;
  /**
   * Flatten these fields, as the Apify API does: a nested object or array in one of them becomes
   * top-level fields named by their path with dots, in its place (`{ foo: { bar: 1 } }` →
   * `{ 'foo.bar': 1 }`, `{ tags: ['a'] }` → `{ 'tags.0': 'a' }`); empty objects and arrays and
   * other values stay as they are.
   */
  readonly flatten?: readonly string[] | undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unwindItem(item: Record<string, unknown>, field: string): Record<string, unknown>[] {
  const value = item[field];
  if (Array.isArray(value)) {
    const { [field]: _unwound, ...rest } = item;
    return value.map((element) => (isPlainRecord(element) ? { ...rest, ...element } : { ...rest, [field]: element }));
  }
  if (isPlainRecord(value)) {
    const { [field]: _unwound, ...rest } = item;
    return [{ ...rest, ...value }];
  }
  return [item];
}

function hasEntries(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length > 0;
  for (const _key in value) return true;
  return false;
}

/** Writes the leaves of `value` into `out` under `path.key` names (dots), as the API's `flatten` does. */
function flattenInto(out: Record<string, unknown>, path: string, value: unknown): void {
  if (!hasEntries(value)) {
    out[path] = value;
    return;
  }
  if (Array.isArray(value)) value.forEach((child, index) => flattenInto(out, `${path}.${index}`, child));
  else for (const [key, child] of Object.entries(value)) flattenInto(out, `${path}.${key}`, child);
}

function flattenFields(item: Record<string, unknown>, fields: ReadonlySet<string>): Record<string, unknown> {
  let touched = false;
  for (const field of fields) if (hasEntries(item[field])) touched = true;
  if (!touched) return item;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (fields.has(key)) flattenInto(out, key, value);
    else out[key] = value;
  }
  return out;
}

/** The fields of an `unwind` option as a list. */
function unwindFields(unwind: string | readonly string[] | undefined): readonly string[] {
  if (unwind === undefined) return [];
  return typeof unwind === 'string' ? [unwind] : unwind;
}

/**
 * Applies the options of a dataset read that shape items to a page of items, in the order the
 * Apify API applies them: `fields`, `omit`, then `unwind` (each field in turn), `flatten`,
 * `skipHidden` and `skipEmpty` (`clean` is both of the last two). Without options the page is
 * given back as it is.
 */
export function projectItems(items: Record<string, unknown>[], options: ItemProjectionOptions): Record<string, unknown>[] {
  const { fields, omit, clean } = options;
  const unwind = unwindFields(options.unwind);
  const flatten = options.flatten && options.flatten.length > 0 ? new Set(options.flatten) : undefined;
  const skipHidden = clean === true || options.skipHidden === true;
  const skipEmpty = clean === true || options.skipEmpty === true;
  if (!fields && !omit && !skipHidden && !skipEmpty && unwind.length === 0 && !flatten) return items;
  const omitted = omit ? new Set(omit) : undefined;
  let shaped: Record<string, unknown>[] = items;
  if (fields || omitted) {
    shaped = items.map((item) => {
      let projected: Record<string, unknown>;
      if (fields) {
        projected = {};
        for (const field of fields) if (Object.hasOwn(item, field)) projected[field] = item[field];
      } else {
        projected = { ...item };
      }
      if (omitted) for (const field of omitted) delete projected[field];
      return projected;
    });
  }
  for (const field of unwind) shaped = shaped.flatMap((item) => unwindItem(item, field));
  if (!flatten && !skipHidden && !skipEmpty) return shaped;
  const out: Record<string, unknown>[] = [];
  for (const item of shaped) {
    let projected = flatten ? flattenFields(item, flatten) : item;
    if (skipHidden) {
      let hidden = false;
      for (const field in projected) if (field.startsWith('#')) hidden = true;
      if (hidden) projected = Object.fromEntries(Object.entries(projected).filter(([field]) => !field.startsWith('#')));
    }
    if (skipEmpty && Object.keys(projected).length === 0) continue;
    out.push(projected);
  }
  return out;
}
