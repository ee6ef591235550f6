import { getToken } from './token.js';

/** An answer of the API that is not a success: its status and the API's error type and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Calls `listener` whenever the API answers 401 (no token, or the wrong one). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** A path under `/v2` from segments (each encoded) and query parameters (undefined ones left out). */
export function apiPath(segments: readonly string[], query: Record<string, string | number | boolean | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const search = params.toString();
  return `/v2/${segments.map(encodeURIComponent).join('/')}${search === '' ? '' : `?${search}`}`;
}

/**
 * Calls the API on this page's origin with the token as a Bearer header. Throws {@link ApiFailure}
 * for an answer that is not 2xx (and tells the listeners of {@link onUnauthorized} about a 401).
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  if (response.ok) return response;
  let type = 'http-error';
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { type?: unknown; message?: unknown } };
    if (typeof body.error?.type === 'string') type = body.error.type;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not the API's JSON error: the status says it.
  }
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  throw new ApiFailure(response.status, type, message);
}

/** Calls the API and gives the `data` of its JSON answer. */
export async function apiData<T>(path: string): Promise<T> {
  const response = await apiFetch(path);
  return ((await response.json()) as { data: T }).data;
}

/** Metadata common to every storage, as the API gives it. */
export interface StorageInfo {
  readonly id: string;
  readonly name?: string;
  readonly createdAt: string;
  readonly modifiedAt: string;
  readonly accessedAt: string;
}
/** A dataset's metadata. */
export interface DatasetInfo extends StorageInfo {
  readonly itemCount: number;
}
/** A request queue's metadata. */
export interface QueueInfo extends StorageInfo {
  readonly totalRequestCount: number;
  readonly handledRequestCount: number;
  readonly pendingRequestCount: number;
}
/** One page of a storage list. */
export interface ListPage<T> {
  readonly total: number;
  readonly count: number;
  readonly items: readonly T[];
}
/** A request of a queue, as the API gives it. */
export interface QueueRequest {
  readonly id: string;
  readonly url: string;
  readonly uniqueKey: string;
  readonly method: string;
  readonly retryCount?: number;
  readonly handledAt?: string;
  readonly lockExpiresAt?: string;
}

/**
 * Saves the answer of `path` as a file: fetched with the Bearer header into a Blob, then an object
 * URL clicked with `download` (the token never goes into a URL). The Blob is typed
 * `application/octet-stream`, so the URL renders nothing even if opened. The file name is the
 * server's (Content-Disposition) or `fallbackName`.
 */
export async function downloadFrom(path: string, fallbackName: string): Promise<void> {
  const response = await apiFetch(path);
  const disposition = response.headers.get('content-disposition') ?? '';
  const named = /filename="([^"]+)"/.exec(disposition)?.[1];
  const blob = new Blob([await response.arrayBuffer()], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = named ?? fallbackName;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
