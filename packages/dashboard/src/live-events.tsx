import { createContext, useEffect, useState, type ReactNode } from 'react';
import { hasScope } from './api/permissions.js';
import { useSession } from './session.js';

/** How often the outbox is read for changes made elsewhere. */
export const eventPollIntervalMs = 2000;
/** The slower pace while the tab is hidden, when nobody is looking at the pages. */
export const hiddenEventPollIntervalMs = 10_000;
const eventPageLimit = 500;

/** A number that grows whenever the event outbox reports a change to a token, secret, keyspace or policy. */
export const LiveEventsContext = createContext(0);

/**
 * Follows `GET /v1/events` with a cursor, beside the pages' own polling, so a change made
 * elsewhere shows within about two seconds. It needs `audit:read`. Without it the revision never
 * changes and the pages' 5-second polling alone keeps them current.
 */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const { api, caller } = useSession();
  const [revision, setRevision] = useState(0);
  const canFollow = hasScope(caller, 'audit:read');

  useEffect(() => {
    if (!canFollow) return undefined;
    let stopped = false;
    let cursor: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    // Reads every page after the cursor and returns how many events it found.
    // NOTE: the first call reads the whole outbox from its start, one request per 500 events.
    async function readNewEvents(): Promise<number> {
      let found = 0;
      for (;;) {
        const page = await api.listEvents({ cursor, limit: eventPageLimit });
        cursor = page.nextCursor ?? cursor;
        found += page.items.length;
        if (stopped || page.items.length < eventPageLimit) return found;
      }
    }

    async function follow(): Promise<void> {
      try {
        if ((await readNewEvents()) > 0 && !stopped) setRevision((current) => current + 1);
      } catch {
        // A failed read is retried on the next tick, and the pages' own polling shows the API's error.
      }
      if (stopped) return;
      timer = setTimeout(follow, document.visibilityState === 'visible' ? eventPollIntervalMs : hiddenEventPollIntervalMs);
    }

    // The first read only moves the cursor to the end, because the pages load the current state themselves.
    readNewEvents()
      .catch(() => 0)
      .then(() => {
        if (!stopped) timer = setTimeout(follow, eventPollIntervalMs);
      });
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, canFollow]);

  return <LiveEventsContext.Provider value={revision}>{children}</LiveEventsContext.Provider>;
}
