import { userInfo } from 'node:os';

/** Who performs an action: an admin token over HTTP, an operator on the local data directory, or nobody known. */
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

/** The operator of the CLI on the local data directory, who holds the key file and so every right. */
export function localOperator(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Containers may run under a uid with no passwd entry; the audit log then says "unknown".
  }
  return { type: 'local', id: `local:${user}`, hint: null, scopes: ['admin'], keyspaces: null, ip: null };
}

export function anonymousActor(ip: string | null): Actor {
  return { type: 'anonymous', id: null, hint: null, scopes: [], keyspaces: null, ip };
}
