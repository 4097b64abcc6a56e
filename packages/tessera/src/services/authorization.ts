import { TesseraError } from '../core/errors.js';
import type { AdminScope } from '../core/scopes.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { recordAudit } from './audit-trail.js';
import { adminKeyspaceName } from './views.js';

export interface Permission {
  scope: AdminScope;
  /** The keyspace the action touches, checked against the actor's keyspace limits. */
  keyspace?: string | undefined;
  /** Recorded in the audit log when the request is denied. */
  action: string;
  target?: { type: string; id: string } | undefined;
}

/** Returns true when the actor has the scope (or `admin`) and, if limited, the keyspace. Admin tokens themselves need `admin`. */
export function isPermitted(actor: Actor, scope: AdminScope, keyspace?: string): boolean {
  if (actor.scopes.includes('admin')) return true;
  if (keyspace === adminKeyspaceName) return false;
  if (!actor.scopes.includes(scope)) return false;
  return keyspace === undefined || actor.keyspaces === null || actor.keyspaces.includes(keyspace);
}

/**
 * Counts the scope that permitted an admin token's request as used, so `tessera check` does not
 * report it: `admin` when the token lacks the named scope. Call it only after the request is permitted.
 */
export function recordScopeUse(context: ServiceContext, actor: Actor, scope: string): void {
  if (actor.type !== 'token' || actor.id === null) return;
  context.usage.recordScope(actor.id, context.clock.now(), actor.scopes.includes(scope) ? scope : 'admin');
}

/** Denies by default: throws FORBIDDEN, after auditing the denial, unless the actor is permitted. */
export async function requirePermission(context: ServiceContext, actor: Actor, permission: Permission): Promise<void> {
  if (isPermitted(actor, permission.scope, permission.keyspace)) {
    recordScopeUse(context, actor, permission.scope);
    return;
  }

  await recordAudit(context, actor, {
    action: permission.action,
    target: permission.target,
    keyspace: permission.keyspace,
    outcome: 'denied',
    details: { requiredScope: permission.scope, keyspace: permission.keyspace ?? null },
  });

  const needed = permission.keyspace === adminKeyspaceName ? 'admin' : permission.scope;
  const where = permission.keyspace !== undefined && needed !== 'admin' ? ` on keyspace '${permission.keyspace}'` : '';
  throw new TesseraError('FORBIDDEN', `this admin token lacks the '${needed}' scope${where}; use a token that has it`);
}

/** Keyspace names whose audit entries the actor may read; null means all. */
export function visibleKeyspaces(actor: Actor): readonly string[] | null {
  return actor.scopes.includes('admin') ? null : actor.keyspaces;
}

/** The keyspaces whose tokens an actor may see: a list or all (null), and the admin keyspace only with the `admin` scope. */
export interface KeyspaceVisibility {
  keyspaces: readonly string[] | null;
  adminKeyspace: boolean;
}

/** Visibility of every keyspace, including the admin keyspace, as the operator on the data directory has it. */
export const everyKeyspace: KeyspaceVisibility = { keyspaces: null, adminKeyspace: true };

export function keyspaceVisibility(actor: Actor): KeyspaceVisibility {
  const admin = actor.scopes.includes('admin');
  return { keyspaces: admin ? null : actor.keyspaces, adminKeyspace: admin };
}

/** Returns true when tokens of keyspace `name` are visible; others read as not found, so they reveal nothing. */
export function isKeyspaceVisible(visibility: KeyspaceVisibility, name: string): boolean {
  if (name === adminKeyspaceName) return visibility.adminKeyspace;
  return visibility.keyspaces === null || visibility.keyspaces.includes(name);
}

/** Denies keyspace-limited tokens an action over every keyspace, such as checking or exporting the whole audit chain. */
export async function requireUnlimited(context: ServiceContext, actor: Actor, action: string): Promise<void> {
  if (visibleKeyspaces(actor) === null) return;
  await recordAudit(context, actor, { action, outcome: 'denied', details: { reason: 'keyspace_limited' } });
  throw new TesseraError('FORBIDDEN', `${action} covers every keyspace, and this admin token is limited to some; use a token without adminKeyspaces`);
}
