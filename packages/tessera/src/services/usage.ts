import { validationError } from '../core/errors.js';
import { bucketStart, stepMilliseconds } from '../core/usage-buckets.js';
import type { UsageStep } from '../store/schema.js';
import { findTokenById } from '../store/token-repository.js';
import { findUsageCounts, findUsageHistory } from '../store/usage-repository.js';
import type { Actor } from './actor.js';
import { isKeyspaceVisible, keyspaceVisibility, requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { notFound } from './tokens.js';

export { usageSteps } from '../core/usage-buckets.js';
/** Buckets one request may return; a longer range needs a coarser step. */
export const maxUsageBuckets = 1440;
const defaultRange: Record<UsageStep, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };

export interface UsageQueryInput {
  from?: string | undefined;
  to?: string | undefined;
  step?: UsageStep | undefined;
}

/** One time bucket of a token's usage. */
export interface UsageBucket {
  start: string;
  total: number;
  /** Verifications by result code. */
  codes: Record<string, number>;
  /** Verifications by source network (/24 for IPv4, /48 for IPv6). */
  networks: Record<string, number>;
  /** Valid verifications by the scope the caller required. */
  scopes: Record<string, number>;
}

export interface TokenUsage {
  tokenId: string;
  step: UsageStep;
  from: string;
  to: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  buckets: UsageBucket[];
}

function parseTime(field: 'from' | 'to', text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw validationError(field, `'${text.slice(0, 40)}' is not an ISO 8601 date-time; use e.g. 2027-01-31T00:00:00Z`);
  return time;
}

/**
 * Returns a token's usage in buckets of `step` from `from` to `to` (default: the last hour by
 * minute, day by hour, or 30 days by day), with empty buckets filled in. This node's pending
 * usage is written first; other nodes' shows after their next flush.
 */
export async function getTokenUsage(context: ServiceContext, actor: Actor, tokenId: string, input: UsageQueryInput): Promise<TokenUsage> {
  const row = await findTokenById(context.db, tokenId);
  // A token in a keyspace the actor cannot see reads as absent, so ids reveal nothing.
  if (!row || !isKeyspaceVisible(keyspaceVisibility(actor), row.keyspace_name)) throw notFound(tokenId);
  await requirePermission(context, actor, { scope: 'usage:read', keyspace: row.keyspace_name, action: 'usage.read', target: { type: 'token', id: tokenId } });

  const step = input.step ?? 'hour';
  const to = parseTime('to', input.to, context.clock.now());
  const from = bucketStart(step, parseTime('from', input.from, to - defaultRange[step]));
  if (from >= to) throw validationError('from', 'must be before to; swap them or widen the range');
  const bucketCount = Math.ceil((to - from) / stepMilliseconds[step]);
  if (bucketCount > maxUsageBuckets) {
    throw validationError('from', `the range contains ${bucketCount} ${step} buckets, more than ${maxUsageBuckets}; use a coarser step or a shorter range`);
  }

  await context.usage.flush();
  const rows = await findUsageCounts(context.db, { tokenId, step, from, to });
  const buckets = new Map<number, UsageBucket>();
  for (let start = from; start < to; start += stepMilliseconds[step]) {
    buckets.set(start, { start: new Date(start).toISOString(), total: 0, codes: {}, networks: {}, scopes: {} });
  }
  for (const count of rows) {
    const bucket = buckets.get(count.bucket_start);
    if (!bucket) continue;
    const value = Number(count.count);
    if (count.dimension === 'code') {
      bucket.codes[count.value] = value;
      bucket.total += value;
    } else if (count.dimension === 'network') bucket.networks[count.value] = value;
    else bucket.scopes[count.value] = value;
  }

  return {
    tokenId,
    step,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    lastUsedIp: row.last_used_ip,
    buckets: [...buckets.values()],
  };
}

/**
 * Returns the scopes a token has been verified for (the scopes callers required on its valid
 * verifications) within day retention, or undefined when no usage of it is recorded at all.
 * Usage still in a node's buffer is not included.
 */
export async function scopesUsedByToken(context: ServiceContext, tokenId: string): Promise<Set<string> | undefined> {
  const history = await findUsageHistory(context.db, [tokenId]);
  if (history.length === 0) return undefined;
  return new Set(history.filter((entry) => entry.dimension === 'scope').map((entry) => entry.value));
}
