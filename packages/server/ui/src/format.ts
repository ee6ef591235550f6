/** Bytes as `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** An ISO time as a short local date and time; the text itself when it is no time. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A whole number with thousands separators. */
export function formatCount(n: number | undefined): string {
  return n === undefined ? '' : n.toLocaleString('en-US');
}

/** A value of an item as one line of text (objects as JSON), cut at `max` characters. */
export function cellText(value: unknown, max = 300): string {
  let text: string;
  if (value === undefined) return '';
  if (value === null) text = 'null';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Flattens nested objects and arrays into `a/b` and `a/0` keys, as the API does for CSV (empty
 * objects and arrays give no key).
 */
export function flattenItem(item: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value !== null && typeof value === 'object' && depth < 64) {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, child] of entries) walk(child, path === '' ? key : `${path}/${key}`, depth + 1);
      return;
    }
    out.set(path, value);
  };
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    for (const [key, value] of Object.entries(item)) walk(value, key, 1);
  } else out.set('(value)', item);
  return out;
}
