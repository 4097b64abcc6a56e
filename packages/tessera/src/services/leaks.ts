import { TesseraError } from '../core/errors.js';
import { maskTokensInText, tokenHint } from '../core/token-format.js';
import { effectiveState } from '../core/token-state.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { isKeyspaceVisible, keyspaceVisibility, requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { eventAbout } from './events.js';
import { rotateToken } from './rotation.js';
import { changeTokenState } from './tokens.js';
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
 * event, and `revoke` and `rotate` also end the token through the audited token services.
 * Rotation uses no grace period, because the old secret is public. Tokens the actor may not see
 * read as not found.
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
  if (input.response === 'revoke' || input.response === 'rotate') {
    await requirePermission(context, actor, { scope: 'tokens:write', keyspace: lookup.keyspaceName, action: `token.${input.response}` });
    if (!outcome.live) {
      outcome.action = 'inactive';
    } else if (input.response === 'revoke') {
      await changeTokenState(context, actor, lookup.id, 'revoke', `leaked: found in ${where.path}${where.line ? `:${where.line}` : ''}`);
      outcome.action = 'revoked';
      outcome.state = 'revoked';
    } else {
      const rotated = await rotateToken(context, actor, lookup.id, { gracePeriodSeconds: 0 });
      outcome.action = 'rotated';
      outcome.successor = { id: rotated.token.id, hint: rotated.token.hint, secret: rotated.secret };
    }
  } else {
    outcome.action = 'recorded';
  }

  // The token.leaked event feeds webhooks and alerts. Like the audit entry, it names where the
  // token was seen and what was done, never the token itself.
  const audit = {
    action: 'token.leaked',
    target: { type: 'token', id: lookup.id },
    keyspace: lookup.keyspaceName,
    outcome: 'success' as const,
    details: { hint, where, response: input.response, action: outcome.action },
  };
  await auditedChange(context, actor, async () => ({ result: undefined, audit, events: [eventAbout(audit, 'token.leaked', audit.details)] }));
  return outcome;
}
