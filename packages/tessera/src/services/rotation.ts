import type { Transaction } from 'kysely';
import { formatDuration } from '../core/duration.js';
import { TesseraError } from '../core/errors.js';
import { resolveExpiry, type ExpiryRequest, type KeyspacePolicy } from '../core/policy.js';
import { generateToken } from '../core/token-format.js';
import { effectiveState, type TokenState } from '../core/token-state.js';
import { findKeyspaceByName } from '../store/keyspace-repository.js';
import type { Schema, TokenRow } from '../store/schema.js';
import { findTokenById, insertToken, updateToken } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { auditedChange, recordAudit, type AuditRecord, type ChangeOutcome } from './audit-trail.js';
import { eventAbout } from './events.js';
import type { ServiceContext } from './context.js';
import { effectivePolicyOf } from './policies.js';
import { forgetAfterCommit, loadVisibleToken, newTokenRow, notFound, requireKeyspace, type IssuedToken } from './tokens.js';
import { isoOrNull, toToken, type Token } from './views.js';

export interface RotateTokenInput {
  /** How long the predecessor keeps verifying; defaults to the keyspace policy's grace period. */
  gracePeriodSeconds?: number | undefined;
  expiresInSeconds?: number | undefined;
}

export interface RotatedToken extends IssuedToken {
  predecessor: Token;
}

/**
 * Replaces a token with a successor of the same owner, scopes and metadata. The predecessor's
 * expiry becomes min(its expiry, now + grace period), so both verify until then.
 */
export async function rotateWithin(
  context: ServiceContext,
  transaction: Transaction<Schema>,
  now: number,
  id: string,
  input: RotateTokenInput,
): Promise<ChangeOutcome<RotatedToken> & { audit: AuditRecord }> {
  const predecessor = await findTokenById(transaction, id);
  if (!predecessor) throw notFound(id);
  const keyspace = await findKeyspaceByName(transaction, predecessor.keyspace_name);
  if (!keyspace) throw notFound(id);

  const state = effectiveState(predecessor.state as TokenState, predecessor.expires_at, now);
  if (state !== 'active') throw new TesseraError('CONFLICT', `token '${id}' is ${state}, so it cannot be rotated; issue a new token instead`);
  if (predecessor.successor_id !== null) {
    throw new TesseraError('CONFLICT', `token '${id}' was already rotated to '${predecessor.successor_id}'; rotate the successor instead`);
  }

  const policy = await effectivePolicyOf(transaction, keyspace);
  const graceSeconds = input.gracePeriodSeconds ?? policy.gracePeriodSeconds;
  const successorExpiry = resolveExpiry(policy, successorLifetime(predecessor, policy, input), now);

  const secret = generateToken(keyspace.prefix);
  const successor = newTokenRow(context, keyspace, secret, now, {
    name: predecessor.name,
    owner: predecessor.owner,
    description: predecessor.description,
    scopes: predecessor.scopes,
    expires_at: successorExpiry,
    metadata: predecessor.metadata,
    created_by: predecessor.created_by,
    predecessor_id: predecessor.id,
    admin_keyspaces: predecessor.admin_keyspaces,
    limits: predecessor.limits,
  });
  await insertToken(transaction, successor);

  const graceEnd = now + graceSeconds * 1000;
  const predecessorExpiry = predecessor.expires_at === null ? graceEnd : Math.min(predecessor.expires_at, graceEnd);
  const predecessorChanges = { successor_id: successor.id, expires_at: predecessorExpiry, updated_at: now };
  await updateToken(transaction, predecessor.id, predecessorChanges);
  context.cache.delete(predecessor.hash);

  const audit: AuditRecord = {
    action: 'token.rotate',
    target: { type: 'token', id: predecessor.id },
    keyspace: keyspace.name,
    outcome: 'success',
    details: { successorId: successor.id, hint: successor.hint, gracePeriodSeconds: graceSeconds },
  };
  return {
    result: {
      secret,
      token: toToken({ ...successor, keyspace_name: keyspace.name }, now),
      predecessor: toToken({ ...predecessor, ...predecessorChanges }, now),
    },
    audit,
    events: [
      eventAbout(audit, 'token.rotated', {
        successorId: successor.id,
        predecessorHint: predecessor.hint,
        hint: successor.hint,
        gracePeriodSeconds: graceSeconds,
        predecessorExpiresAt: isoOrNull(predecessorExpiry),
      }),
    ],
  };
}

/** Returns the successor's lifetime: the predecessor's original lifetime, unless the request sets another. */
function successorLifetime(predecessor: TokenRow, policy: KeyspacePolicy, input: RotateTokenInput): ExpiryRequest {
  if (input.expiresInSeconds !== undefined) return { expiresInSeconds: input.expiresInSeconds };
  if (predecessor.expires_at === null) return { neverExpires: true };
  const lifetimeSeconds = Math.floor((predecessor.expires_at - predecessor.created_at) / 1000);
  return { expiresInSeconds: Math.min(Math.max(lifetimeSeconds, 1), policy.maxLifetimeSeconds) };
}

export async function rotateToken(context: ServiceContext, actor: Actor, id: string, input: RotateTokenInput): Promise<RotatedToken> {
  const row = await loadVisibleToken(context, actor, id, 'tokens:write', 'token.rotate');
  const rotated = auditedChange(context, actor, (transaction, now) => rotateWithin(context, transaction, now, id, input));
  return forgetAfterCommit(context, row.hash, rotated);
}

/** Lets a token's holder replace it before expiry when its keyspace policy allows self-rotation. */
export async function selfRotateToken(
  context: ServiceContext,
  presented: { id: string; keyspace: string; hash: string },
  actor: Actor,
  input: RotateTokenInput,
): Promise<RotatedToken> {
  const keyspace = await requireKeyspace(context, presented.keyspace);
  const policy = await effectivePolicyOf(context.db, keyspace);
  if (!policy.allowSelfRotation) {
    await recordAudit(context, actor, {
      action: 'token.self_rotate',
      target: { type: 'token', id: presented.id },
      keyspace: keyspace.name,
      outcome: 'denied',
      details: { reason: 'self_rotation_not_allowed' },
    });
    throw new TesseraError(
      'FORBIDDEN',
      `keyspace '${keyspace.name}' does not allow self-rotation; ask an admin to rotate the token or to set allowSelfRotation in the policy`,
    );
  }
  // A holder may shorten the overlap but not extend it: a stolen token must not outlive the policy's grace.
  if (input.gracePeriodSeconds !== undefined && input.gracePeriodSeconds > policy.gracePeriodSeconds) {
    throw new TesseraError(
      'POLICY_VIOLATION',
      `gracePeriodSeconds: self-rotation allows at most the keyspace's grace period (${formatDuration(policy.gracePeriodSeconds)}); request a shorter one or ask an admin`,
      { field: 'gracePeriodSeconds' },
    );
  }

  const rotated = auditedChange(context, actor, async (transaction, now) => {
    const outcome = await rotateWithin(context, transaction, now, presented.id, input);
    return { ...outcome, audit: { ...outcome.audit, action: 'token.self_rotate' } };
  });
  return forgetAfterCommit(context, presented.hash, rotated);
}
