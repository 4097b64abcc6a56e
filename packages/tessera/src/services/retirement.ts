import { formatDuration } from '../core/duration.js';
import { TesseraError, validationError } from '../core/errors.js';
import { effectiveState, type TokenState } from '../core/token-state.js';
import { findKeyspaceByName } from '../store/keyspace-repository.js';
import type { Executor } from '../store/schema.js';
import { sumUsageSince } from '../store/usage-repository.js';
import { findTokenById, updateToken, type TokenWithKeyspace } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import type { ServiceContext } from './context.js';
import { eventAbout } from './events.js';
import { effectivePolicyOf } from './policies.js';
import { forgetAfterCommit, loadVisibleToken } from './tokens.js';
import { isoOrNull } from './views.js';

/** A source network and the verification attempts that came from it. */
export interface NetworkAttempts {
  network: string;
  attempts: number;
}

/** The time and address of a token's last presentation, and its attempts since a time. */
export interface PresentationRecord {
  lastPresentedAt: number | null;
  lastPresentedFrom: string | null;
  /** Verification attempts since `since` with every result code, rejected ones included; null where the usage source does not count them. */
  attemptsSince: number | null;
  /** The source networks of those attempts, most attempts first. */
  networksSince: NetworkAttempts[];
}

/** The seam for usage data, so a test can supply presentations without running verifications. */
export interface PresentationSource {
  presentationsOf(executor: Executor, token: TokenWithKeyspace, since: number): Promise<PresentationRecord>;
}

/**
 * Reads the last successful presentation kept on the token, and the attempts and source networks
 * from the usage counters. The counters start at the first whole minute after `since`, so the
 * rest of the rotation's minute is left out.
 */
export const usageCountSource: PresentationSource = {
  async presentationsOf(executor, token, since) {
    const usage = await sumUsageSince(executor, token.id, since);
    const attempts = [...usage.codes.values()].reduce((sum, count) => sum + count, 0);
    const networks = [...usage.networks].map(([network, count]) => ({ network, attempts: count }));
    networks.sort((left, right) => right.attempts - left.attempts || left.network.localeCompare(right.network));
    return { lastPresentedAt: token.last_used_at, lastPresentedFrom: token.last_used_ip, attemptsSince: attempts, networksSince: networks };
  },
};

/** True when the token was presented or attempted after the rotation, so some consumer still uses it. */
function isStillInUse(presentations: PresentationRecord, rotatedAt: number): boolean {
  const presentedSince = presentations.lastPresentedAt !== null && presentations.lastPresentedAt > rotatedAt;
  return presentedSince || (presentations.attemptsSince ?? 0) > 0;
}

/** Whether a rotated token's holders have switched to the successor, so it can be left to expire. */
export interface RetirementReport {
  tokenId: string;
  successorId: string;
  state: TokenState;
  rotatedAt: string;
  graceEndsAt: string | null;
  /** True when the token was presented or attempted after the rotation: some consumer still uses it. */
  stillInUse: boolean;
  lastPresentedAt: string | null;
  lastPresentedFrom: string | null;
  attemptsSinceRotation: number | null;
  /** The source networks the token was presented from since the rotation, most attempts first. */
  networksSinceRotation: NetworkAttempts[];
  /** Whether the grace period may be extended now: only while the token is active and still in use. */
  canExtendGrace: boolean;
}

async function loadRotated(
  context: ServiceContext,
  executor: Executor,
  id: string,
): Promise<{ token: TokenWithKeyspace; rotatedAt: number; successorId: string }> {
  const token = await findTokenById(executor, id);
  if (!token) throw new TesseraError('NOT_FOUND', `token '${id.slice(0, 80)}' does not exist; list tokens to find its id`, { field: 'id' });
  if (token.successor_id === null && token.predecessor_id !== null) {
    throw new TesseraError(
      'CONFLICT',
      `token '${id}' is the successor of '${token.predecessor_id}'; the grace period belongs to the rotated token, so pass '${token.predecessor_id}' instead`,
    );
  }
  if (token.successor_id === null)
    throw new TesseraError('CONFLICT', `token '${id}' has not been rotated, so it has no predecessor grace period; rotate it first`);
  const successor = await findTokenById(executor, token.successor_id);
  return { token, rotatedAt: successor?.created_at ?? token.updated_at, successorId: token.successor_id };
}

async function buildReport(context: ServiceContext, source: PresentationSource, id: string): Promise<RetirementReport> {
  const { token, rotatedAt, successorId } = await loadRotated(context, context.db, id);
  const presentations = await source.presentationsOf(context.db, token, rotatedAt);
  const state = effectiveState(token.state as TokenState, token.expires_at, context.clock.now());
  const stillInUse = isStillInUse(presentations, rotatedAt);
  return {
    tokenId: token.id,
    successorId,
    state,
    rotatedAt: new Date(rotatedAt).toISOString(),
    graceEndsAt: isoOrNull(token.expires_at),
    stillInUse,
    lastPresentedAt: isoOrNull(presentations.lastPresentedAt),
    lastPresentedFrom: presentations.lastPresentedFrom,
    attemptsSinceRotation: presentations.attemptsSince,
    networksSinceRotation: presentations.networksSince,
    canExtendGrace: state === 'active' && stillInUse,
  };
}

/** Reports whether a rotated token is still presented, and from where, so its owner knows whether every consumer switched. */
export async function getRetirementReport(
  context: ServiceContext,
  actor: Actor,
  id: string,
  source: PresentationSource = usageCountSource,
): Promise<RetirementReport> {
  await loadVisibleToken(context, actor, id, 'tokens:read', 'token.retirement');
  // Pending last-used times and usage counters are written first, so a presentation seconds ago counts.
  await context.usage.flush();
  return buildReport(context, source, id);
}

/**
 * Moves a rotated token's grace end later while it is still presented, so a consumer that has not
 * switched keeps working. Each extension is at most the policy's grace period, and the grace end
 * never goes past the rotation time plus the policy's maximum lifetime.
 */
export async function extendGracePeriod(
  context: ServiceContext,
  actor: Actor,
  id: string,
  input: { extendBySeconds: number },
  source: PresentationSource = usageCountSource,
): Promise<RetirementReport> {
  const row = await loadVisibleToken(context, actor, id, 'tokens:write', 'token.extend_grace');
  if (!Number.isInteger(input.extendBySeconds) || input.extendBySeconds < 60)
    throw validationError('extendBySeconds', 'must be a whole number of seconds, at least 60');
  await context.usage.flush();

  const extended = auditedChange(context, actor, async (transaction, now) => {
    const { token, rotatedAt } = await loadRotated(context, transaction, id);
    const keyspace = await findKeyspaceByName(transaction, token.keyspace_name);
    const policy = await effectivePolicyOf(transaction, keyspace!);
    const presentations = await source.presentationsOf(transaction, token, rotatedAt);

    const state = effectiveState(token.state as TokenState, token.expires_at, now);
    if (state !== 'active') throw new TesseraError('CONFLICT', `token '${id}' is ${state}; only an active predecessor's grace period can be extended`);
    if (!isStillInUse(presentations, rotatedAt)) {
      throw new TesseraError('CONFLICT', `token '${id}' has not been presented since its rotation, so nothing needs it; let its grace period end`);
    }
    if (input.extendBySeconds > policy.gracePeriodSeconds) {
      throw new TesseraError(
        'POLICY_VIOLATION',
        `extendBySeconds: one extension may add at most the policy's grace period (${formatDuration(policy.gracePeriodSeconds)}); extend again later if needed`,
        { field: 'extendBySeconds' },
      );
    }
    const newExpiry = token.expires_at! + input.extendBySeconds * 1000;
    const latest = rotatedAt + policy.maxLifetimeSeconds * 1000;
    if (newExpiry > latest) {
      throw new TesseraError(
        'POLICY_VIOLATION',
        `extendBySeconds: the grace period cannot end after ${new Date(latest).toISOString()}, the policy's maximum lifetime after the rotation`,
        {
          field: 'extendBySeconds',
        },
      );
    }

    await updateToken(transaction, id, { expires_at: newExpiry, updated_at: now });
    const audit = {
      action: 'token.extend_grace',
      target: { type: 'token', id },
      keyspace: token.keyspace_name,
      outcome: 'success',
      details: {
        hint: token.hint,
        extendBySeconds: input.extendBySeconds,
        graceEndsAt: isoOrNull(newExpiry),
        previousGraceEndsAt: isoOrNull(token.expires_at),
      },
    } as const;
    return { result: undefined, audit, events: [eventAbout(audit, 'token.grace_extended', audit.details)] };
  });
  await forgetAfterCommit(context, row.hash, extended);
  return buildReport(context, source, id);
}
