import type { Transaction } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { maskTokensInText, tokenHint } from '../core/token-format.js';
import { effectiveState } from '../core/token-state.js';
import type { Schema } from '../store/schema.js';
import { findTokenById } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord, type ChangeOutcome } from './audit-trail.js';
import { isKeyspaceVisible, keyspaceVisibility, requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { eventAbout } from './events.js';
import { rotateWithin, type RotatedToken } from './rotation.js';
import { changeStateWithin, forgetAfterCommit } from './tokens.js';
import type { Token } from './views.js';
import { lookupToken } from './verifier.js';
import type { LeakLocation, LeakOutcome, LeakReportInput } from './leak-report.js';

function notWellFormed(): TesseraError {
  return new TesseraError('VALIDATION_FAILED', 'token: not a Tessera token (its checksum does not match); report only tokens the scanner verified', {
    field: 'token',
  });
}

/** Returns a copy of the location that is safe to store: a token pasted into the path is masked. */
function safeLocation(where: LeakLocation): LeakLocation {
  return {
    source: where.source,
    path: maskTokensInText(where.path),
    ...(where.line === undefined ? {} : { line: where.line }),
    ...(where.commit ? { commit: where.commit } : {}),
  };
}

/**
 * Looks a leaked token up by its keyed hash and applies the response. `alert` records a leaked
 * event, and `revoke` and `rotate` also end the token, in the same transaction. Tokens the actor
 * may not see read as not found.
 */
export async function reportLeak(context: ServiceContext, actor: Actor, input: LeakReportInput): Promise<LeakOutcome> {
  await requirePermission(context, actor, { scope: 'leaks:report', action: 'token.leak_report' });

  const lookup = await lookupToken(context, input.token);
  if (lookup === 'MALFORMED') throw notWellFormed();
  const hint = tokenHint(input.token);
  const notFound: LeakOutcome = {
    found: false,
    live: false,
    tokenId: null,
    keyspace: null,
    owner: null,
    state: null,
    hint,
    response: input.response,
    action: 'none',
  };
  if (lookup === null || !isKeyspaceVisible(keyspaceVisibility(actor), lookup.keyspaceName)) return notFound;

  const now = context.clock.now();
  const state = effectiveState(lookup.state, lookup.expiresAt, now);
  const outcome: LeakOutcome = {
    found: true,
    live: state === 'active',
    tokenId: lookup.id,
    keyspace: lookup.keyspaceName,
    owner: lookup.owner,
    state,
    hint,
    response: input.response,
    action: 'none',
  };
  if (input.response === 'none') return outcome;

  const where = safeLocation(input.where);
  const tokenId = lookup.id;
  const foundAt = `${where.path}${where.line ? `:${where.line}` : ''}`;
  const ending = input.response === 'revoke' || input.response === 'rotate';
  if (ending) await requirePermission(context, actor, { scope: 'tokens:write', keyspace: lookup.keyspaceName, action: `token.${input.response}` });
  if (!ending) outcome.action = 'recorded';
  else if (!outcome.live) outcome.action = 'inactive';
  else outcome.action = input.response === 'revoke' ? 'revoked' : 'rotated';

  async function respondWithin(transaction: Transaction<Schema>, now: number): Promise<(ChangeOutcome<Token | RotatedToken> & { audit: AuditRecord }) | null> {
    if (outcome.action === 'revoked') {
      return changeStateWithin(context, transaction, now, tokenId, 'revoke', `leaked: found in ${foundAt}`);
    }
    if (outcome.action !== 'rotated') return null;

    // A token that was already rotated is a predecessor in its grace period and its successor is
    // out, so the rest of the rotation is to end it now.
    const current = await findTokenById(transaction, tokenId);
    if (current?.successor_id) {
      outcome.action = 'revoked';
      return changeStateWithin(context, transaction, now, tokenId, 'revoke', `leaked during its rotation grace period: found in ${foundAt}`);
    }
    // Rotation uses no grace period, because the old secret is public.
    return rotateWithin(context, transaction, now, tokenId, { gracePeriodSeconds: 0 });
  }

  // The response and the token.leaked record commit together: a revoked token always has its leak
  // on record, and a recorded revocation always happened. The event feeds webhooks and alerts.
  // Like the audit entry, it names where the token was seen and what was done, never the token.
  const recorded = auditedChange(context, actor, async (transaction, now) => {
    const response = await respondWithin(transaction, now);
    const details = { hint, where, response: input.response, action: outcome.action };
    const audit: AuditRecord = { action: 'token.leaked', target: { type: 'token', id: tokenId }, keyspace: lookup.keyspaceName, outcome: 'success', details };
    return {
      result: response?.result,
      audit: [...(response ? [response.audit] : []), audit],
      events: [...(response?.events ?? []), eventAbout(audit, 'token.leaked', details)],
    };
  });

  const result = await forgetAfterCommit(context, lookup.hash, recorded);
  if (outcome.action === 'revoked') outcome.state = 'revoked';
  if (result && 'secret' in result) outcome.successor = { id: result.token.id, hint: result.token.hint, secret: result.secret };
  return outcome;
}
