import { useMemo, useRef, useState } from 'preact/hooks';
import { apiData, apiFetch, apiPath, downloadFrom, type DatasetInfo } from '../api.js';
import { ErrorBox, StorageHeader } from '../common.js';
import { cellText, flattenItem, formatCount, formatTime } from '../format.js';
import { JsonTree } from '../json-tree.js';
import { useLoad } from '../use-load.js';

/** Every export format of the API, as the download buttons offer them. */
const FORMATS = ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss'] as const;
const PAGE_SIZES = [20, 50, 100, 500] as const;
/** Most columns the table shows (the JSON view shows everything). */
const MAX_COLUMNS = 150;

interface ItemsPage {
  readonly items: readonly unknown[];
  readonly total: number;
  readonly offset: number;
}

async function loadPage(id: string, offset: number, limit: number, fields: readonly string[]): Promise<ItemsPage> {
  const response = await apiFetch(apiPath(['datasets', id, 'items'], { offset, limit, fields: fields.length > 0 ? fields.join(',') : undefined }));
  const items = (await response.json()) as unknown;
  const total = Number(response.headers.get('x-apify-pagination-total'));
  return { items: Array.isArray(items) ? items : [], total: Number.isFinite(total) ? total : 0, offset };
}

function Pager(props: { readonly offset: number; readonly limit: number; readonly total: number; readonly shown: number; readonly go: (offset: number) => void }) {
  const { offset, limit, total, go } = props;
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const [jump, setJump] = useState('');
  return (
    <div class="pager">
      <button type="button" onClick={() => go(0)} disabled={offset === 0}>
        « First
      </button>
      <button type="button" onClick={() => go(Math.max(0, offset - limit))} disabled={offset === 0}>
        ‹ Previous
      </button>
      <span class="range">
        {props.shown === 0 ? 'No items' : `Items ${formatCount(offset + 1)}–${formatCount(offset + props.shown)}`} of {formatCount(total)}
      </span>
      <button type="button" onClick={() => go(offset + limit)} disabled={offset + limit >= total}>
        Next ›
      </button>
      <button type="button" onClick={() => go(lastOffset)} disabled={offset >= lastOffset}>
        Last »
      </button>
      <form
        class="jump"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number.parseInt(jump, 10);
          if (Number.isFinite(n) && n >= 1) go(Math.min(n - 1, Math.max(0, total - 1)));
        }}
      >
        <input type="number" min={1} placeholder="Item #" aria-label="Go to item number" value={jump} onInput={(e) => setJump((e.target as HTMLInputElement).value)} />
        <button type="submit">Go</button>
      </form>
    </div>
  );
}

function FieldChooser(props: { readonly known: readonly string[]; readonly chosen: readonly string[]; readonly setChosen: (fields: string[]) => void }) {
  const { known, chosen, setChosen } = props;
  const toggle = (field: string): void => {
    setChosen(chosen.includes(field) ? chosen.filter((f) => f !== field) : known.filter((f) => f === field || chosen.includes(f)));
  };
  return (
    <details class="fields">
      <summary>Fields: {chosen.length === 0 ? 'all' : `${chosen.length} of ${known.length}`}</summary>
      <div class="fields-list">
        <div class="fields-actions">
          <button type="button" class="link" onClick={() => setChosen([])}>
            All fields
          </button>
        </div>
        {known.map((field) => (
          <label key={field} class="check">
            <input type="checkbox" checked={chosen.includes(field)} onChange={() => toggle(field)} />
            <span>{field}</span>
          </label>
        ))}
      </div>
    </details>
  );
}

function ItemsTable({ items, offset }: { readonly items: readonly unknown[]; readonly offset: number }) {
  const { columns, rows, more } = useMemo(() => {
    const flat = items.map(flattenItem);
    const seen = new Set<string>();
    for (const row of flat) for (const key of row.keys()) seen.add(key);
    const all = [...seen];
    return { columns: all.slice(0, MAX_COLUMNS), rows: flat, more: all.length - MAX_COLUMNS };
  }, [items]);
  return (
    <>
      {more > 0 && <p class="muted small">The table shows the first {MAX_COLUMNS} columns; {more} more are in the JSON view and the downloads.</p>}
      <div class="table-wrap items">
        <table class="grid">
          <thead>
            <tr>
              <th class="num">#</th>
              {columns.map((column) => (
                <th key={column}>{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={offset + i}>
                <td class="num muted">{formatCount(offset + i + 1)}</td>
                {columns.map((column) => {
                  const value = row.get(column);
                  const text = cellText(value);
                  return (
                    <td key={column} class={value === null ? 'muted' : typeof value === 'number' ? 'num' : undefined} title={text.length > 60 ? cellText(value, 2000) : undefined}>
                      {text}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A dataset: its items a page at a time, as a table or JSON, with field selection and downloads. */
export function DatasetView({ id }: { readonly id: string }) {
  const meta = useLoad(() => apiData<DatasetInfo>(apiPath(['datasets', id])), [id]);
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState<number>(50);
  const [mode, setMode] = useState<'table' | 'json'>('table');
  const [chosen, setChosen] = useState<string[]>([]);
  const known = useRef<string[]>([]);
  const page = useLoad(() => loadPage(id, offset, limit, chosen), [id, offset, limit, chosen.join(',')]);
  const [downloading, setDownloading] = useState<string | undefined>();
  const [downloadError, setDownloadError] = useState<Error | undefined>();

  // The fields offered: every top-level field seen on a page read with all fields.
  if (page.data !== undefined && chosen.length === 0) {
    const set = new Set(known.current);
    for (const item of page.data.items) if (item !== null && typeof item === 'object' && !Array.isArray(item)) for (const key of Object.keys(item)) set.add(key);
    if (set.size !== known.current.length) known.current = [...set];
  }

  const download = (format: string): void => {
    setDownloading(format);
    setDownloadError(undefined);
    const path = apiPath(['datasets', id, 'items'], { format, attachment: 1, fields: chosen.length > 0 ? chosen.join(',') : undefined });
    downloadFrom(path, `dataset_${meta.data?.name ?? id}.${format}`).then(
      () => setDownloading(undefined),
      (error: unknown) => {
        setDownloading(undefined);
        setDownloadError(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

  if (meta.data === undefined && meta.error !== undefined) {
    // The storage cannot be read (not found, …): one error, no empty controls.
    return (
      <div class="view">
        <StorageHeader kind="Dataset" id={id} name={undefined} />
        <ErrorBox error={meta.error} />
      </div>
    );
  }
  const total = page.data?.total ?? meta.data?.itemCount ?? 0;
  return (
    <div class="view dataset-view">
      <StorageHeader kind="Dataset" id={id} name={meta.data?.name}>
        {meta.data && <span>{formatCount(meta.data.itemCount)} items</span>}
        {meta.data && <span>Modified {formatTime(meta.data.modifiedAt)}</span>}
      </StorageHeader>
      <ErrorBox error={meta.error} />
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={mode === 'table'} onClick={() => setMode('table')}>
            Table
          </button>
          <button type="button" aria-pressed={mode === 'json'} onClick={() => setMode('json')}>
            JSON
          </button>
        </div>
        <FieldChooser
          known={known.current}
          chosen={chosen}
          setChosen={(fields) => {
            setChosen(fields);
          }}
        />
        <label class="inline">
          Per page{' '}
          <select
            value={String(limit)}
            onChange={(e) => {
              const next = Number((e.target as HTMLSelectElement).value);
              setOffset(Math.floor(offset / next) * next);
              setLimit(next);
            }}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <div class="downloads" role="group" aria-label="Download">
          <span class="muted">Download</span>
          {FORMATS.map((format) => (
            <button type="button" key={format} data-format={format} onClick={() => download(format)} disabled={downloading !== undefined}>
              {downloading === format ? '…' : format.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={downloadError} />
      <ErrorBox error={page.error} />
      <Pager offset={offset} limit={limit} total={total} shown={page.data?.items.length ?? 0} go={setOffset} />
      {page.data === undefined ? (
        page.loading && <p class="loading">Loading…</p>
      ) : page.data.items.length === 0 ? (
        <p class="empty">No items here.</p>
      ) : (
        <div class={page.loading ? 'stale' : undefined}>
          {mode === 'table' ? <ItemsTable items={page.data.items} offset={page.data.offset} /> : <JsonTree value={page.data.items} openDepth={2} />}
        </div>
      )}
    </div>
  );
}
