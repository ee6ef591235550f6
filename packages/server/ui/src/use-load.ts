import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The state of something loaded from the API. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Loads again (keeping the data shown until the new answer is there). */
  readonly reload: () => void;
}

/**
 * Loads `load()` now and whenever `deps` change; an answer that arrives after a newer load started
 * is dropped, so a slow page never replaces the one asked for last.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === generation.current) setState((s) => ({ data: s.data, error: error instanceof Error ? error : new Error(String(error)), loading: false }));
      },
    );
  }, []);
  useEffect(() => {
    run();
    return () => {
      generation.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ...state, reload: run };
}

/** Calls `tick` every `ms` while the component is shown and the tab is visible. */
export function useInterval(tick: () => void, ms: number, enabled = true): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!enabled) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') tickRef.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms, enabled]);
}
