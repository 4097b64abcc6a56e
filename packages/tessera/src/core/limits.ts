import { validationError } from './errors.js';
import { parseNetwork, type Network } from './network.js';

/** At most `limit` verifications in any window of `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** `uses` verifications in all, or per period of `refillSeconds` when it is set. */
export interface Quota {
  uses: number;
  refillSeconds?: number | undefined;
}

/** Limits as an admin sets them on a token or as defaults in a keyspace policy. */
export interface TokenLimits {
  rateLimits?: RateLimit[] | undefined;
  quota?: Quota | null | undefined;
  /** CIDR blocks or single addresses, IPv4 or IPv6; a token presented from elsewhere reads as IP_NOT_ALLOWED. */
  allowedNetworks?: string[] | null | undefined;
}

/** Limits in the form the hot path checks them. */
export interface EffectiveLimits {
  rateLimits: RateLimit[];
  quota: Quota | null;
  allowedNetworks: Network[] | null;
}

export const maxRateLimits = 8;
export const maxAllowedNetworks = 256;

/** Checks limits an admin sends; the field names in errors are those of the request body. */
export function validateLimits(field: string, limits: TokenLimits): void {
  const rateLimits = limits.rateLimits ?? [];
  if (rateLimits.length > maxRateLimits) throw validationError(`${field}.rateLimits`, `at most ${maxRateLimits} rate limits are allowed`);
  const windows = new Set(rateLimits.map((rateLimit) => rateLimit.windowSeconds));
  if (windows.size !== rateLimits.length) throw validationError(`${field}.rateLimits`, 'two rate limits have the same windowSeconds; keep one per window');

  const networks = limits.allowedNetworks ?? [];
  if (networks.length > maxAllowedNetworks) throw validationError(`${field}.allowedNetworks`, `at most ${maxAllowedNetworks} networks are allowed`);
  networks.forEach((network, index) => {
    if (parseNetwork(network) === null) {
      throw validationError(
        `${field}.allowedNetworks[${index}]`,
        `'${network.slice(0, 64)}' is not an address or CIDR block; use e.g. 203.0.113.0/24 or 2001:db8::/48`,
      );
    }
  });
}

/** Combines keyspace defaults with a token's own limits; each field the token sets replaces the keyspace's. */
export function effectiveLimits(keyspaceLimits: TokenLimits | undefined, tokenLimits: TokenLimits | null): EffectiveLimits | null {
  const merged: TokenLimits = { ...keyspaceLimits };
  for (const [key, value] of Object.entries(tokenLimits ?? {})) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;

  const rateLimits = merged.rateLimits ?? [];
  const quota = merged.quota ?? null;
  const allowedNetworks = merged.allowedNetworks ? merged.allowedNetworks.map(parseNetwork).filter((network) => network !== null) : null;
  if (rateLimits.length === 0 && quota === null && allowedNetworks === null) return null;
  return { rateLimits, quota, allowedNetworks };
}

/** The counts a sliding window counter keeps: admitted calls in the previous and the current fixed window. */
export interface WindowCounts {
  previous: number;
  current: number;
}

/** The outcome of consuming one use against the rate limits and quota of a token. */
export type LimitDecision =
  { code: 'VALID' } | { code: 'RATE_LIMITED'; retryAfterMilliseconds: number } | { code: 'QUOTA_EXCEEDED'; retryAfterMilliseconds: number | null };

/**
 * Estimates the calls in the window of `windowMilliseconds` ending at `now` with a sliding window
 * counter: the previous fixed window's count weighted by how much of it the sliding window still
 * covers, plus the current one's. It assumes the previous window's calls were spread evenly. So a
 * burst at the very end of one window, followed by calls early in the next, can exceed the limit
 * within one window span. The excess is at most the limit times the share of the window passed.
 */
export function slidingWindowEstimate(counts: WindowCounts, windowMilliseconds: number, now: number): number {
  const elapsed = (now % windowMilliseconds) / windowMilliseconds;
  return counts.previous * (1 - elapsed) + counts.current;
}

/** Returns how long until the estimate falls far enough to admit one more call. */
export function rateLimitRetryAfter(counts: WindowCounts, rateLimit: RateLimit, now: number): number {
  const window = rateLimit.windowSeconds * 1000;
  const elapsed = now % window;
  const room = rateLimit.limit - 1;
  if (counts.current <= room && counts.previous > 0) {
    const until = window * (1 - (room - counts.current) / counts.previous) - elapsed;
    if (until < window - elapsed) return Math.max(1, Math.ceil(until));
  }
  // In the next window the current count becomes the previous one and decays from there.
  const intoNext = counts.current > 0 ? Math.max(0, window * (1 - room / counts.current)) : 0;
  return Math.max(1, Math.ceil(window - elapsed + intoNext));
}

/** Index of the fixed window that contains `now`. */
export function windowIndex(windowSeconds: number, now: number): number {
  return Math.floor(now / (windowSeconds * 1000));
}

/** Index of the quota period that contains `now`; 0 for a quota without refill. */
export function quotaPeriod(quota: Quota, now: number): number {
  return quota.refillSeconds ? Math.floor(now / (quota.refillSeconds * 1000)) : 0;
}

/** Milliseconds until a quota refills, or null when it never does. */
export function quotaRetryAfter(quota: Quota, now: number): number | null {
  if (!quota.refillSeconds) return null;
  const period = quota.refillSeconds * 1000;
  return period - (now % period);
}

/**
 * Decides one use from the counts read: every rate limit must have room and the quota a use
 * left. The caller counts the use only when the decision is VALID, so rejected calls use nothing.
 */
export function decideLimits(limits: EffectiveLimits, rateCounts: readonly WindowCounts[], quotaUsed: number, now: number): LimitDecision {
  let retryAfter = 0;
  limits.rateLimits.forEach((rateLimit, index) => {
    const counts = rateCounts[index] ?? { previous: 0, current: 0 };
    if (slidingWindowEstimate(counts, rateLimit.windowSeconds * 1000, now) + 1 > rateLimit.limit) {
      retryAfter = Math.max(retryAfter, rateLimitRetryAfter(counts, rateLimit, now));
    }
  });
  if (retryAfter > 0) return { code: 'RATE_LIMITED', retryAfterMilliseconds: retryAfter };

  if (limits.quota && quotaUsed + 1 > limits.quota.uses) return { code: 'QUOTA_EXCEEDED', retryAfterMilliseconds: quotaRetryAfter(limits.quota, now) };
  return { code: 'VALID' };
}
