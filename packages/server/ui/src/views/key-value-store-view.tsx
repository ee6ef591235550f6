import { useEffect, useState } from 'preact/hooks';
import { apiData, apiFetch, apiPath, downloadFrom, type StorageInfo } from '../api.js';
import { ErrorBox, StorageHeader } from '../common.js';
import { formatBytes, formatTime } from '../format.js';
import { JsonTree } from '../json-tree.js';
import { useLoad } from '../use-load.js';

const PAGE_SIZE = 100;
/** Text shown of a record: its first 256 KiB. */
const TEXT_PREVIEW_BYTES = 256 * 1024;
/** JSON records up to this size are parsed into a tree; larger ones are shown as text. */
const JSON_TREE_BYTES = 4 * 1024 * 1024;
/** Images up to this size are shown. */
const IMAGE_BYTES = 32 * 1024 * 1024;
/** Bytes of a binary record shown as hex. */
const HEX_BYTES = 512;
/**
 * Image types shown inline (through a blob: URL in an <img>, which runs nothing). SVG is not one
 * of them: it is shown as its source, like HTML.
 */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon']);

interface KeyItem {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string;
}
interface KeysPage {
  readonly items: readonly KeyItem[];
  readonly isTruncated: boolean;
  readonly nextExclusiveStartKey: string | null;
}

type Preview =
  | { readonly kind: 'image'; readonly url: string; readonly contentType: string; readonly size: number }
  | { readonly kind: 'json'; readonly value: unknown; readonly contentType: string; readonly size: number }
  | { readonly kind: 'text'; readonly text: string; readonly contentType: string; readonly size: number; readonly shownBytes: number }
  | { readonly kind: 'binary'; readonly hex: string; readonly contentType: string; readonly size: number }
  | { readonly kind: 'too-large'; readonly contentType: string; readonly size: number };

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Reads at most `max` bytes of a body, then stops reading it. */
async function readStart(response: Response, max: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const reader = response.body?.getReader();
  if (reader === undefined) return { bytes: new Uint8Array(), complete: true };
  const chunks: Uint8Array[] = [];
  let length = 0;
  let complete = false;
  while (length < max) {
    const { done, value } = await reader.read();
    if (done) {
      complete = true;
      break;
    }
    chunks.push(value);
    length += value.length;
  }
  if (!complete) await reader.cancel();
  const bytes = new Uint8Array(Math.min(length, max));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
    if (at >= bytes.length) break;
  }
  return { bytes, complete: complete && length <= max };
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.subarray(at, at + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

async function loadPreview(storeId: string, key: string, listedSize: number): Promise<Preview> {
  const response = await apiFetch(apiPath(['key-value-stores', storeId, 'records', key]));
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  const size = Number(response.headers.get('content-length') ?? listedSize);
  const type = mediaType(contentType);
  if (IMAGE_TYPES.has(type)) {
    if (size > IMAGE_BYTES) {
      await response.body?.cancel();
      return { kind: 'too-large', contentType, size };
    }
    const blob = new Blob([await response.arrayBuffer()], { type });
    return { kind: 'image', url: URL.createObjectURL(blob), contentType, size };
  }
  const max = isJsonType(type) ? JSON_TREE_BYTES : TEXT_PREVIEW_BYTES;
  const { bytes, complete } = await readStart(response, max);
  if (isJsonType(type) && complete) {
    try {
      return { kind: 'json', value: JSON.parse(new TextDecoder().decode(bytes)) as unknown, contentType, size };
    } catch {
      // Not JSON after all: shown as text below.
    }
  }
  const probe = bytes.subarray(0, 8192);
  if (probe.includes(0)) return { kind: 'binary', hex: hexDump(bytes.subarray(0, HEX_BYTES)), contentType, size };
  const shown = bytes.subarray(0, TEXT_PREVIEW_BYTES);
  return { kind: 'text', text: new TextDecoder('utf-8', { fatal: false }).decode(shown), contentType, size, shownBytes: shown.length };
}

function RecordPreview({ storeId, record, onClose }: { readonly storeId: string; readonly record: KeyItem; readonly onClose: () => void }) {
  const preview = useLoad(() => loadPreview(storeId, record.key, record.size), [storeId, record.key]);
  const data = preview.data;
  useEffect(() => {
    if (data?.kind !== 'image') return undefined;
    return () => URL.revokeObjectURL(data.url);
  }, [data]);
  return (
    <section class="panel preview" aria-label="Record preview">
      <div class="preview-head">
        <h2>
          <code>{record.key}</code>
        </h2>
        <span class="muted">
          {data?.contentType ?? record.contentType ?? ''} · {formatBytes(data?.size ?? record.size)}
        </span>
        <button type="button" class="close" onClick={onClose} aria-label="Close preview">
          ×
        </button>
      </div>
      <ErrorBox error={preview.error} />
      {data === undefined ? (
        preview.loading && <p class="loading">Loading…</p>
      ) : data.kind === 'image' ? (
        <div class="image-box">
          <img src={data.url} alt={record.key} />
        </div>
      ) : data.kind === 'json' ? (
        <JsonTree value={data.value} openDepth={3} />
      ) : data.kind === 'text' ? (
        <>
          {data.shownBytes < data.size && (
            <p class="muted small">
              First {formatBytes(data.shownBytes)} of {formatBytes(data.size)}; download the record for all of it.
            </p>
          )}
          <pre class="source">{data.text}</pre>
        </>
      ) : data.kind === 'binary' ? (
        <>
          <p class="muted small">Binary content: its first bytes; download the record for all of it.</p>
          <pre class="source">{data.hex}</pre>
        </>
      ) : (
        <p class="muted">This image is too large to show ({formatBytes(data.size)}); download it.</p>
      )}
    </section>
  );
}

/** A key-value store: its records a page at a time, a prefix filter, preview, download and delete. */
export function KeyValueStoreView({ id }: { readonly id: string }) {
  const meta = useLoad(() => apiData<StorageInfo>(apiPath(['key-value-stores', id])), [id]);
  const [prefixInput, setPrefixInput] = useState('');
  const [prefix, setPrefix] = useState('');
  // The exclusive start keys of the pages before this one, and this one's.
  const [starts, setStarts] = useState<(string | undefined)[]>([undefined]);
  const start = starts[starts.length - 1];
  const keys = useLoad(
    () =>
      apiData<KeysPage>(
        apiPath(['key-value-stores', id, 'keys'], { limit: PAGE_SIZE, prefix: prefix === '' ? undefined : prefix, exclusiveStartKey: start }),
      ),
    [id, prefix, start],
  );
  const [selected, setSelected] = useState<KeyItem | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [actionError, setActionError] = useState<Error | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const fail = (error: unknown): void => setActionError(error instanceof Error ? error : new Error(String(error)));
  const remove = (key: string): void => {
    setActionError(undefined);
    apiFetch(apiPath(['key-value-stores', id, 'records', key]), { method: 'DELETE' }).then(() => {
      setConfirming(undefined);
      if (selected?.key === key) setSelected(undefined);
      setNotice(`Deleted record "${key}".`);
      keys.reload();
    }, fail);
  };

  if (meta.data === undefined && meta.error !== undefined) {
    // The storage cannot be read (not found, …): one error, no empty controls.
    return (
      <div class="view">
        <StorageHeader kind="Key-value store" id={id} name={undefined} />
        <ErrorBox error={meta.error} />
      </div>
    );
  }
  return (
    <div class="view kvs-view">
      <StorageHeader kind="Key-value store" id={id} name={meta.data?.name}>
        {meta.data && <span>Modified {formatTime(meta.data.modifiedAt)}</span>}
      </StorageHeader>
      <ErrorBox error={meta.error} />
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setPrefix(prefixInput);
          setStarts([undefined]);
        }}
      >
        <input
          type="search"
          class="filter"
          placeholder="Key prefix"
          aria-label="Key prefix"
          value={prefixInput}
          onInput={(e) => setPrefixInput((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Filter</button>
        <button type="button" onClick={keys.reload} disabled={keys.loading}>
          Refresh
        </button>
      </form>
      {notice !== undefined && (
        <div class="notice" role="status">
          {notice}
        </div>
      )}
      <ErrorBox error={actionError} />
      <ErrorBox error={keys.error} />
      {confirming !== undefined && (
        <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
          <span>
            Delete record <code>{confirming}</code>? This cannot be undone.
          </span>
          <button type="button" class="danger" onClick={() => remove(confirming)}>
            Delete
          </button>
          <button type="button" onClick={() => setConfirming(undefined)}>
            Cancel
          </button>
        </div>
      )}
      <div class="split">
        <section class="panel records">
          <div class="pager">
            <button type="button" onClick={() => setStarts(starts.slice(0, -1))} disabled={starts.length <= 1}>
              ‹ Previous
            </button>
            <span class="range">
              Page {starts.length}
              {keys.data && ` · ${keys.data.items.length} ${keys.data.items.length === 1 ? 'record' : 'records'}`}
            </span>
            <button
              type="button"
              onClick={() => {
                const next = keys.data?.nextExclusiveStartKey;
                if (next != null) setStarts([...starts, next]);
              }}
              disabled={!keys.data?.isTruncated || keys.data.nextExclusiveStartKey == null}
            >
              Next ›
            </button>
          </div>
          {keys.data === undefined ? (
            keys.loading && <p class="loading">Loading…</p>
          ) : keys.data.items.length === 0 ? (
            <p class="empty">{prefix === '' ? 'No records.' : 'No record key starts with this prefix.'}</p>
          ) : (
            <div class="table-wrap">
              <table class="grid">
                <thead>
                  <tr>
                    <th>Key</th>
                    <th class="num">Size</th>
                    <th>Content type</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {keys.data.items.map((item) => (
                    <tr key={item.key} class={selected?.key === item.key ? 'selected' : undefined}>
                      <td class="key">
                        <button type="button" class="link" onClick={() => setSelected(item)}>
                          {item.key}
                        </button>
                      </td>
                      <td class="num">{formatBytes(item.size)}</td>
                      <td class="ctype">
                        <code>{item.contentType ?? ''}</code>
                      </td>
                      <td class="actions">
                        <button type="button" onClick={() => setSelected(item)}>
                          Preview
                        </button>
                        <button type="button" onClick={() => downloadFrom(apiPath(['key-value-stores', id, 'records', item.key]), item.key).catch(fail)}>
                          Download
                        </button>
                        <button type="button" class="danger" onClick={() => setConfirming(item.key)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        {selected !== undefined && <RecordPreview key={selected.key} storeId={id} record={selected} onClose={() => setSelected(undefined)} />}
      </div>
    </div>
  );
}
