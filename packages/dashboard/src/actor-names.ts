import { useEffect, useRef, useState } from 'react';
import { hasScope } from './api/permissions.js';
import type { AuditEntry } from './api/types.js';
import { useSession } from './session.js';

/**
 * Returns a function that names an actor id (an admin token id, `local:<user>` or
 * `tessera:scheduler`) the way the audit trail does: by the token hint that the audit log
 * recorded with the actor. Hints come from `entries` (usually the page's own audit trail) and the
 * signed-in token. Any other token id is looked up once with `GET /v1/audit?actorId=`, which needs
 * `audit:read`. An id without a recorded hint is shown as it is.
 */
export function useActorNames(ids: readonly (string | null)[], entries: readonly AuditEntry[]): (id: string | null) => string {
  const { api, caller } = useSession();
  const [looked, setLooked] = useState<ReadonlyMap<string, string | null>>(new Map());
  const requested = useRef(new Set<string>());

  const known = new Map<string, string>();
  if (caller.id && caller.hint) known.set(caller.id, caller.hint);
  for (const entry of entries) {
    if (entry.actor.id && entry.actor.hint) known.set(entry.actor.id, entry.actor.hint);
  }

  // Token ids are UUIDs. The CLI's `local:<user>` and the scheduler's id contain a colon and have no hint.
  const missing = [...new Set(ids)].filter((id): id is string => id !== null && !id.includes(':') && !known.has(id) && !requested.current.has(id));
  const missingKey = missing.join(' ');

  useEffect(() => {
    if (missing.length === 0 || !hasScope(caller, 'audit:read')) return;
    for (const id of missing) requested.current.add(id);

    for (const id of missing) {
      api.listAudit({ actorId: id, limit: 1 }).then(
        (page) => setLooked((previous) => new Map(previous).set(id, page.items[0]?.actor.hint ?? null)),
        // A failed lookup (403 without access to that entry, or a network error) leaves the id as it is.
        () => setLooked((previous) => new Map(previous).set(id, null)),
      );
    }
  }, [api, caller, missingKey]);

  return (id) => {
    if (id === null) return 'unknown';
    return known.get(id) ?? looked.get(id) ?? id;
  };
}
