import { userInfo } from 'node:os';

/** The performer of an action: an admin token over HTTP, an operator on the local data directory, or an unauthenticated caller. */
export interface Actor {
  type: 'token' | 'local' | 'anonymous';
  /** The token id, or `local:<user>` for the CLI on the data directory. */
  id: string | null;
  /** The token's non-secret hint. */
  hint: string | null;
  scopes: readonly string[];
  /** Keyspace names an admin token is limited to; null means every keyspace. */
  keyspaces: readonly string[] | null;
  ip: string | null;
}

/** Returns the operator of the CLI on the local data directory, who has the key file and so every right. */
export function localOperator(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Containers may run under a uid with no passwd entry, and the audit log then records "unknown".
  }
  return { type: 'local', id: `local:${user}`, hint: null, scopes: ['admin'], keyspaces: null, ip: null };
}

export function anonymousActor(ip: string | null): Actor {
  return { type: 'anonymous', id: null, hint: null, scopes: [], keyspaces: null, ip };
}
