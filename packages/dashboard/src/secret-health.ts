import type { Secret } from './api/types.js';

const dayMs = 86_400_000;

/** The default of `tessera check`: a secret not read for this many days is stale. */
export const staleAfterDays = 90;

/** Returns whether a secret has gone unread for `staleAfterDays`, counted from its creation when it was never read, as `tessera check` counts. */
export function isStale(secret: Secret, now = Date.now()): boolean {
  const lastSeen = Date.parse(secret.lastReadAt ?? secret.createdAt);
  return now - lastSeen >= staleAfterDays * dayMs;
}
