/**
 * The API token of the page: read once from the URL fragment (`#token=…`, which browsers never
 * send to a server), kept in sessionStorage (this tab only), sent as a Bearer header. It never
 * goes into a query string, a link or the address bar.
 */
const STORAGE_KEY = 'x-storage-browser-token';

let current: string | undefined;

function readStored(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Sets (or, with `undefined`, forgets) the token of this tab. */
export function setToken(token: string | undefined): void {
  current = token === undefined || token.trim() === '' ? undefined : token.trim();
  try {
    if (current === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, current);
  } catch {
    // No sessionStorage (a locked-down browser): the token lives as long as the page.
  }
}

/** The token of this tab, if any. */
export function getToken(): string | undefined {
  current ??= readStored();
  return current;
}

/**
 * Takes a token out of the fragment (`#token=…`, optionally followed by `&` and more) into
 * sessionStorage and removes it from the address bar and the history entry. Returns true when
 * there was one.
 */
export function takeTokenFromFragment(): boolean {
  const hash = location.hash;
  if (!hash.startsWith('#token=')) return false;
  const end = hash.indexOf('&');
  const raw = hash.slice('#token='.length, end === -1 ? undefined : end);
  let token: string;
  try {
    token = decodeURIComponent(raw);
  } catch {
    token = raw;
  }
  setToken(token);
  history.replaceState(history.state, '', `${location.pathname}${location.search}#/`);
  return true;
}
