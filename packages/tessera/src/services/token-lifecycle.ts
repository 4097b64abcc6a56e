import { createHash } from 'node:crypto';
import { isInsideWindow, type EffectivePolicy } from '../core/policy-rules.js';
import {
  findTokensExpiringBetween,
  findTokensPastExpiry,
  findTokensUnusedSince,
  findUnrotatedTokensCreatedBefore,
  findActiveTokensIn,
} from '../store/lifecycle-repository.js';
import { findNotices, insertNotices } from '../store/scheduler-repository.js';
import type { KeyspaceRow } from '../store/schema.js';
import type { TokenWithKeyspace } from '../store/token-repository.js';
import { updateToken } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord } from './audit-trail.js';
import type { ServiceContext } from './context.js';
import { eventAbout, type EventType } from './events.js';
import { loadPolicyResolver } from './policies.js';
import { adminKeyspaceName, isoOrNull } from './views.js';

/** The performer of scheduled changes in the audit log. */
export const schedulerActor: Actor = { type: 'local', id: 'tessera:scheduler', hint: null, scopes: ['admin'], keyspaces: null, ip: null };

const day = 86_400_000;
/** Tokens per transaction: large enough to keep a pass over many tokens short, small enough to keep locks brief. */
const batchSize = 250;

/** Counts of the notices and changes one lifecycle pass recorded. */
export interface LifecycleSummary {
  expiryWarnings: number;
  expired: number;
  stale: number;
  rotationDue: number;
  policyViolations: number;
}

/** A notice about one token: the notice keys that record it (so it is never sent twice) and its event. */
interface TokenNotice {
  token: TokenWithKeyspace;
  keys: string[];
  type: EventType;
  data: Record<string, unknown>;
}

interface PolicyIndex {
  keyspaces: KeyspaceRow[];
  policyOf: (keyspaceId: string) => EffectivePolicy;
}

async function loadPolicyIndex(context: ServiceContext): Promise<PolicyIndex> {
  const keyspaces = await context.db.selectFrom('keyspaces').selectAll().execute();
  const resolve = await loadPolicyResolver(context.db);
  const byId = new Map(keyspaces.map((keyspace) => [keyspace.id, resolve(keyspace)]));
  return { keyspaces, policyOf: (keyspaceId) => byId.get(keyspaceId)! };
}

/**
 * Lets queued requests run. With SQLite every query completes synchronously, so a pass that never
 * waits for the event loop would hold up verification requests until it ends. Single queries still block while they run.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** Returns the notice keys already recorded, as "tokenId notice". */
async function noticedKeys(context: ServiceContext, tokens: readonly TokenWithKeyspace[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const part of chunk(tokens, 1000)) {
    for (const row of await findNotices(
      context.db,
      part.map((token) => token.id),
    ))
      keys.add(`${row.token_id} ${row.notice}`);
  }
  return keys;
}

/**
 * Records notices with their events and audit entries, a batch per transaction. Each notice's first
 * key is checked again inside the transaction, so a notice is sent once even if two passes overlap.
 */
async function commitNotices(context: ServiceContext, notices: readonly TokenNotice[], action: string): Promise<number> {
  let sent = 0;
  for (const batch of chunk(notices, batchSize)) {
    await yieldToEventLoop();
    sent += await auditedChange(context, schedulerActor, async (transaction, now) => {
      const existing = new Set(
        (
          await findNotices(
            transaction,
            batch.map((notice) => notice.token.id),
          )
        ).map((row) => `${row.token_id} ${row.notice}`),
      );
      const fresh = batch.filter((notice) => !existing.has(`${notice.token.id} ${notice.keys[0]}`));
      await insertNotices(
        transaction,
        fresh.flatMap((notice) => notice.keys.map((key) => ({ token_id: notice.token.id, notice: key, noticed_at: now }))),
      );

      const audit: AuditRecord[] = fresh.map((notice) => ({
        action,
        target: { type: 'token', id: notice.token.id },
        keyspace: notice.token.keyspace_name,
        outcome: 'success',
        details: notice.data,
      }));
      return { result: fresh.length, audit, events: audit.map((record, index) => eventAbout(record, fresh[index]!.type, fresh[index]!.data)) };
    });
  }
  return sent;
}

function describeToken(token: TokenWithKeyspace): Record<string, unknown> {
  return { name: token.name, hint: token.hint, owner: token.owner };
}

/**
 * Sends each expiry warning threshold once per token. When a pass finds several thresholds crossed
 * (the scheduler was down), it sends the nearest one only and records the others as passed.
 */
export async function sendExpiryWarnings(context: ServiceContext, index: PolicyIndex, now: number): Promise<number> {
  const horizon = Math.max(0, ...index.keyspaces.flatMap((keyspace) => index.policyOf(keyspace.id).warnBeforeExpirySeconds));
  const tokens = await findTokensExpiringBetween(context.db, now, now + horizon * 1000);
  const noticed = await noticedKeys(context, tokens);

  const notices: TokenNotice[] = [];
  for (const token of tokens) {
    const remaining = token.expires_at! - now;
    const crossed = index.policyOf(token.keyspace_id).warnBeforeExpirySeconds.filter((threshold) => remaining <= threshold * 1000);
    const nearest = crossed.at(-1);
    if (nearest === undefined || noticed.has(`${token.id} expiring:${nearest}`)) continue;
    notices.push({
      token,
      keys: [`expiring:${nearest}`, ...crossed.slice(0, -1).map((threshold) => `expiring:${threshold}`)],
      type: 'token.expiring',
      data: { ...describeToken(token), daysLeft: Math.ceil(remaining / day), thresholdSeconds: nearest, expiresAt: isoOrNull(token.expires_at) },
    });
  }
  return commitNotices(context, notices, 'token.expiry_warning');
}

/** Stores the expired state of tokens whose expiry has passed and emits `token.expired` for each. */
export async function markExpiredTokens(context: ServiceContext, now: number): Promise<number> {
  let marked = 0;
  for (;;) {
    await yieldToEventLoop();
    const tokens = await findTokensPastExpiry(context.db, now, batchSize);
    if (tokens.length === 0) return marked;

    marked += await auditedChange(context, schedulerActor, async (transaction) => {
      const audit: AuditRecord[] = [];
      for (const token of tokens) {
        const reason = token.successor_id === null ? 'lifetime_ended' : 'grace_period_ended';
        await updateToken(transaction, token.id, { state: 'expired', state_reason: reason, state_changed_at: token.expires_at, updated_at: now });
        audit.push({
          action: 'token.expire',
          target: { type: 'token', id: token.id },
          keyspace: token.keyspace_name,
          outcome: 'success',
          details: { ...describeToken(token), reason, expiredAt: isoOrNull(token.expires_at) },
        });
      }
      return { result: tokens.length, audit, events: audit.map((record) => eventAbout(record, 'token.expired', record.details ?? {})) };
    });
    for (const token of tokens) context.cache.delete(token.hash);
  }
}

/** Reports tokens unused for their policy's stale-after period, once per period of disuse. */
export async function detectStaleTokens(context: ServiceContext, index: PolicyIndex, now: number): Promise<number> {
  const periods = index.keyspaces.map((keyspace) => index.policyOf(keyspace.id).staleAfterSeconds).filter((seconds) => seconds !== null);
  if (periods.length === 0) return 0;
  const tokens = await findTokensUnusedSince(context.db, now, now - Math.min(...periods) * 1000);
  const noticed = await noticedKeys(context, tokens);

  const notices: TokenNotice[] = [];
  for (const token of tokens) {
    const staleAfter = index.policyOf(token.keyspace_id).staleAfterSeconds;
    const lastActivity = token.last_used_at ?? token.created_at;
    // Keyed by the last use, so a token used again and then left unused is reported again.
    const key = `stale:${token.last_used_at ?? 'never'}`;
    if (staleAfter === null || lastActivity >= now - staleAfter * 1000 || noticed.has(`${token.id} ${key}`)) continue;
    notices.push({
      token,
      keys: [key],
      type: 'token.stale',
      data: { ...describeToken(token), lastUsedAt: isoOrNull(token.last_used_at), unusedDays: Math.floor((now - lastActivity) / day) },
    });
  }
  return commitNotices(context, notices, 'token.stale');
}

/** Returns a stable delay from 0 to `spreadSeconds` for one token, so tokens issued together fall due at different times. */
function rotationOffsetMs(tokenId: string, spreadSeconds: number): number {
  if (spreadSeconds <= 0) return 0;
  return createHash('sha256').update(tokenId).digest().readUInt32BE(0) % (spreadSeconds * 1000);
}

/**
 * Reports tokens older than their policy's rotate-after age. Tessera does not rotate issued tokens
 * on its own, because no client would receive the new plaintext. The holder or its owner rotates on
 * the `token.rotation_due` event, and self-rotation lets a client do it unattended.
 */
export async function reportRotationDue(context: ServiceContext, index: PolicyIndex, now: number): Promise<number> {
  const governed = index.keyspaces.filter((keyspace) => index.policyOf(keyspace.id).rotateAfterSeconds !== null);
  if (governed.length === 0) return 0;
  const shortest = Math.min(...governed.map((keyspace) => index.policyOf(keyspace.id).rotateAfterSeconds!));
  const tokens = await findUnrotatedTokensCreatedBefore(
    context.db,
    governed.map((keyspace) => keyspace.id),
    now,
    now - shortest * 1000,
  );
  const noticed = await noticedKeys(context, tokens);
  const hour = new Date(now).getUTCHours();

  const notices: TokenNotice[] = [];
  for (const token of tokens) {
    const policy = index.policyOf(token.keyspace_id);
    const dueAt = token.created_at + policy.rotateAfterSeconds! * 1000 + rotationOffsetMs(token.id, policy.rotationOffsetSeconds);
    if (dueAt > now || !isInsideWindow(policy.rotationWindow, hour) || noticed.has(`${token.id} rotation_due`)) continue;
    notices.push({
      token,
      keys: ['rotation_due'],
      type: 'token.rotation_due',
      data: { ...describeToken(token), createdAt: isoOrNull(token.created_at), dueAt: isoOrNull(dueAt) },
    });
  }
  return commitNotices(context, notices, 'token.rotation_due');
}

/** Reports active tokens that break a rule of their keyspace's named policy, once per token and rule. */
export async function reportPolicyViolations(context: ServiceContext, index: PolicyIndex, now: number): Promise<number> {
  // Only named policies can be stricter than what issuance enforced, and the admin keyspace is exempt from them.
  const governed = index.keyspaces.filter((keyspace) => {
    const source = index.policyOf(keyspace.id).source;
    return keyspace.name !== adminKeyspaceName && (source.attached !== null || source.default !== null);
  });
  const tokens = await findActiveTokensIn(
    context.db,
    governed.map((keyspace) => keyspace.id),
    now,
  );
  const noticed = await noticedKeys(context, tokens);

  const notices: TokenNotice[] = [];
  for (const token of tokens) {
    const policy = index.policyOf(token.keyspace_id);
    const broken: { rule: string; detail: string }[] = policy.requiredFields
      .filter((field) => !token[field])
      .map((field) => ({ rule: `required_${field}`, detail: `the token has no ${field}` }));
    const lifetime = token.expires_at === null ? null : token.expires_at - token.created_at;
    if (lifetime === null ? !policy.allowNoExpiry : lifetime > policy.maxLifetimeSeconds * 1000) {
      broken.push({ rule: 'max_lifetime', detail: `the token lives longer than ${policy.maxLifetimeSeconds} seconds` });
    }
    for (const { rule, detail } of broken) {
      if (noticed.has(`${token.id} violation:${rule}`)) continue;
      notices.push({ token, keys: [`violation:${rule}`], type: 'policy.violation', data: { ...describeToken(token), rule, detail } });
    }
  }
  return commitNotices(context, notices, 'policy.violation');
}

/** Runs every token check once; each is idempotent, so a run after downtime catches up instead of repeating. */
export async function runLifecyclePass(context: ServiceContext): Promise<LifecycleSummary> {
  const now = context.clock.now();
  const index = await loadPolicyIndex(context);
  return {
    expiryWarnings: await sendExpiryWarnings(context, index, now),
    expired: await markExpiredTokens(context, now),
    stale: await detectStaleTokens(context, index, now),
    rotationDue: await reportRotationDue(context, index, now),
    policyViolations: await reportPolicyViolations(context, index, now),
  };
}
