import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized } from './api.js';
import { RouteLink } from './common.js';
import { getToken, setToken, takeTokenFromFragment } from './token.js';
import { DatasetView } from './views/dataset-view.js';
import { KeyValueStoreView } from './views/key-value-store-view.js';
import { RequestQueueView } from './views/request-queue-view.js';
import { StoragesView } from './views/storages-view.js';

type Route =
  | { readonly view: 'storages' }
  | { readonly view: 'datasets' | 'key-value-stores' | 'request-queues'; readonly id: string }
  | { readonly view: 'unknown' };

function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  if (path === '') return { view: 'storages' };
  const [collection, rawId, ...rest] = path.split('/');
  if (rawId === undefined || rawId === '' || rest.length > 0) return { view: 'unknown' };
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return { view: 'unknown' };
  }
  if (collection === 'datasets' || collection === 'key-value-stores' || collection === 'request-queues') return { view: collection, id };
  return { view: 'unknown' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => {
      // A link with a new token pasted into this tab: taken in and removed again.
      takeTokenFromFragment();
      setRoute(parseRoute(location.hash));
    };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function TokenPrompt({ rejected, onToken }: { readonly rejected: boolean; readonly onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div class="view token-view">
      <form
        class="panel token-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() !== '') onToken(value.trim());
        }}
      >
        <h1>Token needed</h1>
        {rejected ? (
          <p class="error" role="alert">
            The server did not accept this token. Enter the server's token.
          </p>
        ) : (
          <p>This server needs its token. Open the link the server printed (it ends in <code>#token=…</code>) or enter the token here.</p>
        )}
        <label>
          Token
          <input type="password" name="token" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
        <div>
          <button type="submit" class="primary">
            Open
          </button>
        </div>
        <p class="muted small">The token is kept for this tab only (sessionStorage) and sent as an Authorization header.</p>
      </form>
    </div>
  );
}

function View({ route }: { readonly route: Route }) {
  switch (route.view) {
    case 'storages':
      return <StoragesView />;
    case 'datasets':
      return <DatasetView key={route.id} id={route.id} />;
    case 'key-value-stores':
      return <KeyValueStoreView key={route.id} id={route.id} />;
    case 'request-queues':
      return <RequestQueueView key={route.id} id={route.id} />;
    default:
      return (
        <div class="view">
          <p class="empty">
            There is no such page. <RouteLink to="/">All storages</RouteLink>
          </p>
        </div>
      );
  }
}

const KIND_NAMES: Record<string, string> = { datasets: 'Datasets', 'key-value-stores': 'Key-value stores', 'request-queues': 'Request queues' };

/** The storage browser: a header, the token prompt when the API wants a token, else the view of the route. */
export function App() {
  const route = useRoute();
  // `prompt`: the API answered 401; `rejected`: a token was sent and refused.
  const [auth, setAuth] = useState<{ prompt: boolean; rejected: boolean }>({ prompt: false, rejected: false });
  const [session, setSession] = useState(0);
  useEffect(
    () =>
      onUnauthorized(() => {
        setAuth({ prompt: true, rejected: getToken() !== undefined });
      }),
    [],
  );
  const hasToken = getToken() !== undefined;
  return (
    <>
      <header class="topbar">
        <RouteLink to="/" class="brand">
          Storage browser
        </RouteLink>
        {route.view !== 'storages' && route.view !== 'unknown' && !auth.prompt && (
          <nav class="crumbs" aria-label="Breadcrumb">
            <RouteLink to="/">Storages</RouteLink>
            <span class="sep">/</span>
            <span>{KIND_NAMES[route.view]}</span>
            <span class="sep">/</span>
            <span class="current">{route.id}</span>
          </nav>
        )}
        <span class="spacer" />
        {hasToken && !auth.prompt && (
          <button
            type="button"
            class="subtle"
            onClick={() => {
              setToken(undefined);
              setAuth({ prompt: true, rejected: false });
            }}
          >
            Forget token
          </button>
        )}
      </header>
      <main>
        {auth.prompt ? (
          <TokenPrompt
            rejected={auth.rejected}
            onToken={(token) => {
              setToken(token);
              setAuth({ prompt: false, rejected: false });
              setSession(session + 1);
            }}
          />
        ) : (
          <View key={session} route={route} />
        )}
      </main>
    </>
  );
}
