import { useState } from 'preact/hooks';
import { apiData, apiPath, type DatasetInfo, type ListPage, type QueueInfo, type StorageInfo } from '../api.js';
import { ErrorBox, RouteLink, storageRoute } from '../common.js';
import { formatCount, formatTime } from '../format.js';
import { useLoad } from '../use-load.js';

interface AllStorages {
  readonly datasets: ListPage<DatasetInfo>;
  readonly stores: ListPage<StorageInfo>;
  readonly queues: ListPage<QueueInfo>;
}

async function loadAll(): Promise<AllStorages> {
  const list = <T,>(collection: string) => apiData<ListPage<T>>(apiPath([collection], { unnamed: 1, limit: 1000 }));
  const [datasets, stores, queues] = await Promise.all([list<DatasetInfo>('datasets'), list<StorageInfo>('key-value-stores'), list<QueueInfo>('request-queues')]);
  return { datasets, stores, queues };
}

function matches(storage: StorageInfo, filter: string): boolean {
  if (filter === '') return true;
  const needle = filter.toLowerCase();
  return (storage.name ?? '').toLowerCase().includes(needle) || storage.id.toLowerCase().includes(needle);
}

function NameCell({ collection, storage }: { readonly collection: string; readonly storage: StorageInfo }) {
  return (
    <td class="name">
      <RouteLink to={storageRoute(collection, storage.id)}>{storage.name ?? <span class="muted">(unnamed)</span>}</RouteLink>
    </td>
  );
}

function Section<T extends StorageInfo>(props: {
  readonly title: string;
  readonly collection: string;
  readonly page: ListPage<T>;
  readonly filter: string;
  readonly countHeads: readonly string[];
  readonly counts: (storage: T) => readonly string[];
}) {
  const shown = props.page.items.filter((s) => matches(s, props.filter));
  return (
    <section class="panel" data-section={props.collection}>
      <h2>
        {props.title} <span class="badge">{formatCount(shown.length)}</span>
        {props.page.total > props.page.count && <span class="muted small"> (first {formatCount(props.page.count)} of {formatCount(props.page.total)})</span>}
      </h2>
      {shown.length === 0 ? (
        <p class="empty">{props.filter === '' ? 'None.' : 'None matches the filter.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>ID</th>
                {props.countHeads.map((head) => (
                  <th key={head} class="num">
                    {head}
                  </th>
                ))}
                <th>Modified</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((storage) => (
                <tr key={storage.id}>
                  <NameCell collection={props.collection} storage={storage} />
                  <td>
                    <code>{storage.id}</code>
                  </td>
                  {props.counts(storage).map((count, i) => (
                    <td key={i} class="num">
                      {count}
                    </td>
                  ))}
                  <td class="time">{formatTime(storage.modifiedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Every storage of the server: datasets, key-value stores and request queues, filtered by name. */
export function StoragesView() {
  const all = useLoad(loadAll, []);
  const [filter, setFilter] = useState('');
  return (
    <div class="view storages-view">
      <div class="toolbar">
        <h1>Storages</h1>
        <input
          type="search"
          class="filter"
          placeholder="Filter by name or ID"
          aria-label="Filter by name or ID"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <button type="button" onClick={all.reload} disabled={all.loading}>
          Refresh
        </button>
      </div>
      <ErrorBox error={all.error} />
      {all.data === undefined ? (
        all.loading && <p class="loading">Loading…</p>
      ) : (
        <>
          <Section title="Datasets" collection="datasets" page={all.data.datasets} filter={filter} countHeads={['Items']} counts={(d) => [formatCount(d.itemCount)]} />
          <Section title="Key-value stores" collection="key-value-stores" page={all.data.stores} filter={filter} countHeads={[]} counts={() => []} />
          <Section
            title="Request queues"
            collection="request-queues"
            page={all.data.queues}
            filter={filter}
            countHeads={['Total', 'Handled', 'Pending']}
            counts={(q) => [formatCount(q.totalRequestCount), formatCount(q.handledRequestCount), formatCount(q.pendingRequestCount)]}
          />
        </>
      )}
    </div>
  );
}
