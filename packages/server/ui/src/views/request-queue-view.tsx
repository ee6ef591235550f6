import { useState } from 'preact/hooks';
import { apiData, apiPath, type QueueInfo, type QueueRequest } from '../api.js';
import { ErrorBox, StorageHeader } from '../common.js';
import { cellText, formatCount, formatTime } from '../format.js';
import { useInterval, useLoad } from '../use-load.js';

/** The view reads the queue again this often while it is open. */
const REFRESH_MS = 2000;
const HEAD_LIMIT = 100;
const LOCKED_LIMIT = 1000;
const HANDLED_PAGE = 50;

interface RequestsPage {
  readonly items: readonly QueueRequest[];
  readonly count: number;
  readonly nextCursor?: string;
}
interface HeadPage {
  readonly items: readonly QueueRequest[];
}

function Count({ label, value, name, hint }: { readonly label: string; readonly value: string; readonly name: string; readonly hint: string }) {
  return (
    <div class="count" data-count={name} title={hint}>
      <div class="count-value">{value}</div>
      <div class="count-label">{label}</div>
    </div>
  );
}

function RequestsTable({ requests, extra }: { readonly requests: readonly QueueRequest[]; readonly extra?: { readonly head: string; readonly cell: (r: QueueRequest) => string } }) {
  return (
    <div class="table-wrap scroll">
      <table class="grid requests">
        <thead>
          <tr>
            <th>ID</th>
            <th>URL</th>
            <th>Method</th>
            <th class="num">Retries</th>
            <th>Unique key</th>
            {extra && <th>{extra.head}</th>}
          </tr>
        </thead>
        <tbody>
          {requests.map((request) => (
            <tr key={request.id}>
              <td>
                <code>{request.id}</code>
              </td>
              <td class="url" title={cellText(request.url, 2000)}>
                {cellText(request.url, 200)}
              </td>
              <td>{request.method}</td>
              <td class="num">{request.retryCount ?? 0}</td>
              <td class="url" title={cellText(request.uniqueKey, 2000)}>
                {cellText(request.uniqueKey, 200)}
              </td>
              {extra && <td class="time">{extra.cell(request)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function expiresIn(iso: string | undefined, now: number): string {
  if (iso === undefined) return '';
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return iso;
  const secs = Math.round((at - now) / 1000);
  return `${formatTime(iso)} (${secs >= 0 ? `in ${secs} s` : `${-secs} s ago`})`;
}

/**
 * A request queue: its counts, the pending head (first 100, read without locking), the locked
 * requests with their expiry and the handled ones a page at a time; read again every 2 s.
 */
export function RequestQueueView({ id }: { readonly id: string }) {
  const [auto, setAuto] = useState(true);
  const meta = useLoad(() => apiData<QueueInfo>(apiPath(['request-queues', id])), [id]);
  const head = useLoad(() => apiData<HeadPage>(apiPath(['request-queues', id, 'head'], { limit: HEAD_LIMIT })), [id]);
  const locked = useLoad(() => apiData<RequestsPage>(apiPath(['request-queues', id, 'requests'], { filter: 'locked', limit: LOCKED_LIMIT })), [id]);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const handled = useLoad(
    () => apiData<RequestsPage>(apiPath(['request-queues', id, 'requests'], { filter: 'handled', limit: HANDLED_PAGE, cursor })),
    [id, cursor],
  );
  const [updatedAt, setUpdatedAt] = useState(Date.now());
  const refresh = (): void => {
    meta.reload();
    head.reload();
    locked.reload();
    handled.reload();
    setUpdatedAt(Date.now());
  };
  // A tick while the last reads are still out is skipped: a slow server does not get a pile of them.
  useInterval(() => {
    if (!meta.loading && !head.loading && !locked.loading && !handled.loading) refresh();
  }, REFRESH_MS, auto);

  if (meta.data === undefined && meta.error !== undefined) {
    // The storage cannot be read (not found, …): one error, no empty controls.
    return (
      <div class="view">
        <StorageHeader kind="Request queue" id={id} name={undefined} />
        <ErrorBox error={meta.error} />
      </div>
    );
  }
  const q = meta.data;
  const lockedCount = locked.data === undefined ? '' : `${formatCount(locked.data.count)}${locked.data.nextCursor === undefined ? '' : '+'}`;
  return (
    <div class="view rq-view">
      <StorageHeader kind="Request queue" id={id} name={q?.name}>
        {q && <span>Modified {formatTime(q.modifiedAt)}</span>}
      </StorageHeader>
      <ErrorBox error={meta.error} />
      <div class="toolbar">
        <div class="counts">
          <Count name="total" label="Total" value={formatCount(q?.totalRequestCount)} hint="Every request in the queue" />
          <Count name="handled" label="Handled" value={formatCount(q?.handledRequestCount)} hint="Requests marked handled" />
          <Count name="pending" label="Pending" value={formatCount(q?.pendingRequestCount)} hint="Requests not handled yet, the locked ones included" />
          <Count name="locked" label="Locked" value={lockedCount} hint="Requests a consumer holds now (their locks have not expired)" />
        </div>
        <label class="check auto">
          <input type="checkbox" checked={auto} onChange={() => setAuto(!auto)} />
          <span>Refresh every {REFRESH_MS / 1000} s</span>
        </label>
        <button type="button" onClick={refresh}>
          Refresh now
        </button>
        <span class="muted small">Updated {new Date(updatedAt).toLocaleTimeString()}</span>
      </div>
      <section class="panel" data-section="head">
        <h2>
          Pending head <span class="muted small">(first {HEAD_LIMIT}, in the order they would be fetched; not locked by reading)</span>
        </h2>
        <ErrorBox error={head.error} />
        {head.data && (head.data.items.length === 0 ? <p class="empty">No pending requests.</p> : <RequestsTable requests={head.data.items} />)}
      </section>
      <section class="panel" data-section="locked">
        <h2>Locked</h2>
        <ErrorBox error={locked.error} />
        {locked.data &&
          (locked.data.items.length === 0 ? (
            <p class="empty">No request is locked.</p>
          ) : (
            <RequestsTable requests={locked.data.items} extra={{ head: 'Lock expires', cell: (r) => expiresIn(r.lockExpiresAt, updatedAt) }} />
          ))}
      </section>
      <section class="panel" data-section="handled">
        <h2>Handled</h2>
        <ErrorBox error={handled.error} />
        <div class="pager">
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))} disabled={cursors.length <= 1}>
            ‹ Previous
          </button>
          <span class="range">Page {cursors.length}</span>
          <button
            type="button"
            onClick={() => {
              const next = handled.data?.nextCursor;
              if (next !== undefined) setCursors([...cursors, next]);
            }}
            disabled={handled.data?.nextCursor === undefined}
          >
            Next ›
          </button>
        </div>
        {handled.data &&
          (handled.data.items.length === 0 ? (
            <p class="empty">No handled requests{cursors.length > 1 ? ' on this page' : ''}.</p>
          ) : (
            <RequestsTable requests={handled.data.items} extra={{ head: 'Handled at', cell: (r) => formatTime(r.handledAt) }} />
          ))}
      </section>
    </div>
  );
}
