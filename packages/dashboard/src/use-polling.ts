import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client.js';
import { LiveEventsContext } from './live-events.js';

/** How often a page refreshes its data, so changes made elsewhere appear without a reload. */
export const pollIntervalMs = 5000;

export interface Polled<T> {
  data: T | null;
  error: ApiError | null;
  /** Loads again now, e.g. after an action. */
  reload(): void;
}

/**
 * Loads data, then reloads it every `intervalMs` (null: only on `reload`) while the tab is visible.
 * A response that arrives after a newer request started is dropped, so a slow response never
 * overwrites a fresh one. Unless `intervalMs` is null, a new event in the outbox (see
 * LiveEventsProvider) loads again at once.
 */
export function usePolling<T>(load: () => Promise<T>, dependencies: readonly unknown[], intervalMs: number | null = pollIntervalMs): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);

  const run = useCallback(load, dependencies);

  const reload = useCallback(() => {
    const current = ++generation.current;
    run().then(
      (value) => {
        if (current !== generation.current) return;
        setData(value);
        setError(null);
      },
      (failure: unknown) => {
        if (current !== generation.current) return;
        setError(failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT_ERROR', String(failure)));
      },
    );
  }, [run]);

  useEffect(() => {
    setData(null);
    setError(null);
    reload();
    const timer =
      intervalMs === null
        ? undefined
        : setInterval(() => {
            if (document.visibilityState === 'visible') reload();
          }, intervalMs);
    return () => {
      clearInterval(timer);
      generation.current += 1;
    };
  }, [reload, intervalMs]);

  // Skips the revision seen at mount, because the effect above has just loaded.
  const revision = useContext(LiveEventsContext);
  const seenRevision = useRef(revision);
  useEffect(() => {
    if (revision === seenRevision.current) return;
    seenRevision.current = revision;
    if (intervalMs !== null) reload();
  }, [revision, reload, intervalMs]);

  return { data, error, reload };
}
