import { createHash } from 'node:crypto';
import { isInsideWindow, type EffectivePolicy } from '../core/policy-rules.js';
import {
  findActiveTokensInKeyspace,
  findNeverUsedTokensCreatedBefore,
  findTokensExpiringBetweenWithoutNotice,
  findTokensPastExpiry,
  findUnrotatedTokensCreatedBeforeWithoutNotice,
  findUsedTokensUnusedSince,
} from '../store/lifecycle-repository.js';
import { yieldToEventLoop, type Pace } from '../scheduler/pacer.js';
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
/**
 * Tokens per read and per transaction. The size keeps a pass over many tokens short, and keeps
 * locks brief and each synchronous SQLite query short.
 */
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

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Reads tokens a page at a time, calling `pace` before each read, and hands each page to `handle`
 * before reading the next. `readPage` receives the last token of the previous page. With SQLite
 * every query completes synchronously, so a pass that never waited would hold up verification
 * requests until it ends. Single queries still block while they run.
 */
async function forEachPage(
  pace: Pace,
  readPage: (last: TokenWithKeyspace | undefined) => Promise<TokenWithKeyspace[]>,
  handle: (tokens: TokenWithKeyspace[]) => Promise<void>,
): Promise<void> {
  let last: TokenWithKeyspace | undefined;
  for (;;) {
    await pace();
    const tokens = await readPage(last);
    if (tokens.length > 0) await handle(tokens);
    if (tokens.length < batchSize) return;
    last = tokens.at(-1);
  }
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
async function commitNotices(context: ServiceContext, pace: Pace, notices: readonly TokenNotice[], action: string): Promise<number> {
  let sent = 0;
  for (const batch of chunk(notices, batchSize)) {
    await pace();
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
export async function sendExpiryWarnings(context: ServiceContext, pace: Pace, index: PolicyIndex, now: number): Promise<number> {
  // Keyspaces with the same thresholds share each query. Between two neighbouring thresholds the
  // nearest crossed one is fixed, so its notice can be filtered out in SQL.
  const keyspacesByThresholds = new Map<string, { thresholds: number[]; keyspaceIds: string[] }>();
  for (const keyspace of index.keyspaces) {
    const thresholds = index.policyOf(keyspace.id).warnBeforeExpirySeconds;
    if (thresholds.length === 0) continue;
    const group = keyspacesByThresholds.get(thresholds.join(',')) ?? { thresholds, keyspaceIds: [] };
    group.keyspaceIds.push(keyspace.id);
    keyspacesByThresholds.set(thresholds.join(','), group);
  }

  let sent = 0;
  for (const { thresholds, keyspaceIds } of keyspacesByThresholds.values()) {
    // The thresholds are sorted from the farthest to the nearest, so the band of thresholds[i] ends at thresholds[i + 1].
    for (let band = thresholds.length - 1; band >= 0; band -= 1) {
      const nearest = thresholds[band]!;
      const from = band + 1 < thresholds.length ? now + thresholds[band + 1]! * 1000 : now;
      await forEachPage(
        pace,
        (last) =>
          findTokensExpiringBetweenWithoutNotice(context.db, {
            keyspaceIds,
            from,
            until: now + nearest * 1000,
            notice: `expiring:${nearest}`,
            after: last ? { value: last.expires_at!, id: last.id } : null,
            limit: batchSize,
          }),
        async (tokens) => {
          const notices = tokens.map((token): TokenNotice => {
            const remaining = token.expires_at! - now;
            const passed = thresholds.slice(0, band);
            return {
              token,
              keys: [`expiring:${nearest}`, ...passed.map((threshold) => `expiring:${threshold}`)],
              type: 'token.expiring',
              data: { ...describeToken(token), daysLeft: Math.ceil(remaining / day), thresholdSeconds: nearest, expiresAt: isoOrNull(token.expires_at) },
            };
          });
          sent += await commitNotices(context, pace, notices, 'token.expiry_warning');
        },
      );
    }
  }
  return sent;
}

/** Stores the expired state of tokens whose expiry has passed and emits `token.expired` for each. */
export async function markExpiredTokens(context: ServiceContext, pace: Pace, now: number): Promise<number> {
  let marked = 0;
  for (;;) {
    await pace();
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
export async function detectStaleTokens(context: ServiceContext, pace: Pace, index: PolicyIndex, now: number): Promise<number> {
  const periods = index.keyspaces.map((keyspace) => index.policyOf(keyspace.id).staleAfterSeconds).filter((seconds) => seconds !== null);
  if (periods.length === 0) return 0;
  const cutoff = now - Math.min(...periods) * 1000;

  let sent = 0;
  const reportStale = async (tokens: TokenWithKeyspace[]): Promise<void> => {
    const notices: TokenNotice[] = [];
    for (const token of tokens) {
      const staleAfter = index.policyOf(token.keyspace_id).staleAfterSeconds;
      const lastActivity = token.last_used_at ?? token.created_at;
      if (staleAfter === null || lastActivity >= now - staleAfter * 1000) continue;
      notices.push({
        token,
        // Keyed by the last use, so a token used again and then left unused is reported again.
        keys: [`stale:${token.last_used_at ?? 'never'}`],
        type: 'token.stale',
        data: { ...describeToken(token), lastUsedAt: isoOrNull(token.last_used_at), unusedDays: Math.floor((now - lastActivity) / day) },
      });
    }
    sent += await commitNotices(context, pace, notices, 'token.stale');
  };

  // Used and never used tokens are read apart, so each query walks one index range.
  await forEachPage(
    pace,
    (last) => findUsedTokensUnusedSince(context.db, { now, cutoff, after: last ? { value: last.last_used_at!, id: last.id } : null, limit: batchSize }),
    reportStale,
  );
  await forEachPage(
    pace,
    (last) => findNeverUsedTokensCreatedBefore(context.db, { now, cutoff, after: last ? { value: last.created_at, id: last.id } : null, limit: batchSize }),
    reportStale,
  );
  return sent;
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
export async function reportRotationDue(context: ServiceContext, pace: Pace, index: PolicyIndex, now: number): Promise<number> {
  const governed = index.keyspaces.filter((keyspace) => index.policyOf(keyspace.id).rotateAfterSeconds !== null);
  if (governed.length === 0) return 0;
  const shortest = Math.min(...governed.map((keyspace) => index.policyOf(keyspace.id).rotateAfterSeconds!));
  const hour = new Date(now).getUTCHours();

  let sent = 0;
  await forEachPage(
    pace,
    (last) =>
      findUnrotatedTokensCreatedBeforeWithoutNotice(context.db, {
        keyspaceIds: governed.map((keyspace) => keyspace.id),
        now,
        cutoff: now - shortest * 1000,
        after: last ? { value: last.created_at, id: last.id } : null,
        limit: batchSize,
      }),
    async (tokens) => {
      const notices: TokenNotice[] = [];
      for (const token of tokens) {
        const policy = index.policyOf(token.keyspace_id);
        const dueAt = token.created_at + policy.rotateAfterSeconds! * 1000 + rotationOffsetMs(token.id, policy.rotationOffsetSeconds);
        if (dueAt > now || !isInsideWindow(policy.rotationWindow, hour)) continue;
        notices.push({
          token,
          keys: ['rotation_due'],
          type: 'token.rotation_due',
          data: { ...describeToken(token), createdAt: isoOrNull(token.created_at), dueAt: isoOrNull(dueAt) },
        });
      }
      sent += await commitNotices(context, pace, notices, 'token.rotation_due');
    },
  );
  return sent;
}

/** Reports active tokens that break a rule of their keyspace's named policy, once per token and rule. */
export async function reportPolicyViolations(context: ServiceContext, pace: Pace, index: PolicyIndex, now: number): Promise<number> {
  // Only named policies can be stricter than what issuance enforced, and the admin keyspace is exempt from them.
  const governed = index.keyspaces.filter((keyspace) => {
    const source = index.policyOf(keyspace.id).source;
    return keyspace.name !== adminKeyspaceName && (source.attached !== null || source.default !== null);
  });

  let sent = 0;
  for (const keyspace of governed) {
    const policy = index.policyOf(keyspace.id);
    await forEachPage(
      pace,
      (last) => findActiveTokensInKeyspace(context.db, { keyspaceId: keyspace.id, now, afterId: last?.id ?? null, limit: batchSize }),
      async (tokens) => {
        // A token can break several rules, each with its own notice, so the recorded notices are read per page rather than filtered in SQL.
        const noticed = await noticedKeys(context, tokens);
        const notices: TokenNotice[] = [];
        for (const token of tokens) {
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
        sent += await commitNotices(context, pace, notices, 'policy.violation');
      },
    );
  }
  return sent;
}

/**
 * Runs every token check once; each is idempotent, so a run after downtime catches up instead of
 * repeating. Every read and commit of a page waits for `pace` first: the scheduler's pacer in
 * `serve`, and only a yield to the event loop when called directly.
 */
export async function runLifecyclePass(context: ServiceContext, pace: Pace = yieldToEventLoop): Promise<LifecycleSummary> {
  const now = context.clock.now();
  const index = await loadPolicyIndex(context);
  const summary: LifecycleSummary = {
    expiryWarnings: await sendExpiryWarnings(context, pace, index, now),
    expired: await markExpiredTokens(context, pace, now),
    stale: await detectStaleTokens(context, pace, index, now),
    rotationDue: await reportRotationDue(context, pace, index, now),
    policyViolations: await reportPolicyViolations(context, pace, index, now),
  };
  // Charges the last page, so that passes run back to back keep to the share as well.
  await pace();
  return summary;
}
