import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { ApiFailure } from './api.js';

/** An error of a load, in a box (401s are handled by the token prompt, not here). */
export function ErrorBox({ error }: { readonly error: Error | undefined }) {
  if (error === undefined || (error instanceof ApiFailure && error.status === 401)) return null;
  return (
    <div class="error" role="alert">
      {error instanceof ApiFailure ? `${error.status} ${error.type}: ${error.message}` : error.message}
    </div>
  );
}

/** A link to a view of the page (a `#/…` route). */
export function RouteLink({ to, children, class: className }: { readonly to: string; readonly children: ComponentChildren; readonly class?: string }) {
  return (
    <a href={`#${to}`} class={className}>
      {children}
    </a>
  );
}

/** The route of a storage's view. */
export function storageRoute(collection: string, id: string): string {
  return `/${collection}/${encodeURIComponent(id)}`;
}

/** A storage's header: its name (or id) and id, the kind, and extra lines. */
export function StorageHeader({ kind, id, name, children }: { readonly kind: string; readonly id: string; readonly name: string | undefined; readonly children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${name ?? id} · ${kind} · Storage browser`;
    return () => {
      document.title = 'Storage browser';
    };
  }, [kind, id, name]);
  return (
    <header class="storage-header">
      <div class="kind">{kind}</div>
      <h1>{name ?? id}</h1>
      <div class="meta">
        <span>
          ID <code>{id}</code>
        </span>
        {children}
      </div>
    </header>
  );
}
