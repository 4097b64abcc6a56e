import { v7 as uuidv7 } from 'uuid';
import { TesseraError, validationError } from '../core/errors.js';
import { validateLimits, type TokenLimits } from '../core/limits.js';
import { resolveExpiry, type ExpiryRequest } from '../core/policy.js';
import type { EffectivePolicy } from '../core/policy-rules.js';
import { adminScopes } from '../core/scopes.js';
import { generateToken, maskTokensInMetadata, maskTokensInText, redactTokens, tokenHint } from '../core/token-format.js';
import { hashToken } from '../core/token-hash.js';
import { effectiveState, type TokenState } from '../core/token-state.js';
import { findKeyspaceByName } from '../store/keyspace-repository.js';
import type { Transaction } from 'kysely';
import type { KeyspaceRow, Schema, TokenRow } from '../store/schema.js';
import { foldText } from '../store/keyset.js';
import {
  findTokenById,
  insertToken,
  listTokens as listTokenRows,
  updateToken,
  type TokenSortColumn,
  type TokenWithKeyspace,
} from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord, type ChangeOutcome } from './audit-trail.js';
import { eventAbout } from './events.js';
import { isKeyspaceVisible, keyspaceVisibility, requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { validateScopes } from './keyspaces.js';
import { effectivePolicyOf } from './policies.js';
import { chooseSort, decodeSortedCursor, idSortField, nextSortedCursor, pageSize, type SortField } from './pagination.js';
import { adminKeyspaceName, isoOrNull, toToken, type Page, type Token } from './views.js';

export interface IssueTokenInput extends ExpiryRequest {
  keyspace: string;
  name: string;
  owner?: string | undefined;
  description?: string | undefined;
  scopes: string[];
  metadata?: Record<string, string> | undefined;
  /** Admin tokens only: the keyspaces the token may manage and verify. */
  adminKeyspaces?: string[] | undefined;
  /** Rate limits, quota and allowed networks; fields left out follow the keyspace policy. */
  limits?: TokenLimits | undefined;
}

/** A new token's record and its plaintext, which exists only in this response. */
export interface IssuedToken {
  secret: string;
  token: Token;
}

export function notFound(id: string): TesseraError {
  // Redacted before it is shortened, so a token pasted as the id is never echoed, whole or cut.
  return new TesseraError('NOT_FOUND', `token '${redactTokens(id).slice(0, 80)}' does not exist; list tokens to find its id`, { field: 'id' });
}

export async function requireKeyspace(context: ServiceContext, name: string): Promise<KeyspaceRow> {
  const keyspace = await findKeyspaceByName(context.db, name);
  if (!keyspace)
    throw new TesseraError('NOT_FOUND', `keyspace: '${name.slice(0, 80)}' does not exist; create it first or check the name`, { field: 'keyspace' });
  return keyspace;
}

function allowedScopesOf(keyspace: KeyspaceRow): readonly string[] {
  return keyspace.name === adminKeyspaceName ? adminScopes : (JSON.parse(keyspace.scopes) as string[]);
}

async function validateIssueInput(context: ServiceContext, keyspace: KeyspaceRow, input: IssueTokenInput): Promise<void> {
  if (input.limits !== undefined) validateLimits('limits', input.limits);
  // Admin scopes such as `admin` are not resource:action strings; the vocabulary check covers them.
  if (keyspace.name !== adminKeyspaceName) validateScopes('scopes', input.scopes);
  const allowed = allowedScopesOf(keyspace);
  if (allowed.length > 0) {
    const unknown = input.scopes.find((scope) => !allowed.includes(scope));
    if (unknown !== undefined) {
      throw validationError('scopes', `'${unknown}' is not a scope of keyspace '${keyspace.name}'; allowed: ${allowed.join(', ')}`);
    }
  }

  if (input.adminKeyspaces !== undefined) {
    if (keyspace.name !== adminKeyspaceName) throw validationError('adminKeyspaces', `applies only to tokens of keyspace '${adminKeyspaceName}'; omit it`);
    if (input.adminKeyspaces.includes(adminKeyspaceName)) {
      throw validationError('adminKeyspaces', `cannot name '${adminKeyspaceName}'; grant the admin scope to manage admin tokens`);
    }
    for (const name of input.adminKeyspaces) {
      if (!(await findKeyspaceByName(context.db, name)))
        throw validationError('adminKeyspaces', `keyspace '${name.slice(0, 80)}' does not exist; create it first`);
    }
  }
}

/** Enforces the rules of a named policy that the keyspace's own checks do not cover: required fields and allowed scopes. */
function checkPolicyFields(policy: EffectivePolicy, input: IssueTokenInput): void {
  for (const field of policy.requiredFields) {
    const value = input[field];
    if (value === undefined || value.trim() === '') {
      throw new TesseraError('POLICY_VIOLATION', `${field}: the keyspace policy requires a token ${field}; set ${field}`, { field });
    }
  }
  if (policy.allowedScopes.length > 0) {
    const outside = input.scopes.find((scope) => !policy.allowedScopes.includes(scope));
    if (outside !== undefined) {
      throw new TesseraError('POLICY_VIOLATION', `scopes: '${outside}' is not allowed by the keyspace policy; allowed: ${policy.allowedScopes.join(', ')}`, {
        field: 'scopes',
      });
    }
  }
}

/** Mints a token, stores only its keyed hash, and returns the plaintext once. */
export async function issueToken(context: ServiceContext, actor: Actor, input: IssueTokenInput): Promise<IssuedToken> {
  // Permission first: a limited token learns nothing about keyspaces it may not use, not even whether they exist.
  await requirePermission(context, actor, { scope: 'tokens:write', keyspace: input.keyspace, action: 'token.create' });
  const keyspace = await requireKeyspace(context, input.keyspace);
  await validateIssueInput(context, keyspace, input);

  const policy = await effectivePolicyOf(context.db, keyspace);
  if (keyspace.name !== adminKeyspaceName) checkPolicyFields(policy, input);

  return auditedChange(context, actor, async (transaction, now) => {
    // Resolved with the creation time, so a lifetime of N seconds is exactly createdAt + N.
    const expiresAt = resolveExpiry(policy, input, now);
    const secret = generateToken(keyspace.prefix);
    const row = newTokenRow(context, keyspace, secret, now, {
      name: maskTokensInText(input.name),
      owner: maskTokensInText(input.owner ?? null),
      description: maskTokensInText(input.description ?? null),
      scopes: JSON.stringify([...new Set(input.scopes)]),
      expires_at: expiresAt,
      metadata: JSON.stringify(maskTokensInMetadata(input.metadata) ?? {}),
      created_by: actor.id,
      predecessor_id: null,
      admin_keyspaces: input.adminKeyspaces === undefined ? null : JSON.stringify(input.adminKeyspaces),
      limits: input.limits === undefined ? null : JSON.stringify(input.limits),
    });
    await insertToken(transaction, row);
    context.cache.delete(row.hash);

    const audit = {
      action: 'token.create',
      target: { type: 'token', id: row.id },
      keyspace: keyspace.name,
      outcome: 'success',
      details: { keyspace: keyspace.name, name: row.name, hint: row.hint },
    } as const;
    return {
      result: { secret, token: toToken({ ...row, keyspace_name: keyspace.name }, now) },
      audit,
      events: [eventAbout(audit, 'token.created', { name: row.name, hint: row.hint, owner: row.owner, expiresAt: isoOrNull(row.expires_at) })],
    };
  });
}

export type InheritedFields = Pick<
  TokenRow,
  'name' | 'owner' | 'description' | 'scopes' | 'expires_at' | 'metadata' | 'created_by' | 'predecessor_id' | 'admin_keyspaces' | 'limits'
>;

export function newTokenRow(context: ServiceContext, keyspace: KeyspaceRow, secret: string, now: number, fields: InheritedFields): TokenRow {
  const hashingKey = context.keyRing.current;
  return {
    ...fields,
    id: uuidv7(),
    keyspace_id: keyspace.id,
    hash: hashToken(hashingKey, secret),
    hash_key_version: hashingKey.version,
    hint: tokenHint(secret),
    state: 'active',
    created_at: now,
    updated_at: now,
    last_used_at: null,
    last_used_ip: null,
    successor_id: null,
    state_reason: null,
    state_changed_at: null,
  };
}

/**
 * Awaits a committed change to a token, then deletes its cached lookup. Deleting inside the
 * transaction is not enough, because a verification that reads the row before the commit caches
 * the old row again. The cache's generation check keeps out lookups still in flight.
 */
export async function forgetAfterCommit<T>(context: ServiceContext, hash: string, change: Promise<T>): Promise<T> {
  const result = await change;
  context.cache.delete(hash);
  return result;
}

export async function loadVisibleToken(
  context: ServiceContext,
  actor: Actor,
  id: string,
  scope: 'tokens:read' | 'tokens:write',
  action: string,
): Promise<TokenWithKeyspace> {
  const row = await findTokenById(context.db, id);
  // A token in a keyspace the actor cannot see reads as absent, so ids reveal nothing.
  if (!row || !isKeyspaceVisible(keyspaceVisibility(actor), row.keyspace_name)) throw notFound(id);
  await requirePermission(context, actor, { scope, keyspace: row.keyspace_name, action, target: { type: 'token', id } });
  return row;
}

export async function getToken(context: ServiceContext, actor: Actor, id: string): Promise<Token> {
  const row = await loadVisibleToken(context, actor, id, 'tokens:read', 'token.read');
  return toToken(row, context.clock.now());
}

export interface TokenListInput {
  keyspace?: string | undefined;
  owner?: string | undefined;
  state?: TokenState | undefined;
  /** Text found, ignoring case, in the name, owner, description, hint or id. */
  q?: string | undefined;
  /** The older name of `q`. */
  search?: string | undefined;
  /** Only tokens whose expiry falls within this many days from now, or has passed. */
  expiringWithinDays?: number | undefined;
  /** One of `tokenSortFields`; without it the list is in id order, newest first. */
  sort?: string | undefined;
  order?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The fields GET /v1/tokens sorts by, with the column behind each. */
const tokenSortColumns = {
  name: 'name',
  owner: 'owner',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
  lastUsedAt: 'last_used_at',
} as const satisfies Record<string, TokenSortColumn>;

export const tokenSortFields: readonly SortField[] = Object.keys(tokenSortColumns).map((name) => ({
  name,
  kind: name === 'name' || name === 'owner' ? 'text' : 'time',
}));

/** Returns the text to search for: `q`, or `search` by its older name. */
function searchTextOf(input: TokenListInput): string | undefined {
  if (input.q !== undefined && input.search !== undefined && input.q !== input.search) {
    throw validationError('q', 'search is the older name of q; pass only one of them');
  }
  return input.q ?? input.search;
}

/** Returns the value a token sorts by under this sort, as a cursor records it. */
function sortValueOf(row: TokenWithKeyspace, column: TokenSortColumn): string | number | null {
  if (column === 'name' || column === 'owner') return foldText(row[column]);
  return row[column];
}

/** Keyspace ids a token query is limited to, or the one it leaves out, so an actor reads only the tokens it may see. */
export interface KeyspaceFilter {
  keyspaceIds?: string[] | undefined;
  excludedKeyspaceId?: string | undefined;
}

/** Builds the keyspace filter for an actor, narrowed to one keyspace when `keyspace` is given (its permission already checked). */
export async function visibleKeyspaceFilter(context: ServiceContext, actor: Actor, keyspace?: string): Promise<KeyspaceFilter> {
  if (keyspace !== undefined) return { keyspaceIds: [(await requireKeyspace(context, keyspace)).id] };

  const visibility = keyspaceVisibility(actor);
  if (visibility.keyspaces !== null) {
    const names = visibility.keyspaces.filter((name) => isKeyspaceVisible(visibility, name));
    const rows = await Promise.all(names.map((name) => findKeyspaceByName(context.db, name)));
    return { keyspaceIds: rows.flatMap((row) => (row ? [row.id] : [])) };
  }
  if (!visibility.adminKeyspace) return { excludedKeyspaceId: (await findKeyspaceByName(context.db, adminKeyspaceName))?.id };
  return {};
}

export async function listTokens(context: ServiceContext, actor: Actor, input: TokenListInput): Promise<Page<Token>> {
  await requirePermission(context, actor, { scope: 'tokens:read', keyspace: input.keyspace, action: 'token.list' });
  const limit = pageSize(input.limit);
  const search = searchTextOf(input);
  const sort = chooseSort(tokenSortFields, input.sort, input.order, 'desc');
  const after = decodeSortedCursor(input.cursor, sort.field, sort.order);
  const { keyspaceIds, excludedKeyspaceId } = await visibleKeyspaceFilter(context, actor, input.keyspace);

  const column: TokenSortColumn = sort.field === idSortField ? 'id' : tokenSortColumns[sort.field.name as keyof typeof tokenSortColumns];
  const now = context.clock.now();
  const rows = await listTokenRows(context.db, {
    keyspaceIds,
    excludedKeyspaceId,
    owner: input.owner,
    state: input.state,
    search,
    expiresBefore: input.expiringWithinDays === undefined ? undefined : now + input.expiringWithinDays * 86_400_000,
    now,
    sort: { column, order: sort.order, after, dialect: context.dialect },
    limit,
  });
  return { items: rows.map((row) => toToken(row, now)), nextCursor: nextSortedCursor(rows, limit, sort, (row) => sortValueOf(row, column)) };
}

export interface UpdateTokenInput {
  name?: string | undefined;
  owner?: string | null | undefined;
  description?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
  /** Replaces the token's own limits; null returns it to the keyspace policy's. */
  limits?: TokenLimits | null | undefined;
}

/** Changes descriptive fields and limits; scopes and expiry change only through rotation, so lineage records them. */
export async function updateTokenDetails(context: ServiceContext, actor: Actor, id: string, input: UpdateTokenInput): Promise<Token> {
  const row = await loadVisibleToken(context, actor, id, 'tokens:write', 'token.update');
  const changes: Partial<TokenRow> = {};
  if (input.name !== undefined) changes.name = maskTokensInText(input.name);
  if (input.owner !== undefined) changes.owner = maskTokensInText(input.owner);
  if (input.description !== undefined) changes.description = maskTokensInText(input.description);
  if (input.metadata !== undefined) changes.metadata = JSON.stringify(maskTokensInMetadata(input.metadata));
  if (input.limits !== undefined) {
    if (input.limits !== null) validateLimits('limits', input.limits);
    changes.limits = input.limits === null ? null : JSON.stringify(input.limits);
  }

  const updated = auditedChange(context, actor, async (transaction, now) => {
    await updateToken(transaction, id, { ...changes, updated_at: now });
    // Re-read inside the transaction, so the response shows a state change that committed meanwhile.
    const current = (await findTokenById(transaction, id)) ?? { ...row, ...changes, updated_at: now };
    context.cache.delete(row.hash);
    const audit = {
      action: 'token.update',
      target: { type: 'token', id },
      keyspace: row.keyspace_name,
      outcome: 'success',
      details: { fields: Object.keys(changes).sort() },
    } as const;
    return { result: toToken(current, now), audit, events: [eventAbout(audit, 'token.updated', { hint: row.hint, fields: audit.details.fields })] };
  });
  return forgetAfterCommit(context, row.hash, updated);
}

export type StateChange = 'revoke' | 'disable' | 'enable' | 'suspend';

const stateTransitions: Record<StateChange, { from: readonly TokenState[]; to: TokenState }> = {
  revoke: { from: ['active', 'disabled', 'suspended', 'expired'], to: 'revoked' },
  disable: { from: ['active', 'suspended'], to: 'disabled' },
  enable: { from: ['disabled', 'suspended'], to: 'active' },
  suspend: { from: ['active'], to: 'suspended' },
};

const pastParticiples: Record<StateChange, string> = { revoke: 'revoked', disable: 'disabled', enable: 'enabled', suspend: 'suspended' };

/**
 * Applies a state change inside the caller's transaction and returns its audit entry and event, so
 * that a change made for another reason (a leak report) commits together with that reason's record.
 */
export async function changeStateWithin(
  context: ServiceContext,
  transaction: Transaction<Schema>,
  now: number,
  id: string,
  change: StateChange,
  reason: string | null,
): Promise<ChangeOutcome<Token> & { audit: AuditRecord }> {
  const action = `token.${change}`;
  const transition = stateTransitions[change];

  // Re-read inside the transaction so two concurrent changes cannot both pass the state check.
  const current = await findTokenById(transaction, id);
  if (!current) throw new TesseraError('NOT_FOUND', `token '${id.slice(0, 80)}' does not exist; list tokens to find its id`, { field: 'id' });
  const state = effectiveState(current.state as TokenState, current.expires_at, now);
  if (state === transition.to) throw new TesseraError('CONFLICT', `token '${id}' is already ${state}`);
  if (!transition.from.includes(state)) {
    throw new TesseraError(
      'CONFLICT',
      `token '${id}' is ${state}, so it cannot be ${pastParticiples[change]}; ${change} applies to ${transition.from.join(', ')} tokens`,
    );
  }

  const maskedReason = maskTokensInText(reason);
  const changes = { state: transition.to, state_reason: maskedReason, state_changed_at: now, updated_at: now };
  await updateToken(transaction, id, changes);
  context.cache.delete(current.hash);
  const details = { reason: maskedReason, hint: current.hint };
  const audit: AuditRecord = { action, target: { type: 'token', id }, keyspace: current.keyspace_name, outcome: 'success', details };
  return { result: toToken({ ...current, ...changes }, now), audit, events: [eventAbout(audit, `token.${transition.to}`, details)] };
}

/** Revokes, disables, suspends or enables a token; the change reaches this node's cache at once. */
export async function changeTokenState(context: ServiceContext, actor: Actor, id: string, change: StateChange, reason: string | null): Promise<Token> {
  const row = await loadVisibleToken(context, actor, id, 'tokens:write', `token.${change}`);
  const changed = auditedChange(context, actor, (transaction, now) => changeStateWithin(context, transaction, now, id, change, reason));
  return forgetAfterCommit(context, row.hash, changed);
}
