import type { TokenLimits } from '../core/limits.js';
import type { AuditRow, KeyspaceRow } from '../store/schema.js';
import type { TokenWithKeyspace } from '../store/token-repository.js';
import type { KeyspacePolicy } from '../core/policy.js';
import { effectiveState, type TokenState } from '../core/token-state.js';

// API shapes, named apart from the stored rows they are built from. Times are ISO 8601 strings.

export interface Keyspace {
  id: string;
  name: string;
  prefix: string;
  description: string | null;
  scopes: string[];
  policy: KeyspacePolicy;
  createdAt: string;
  createdBy: string | null;
}

export interface Token {
  id: string;
  keyspace: string;
  name: string;
  owner: string | null;
  description: string | null;
  scopes: string[];
  hint: string;
  state: TokenState;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  metadata: Record<string, string>;
  createdBy: string | null;
  predecessorId: string | null;
  successorId: string | null;
  stateReason: string | null;
  stateChangedAt: string | null;
  /** Only on admin tokens: the keyspaces it is limited to, or null for all. */
  adminKeyspaces?: string[] | null;
  /** The token's own limits; null when only the keyspace policy's apply. */
  limits?: TokenLimits | null;
}

export interface AuditEntry {
  seq: number;
  id: string;
  occurredAt: string;
  actor: { type: string; id: string | null; hint: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  keyspace: string | null;
  sourceIp: string | null;
  outcome: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export const adminKeyspaceName = 'admin';

export function isoOrNull(time: number | null): string | null {
  return time === null ? null : new Date(time).toISOString();
}

export function toKeyspace(row: KeyspaceRow): Keyspace {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    description: row.description,
    scopes: JSON.parse(row.scopes) as string[],
    policy: JSON.parse(row.policy) as KeyspacePolicy,
    createdAt: new Date(row.created_at).toISOString(),
    createdBy: row.created_by,
  };
}

export function toToken(row: TokenWithKeyspace, now: number): Token {
  const token: Token = {
    id: row.id,
    keyspace: row.keyspace_name,
    name: row.name,
    owner: row.owner,
    description: row.description,
    scopes: JSON.parse(row.scopes) as string[],
    hint: row.hint,
    state: effectiveState(row.state as TokenState, row.expires_at, now),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    expiresAt: isoOrNull(row.expires_at),
    lastUsedAt: isoOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    createdBy: row.created_by,
    predecessorId: row.predecessor_id,
    successorId: row.successor_id,
    stateReason: row.state_reason,
    stateChangedAt: isoOrNull(row.state_changed_at),
    limits: row.limits === null ? null : (JSON.parse(row.limits) as TokenLimits),
  };
  if (row.keyspace_name === adminKeyspaceName) {
    token.adminKeyspaces = row.admin_keyspaces === null ? null : (JSON.parse(row.admin_keyspaces) as string[]);
  }
  return token;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, hint: row.actor_hint },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    keyspace: row.keyspace,
    sourceIp: row.source_ip,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
