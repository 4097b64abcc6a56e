import { LRUCache } from 'lru-cache';
import { decideLimits, quotaPeriod, windowIndex, type EffectiveLimits, type LimitDecision, type WindowCounts } from '../core/limits.js';

/** The store of rate-limit and quota counters: this process, or Redis shared by every node. */
export interface LimitCounters {
  readonly kind: 'in-process' | 'redis';
  /** Counts one use of `tokenId` when every limit has room; rejected uses count nothing. */
  consume(tokenId: string, limits: EffectiveLimits, now: number): LimitDecision | Promise<LimitDecision>;
  close(): Promise<void>;
}

/** Counter keys kept in process; past this the least recently used are dropped, which resets those windows. */
export const maxInProcessCounters = 200_000;

/**
 * Counters in this process's memory: exact for one node and returned without a promise, but each
 * node counts alone, so N nodes admit up to N times a limit.
 * TODO: quota counts start again from zero when the process restarts; set REDIS_URL to keep them.
 */
export class InProcessCounters implements LimitCounters {
  readonly kind = 'in-process';
  private readonly counts = new LRUCache<string, number>({ max: maxInProcessCounters });

  consume(tokenId: string, limits: EffectiveLimits, now: number): LimitDecision {
    const rateKeys = limits.rateLimits.map((rateLimit) => {
      const index = windowIndex(rateLimit.windowSeconds, now);
      return { previous: `${tokenId} r${rateLimit.windowSeconds} ${index - 1}`, current: `${tokenId} r${rateLimit.windowSeconds} ${index}` };
    });
    const rateCounts: WindowCounts[] = rateKeys.map((keys) => ({ previous: this.counts.get(keys.previous) ?? 0, current: this.counts.get(keys.current) ?? 0 }));
    const quotaKey = limits.quota ? `${tokenId} q${limits.quota.refillSeconds ?? 0} ${quotaPeriod(limits.quota, now)}` : null;
    const quotaUsed = quotaKey === null ? 0 : (this.counts.get(quotaKey) ?? 0);

    const decision = decideLimits(limits, rateCounts, quotaUsed, now);
    if (decision.code !== 'VALID') return decision;

    rateKeys.forEach((keys, index) => this.counts.set(keys.current, rateCounts[index]!.current + 1));
    if (quotaKey !== null) this.counts.set(quotaKey, quotaUsed + 1);
    return decision;
  }

  async close(): Promise<void> {}
}
