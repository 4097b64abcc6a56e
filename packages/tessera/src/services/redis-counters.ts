import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { quotaPeriod, quotaRetryAfter, rateLimitRetryAfter, windowIndex, type EffectiveLimits, type LimitDecision } from '../core/limits.js';
import { TesseraError } from '../core/errors.js';
import type { LimitCounters } from './limit-counters.js';

/**
 * Checks every rate limit and the quota and counts the use only when all have room, in one
 * script, so two nodes cannot both take the last use. It applies the sliding window estimate of
 * core/limits.ts: previous * (1 - elapsed fraction) + current.
 * KEYS: previous and current window of each rate limit, then the quota key.
 * ARGV: now, rate limit count, then limit and window (ms) of each, then quota uses (-1 for none)
 * and quota key lifetime (ms, 0 for none).
 * Returns {0} when admitted, {1, index, previous, current} for a full rate limit, {2} for an
 * exhausted quota.
 */
const consumeScript = `
local now = tonumber(ARGV[1])
local rateLimits = tonumber(ARGV[2])
local counts = {}
for i = 1, rateLimits do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  local previous = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local current = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local elapsed = (now % window) / window
  if previous * (1 - elapsed) + current + 1 > limit then
    return {1, i, previous, current}
  end
end
local quotaUses = tonumber(ARGV[3 + 2 * rateLimits])
local quotaKey = KEYS[2 * rateLimits + 1]
if quotaUses >= 0 then
  local used = tonumber(redis.call('GET', quotaKey) or '0')
  if used + 1 > quotaUses then
    return {2}
  end
end
for i = 1, rateLimits do
  redis.call('INCR', KEYS[2 * i])
  redis.call('PEXPIRE', KEYS[2 * i], 2 * tonumber(ARGV[2 + 2 * i]))
end
if quotaUses >= 0 then
  redis.call('INCR', quotaKey)
  local lifetime = tonumber(ARGV[4 + 2 * rateLimits])
  if lifetime > 0 then
    redis.call('PEXPIRE', quotaKey, lifetime)
  end
end
return {0}
`;

type ConsumeReply = [0] | [1, number, number, number] | [2];

interface RedisWithConsume extends Redis {
  tesseraConsume(...args: (string | number)[]): Promise<ConsumeReply>;
}

export interface RedisCountersOptions {
  url: string;
  /** Prepended to every key, so several installations (or tests) can share one Redis. */
  keyPrefix?: string | undefined;
  logger: Logger;
}

/**
 * Counters in Redis, shared by every node, so a limit applies across the cluster. Nodes pass their
 * own clock, so their clocks must agree to well under the shortest window (NTP does this).
 */
export class RedisCounters implements LimitCounters {
  readonly kind = 'redis';
  private readonly redis: RedisWithConsume;
  private readonly prefix: string;

  constructor(options: RedisCountersOptions) {
    this.prefix = options.keyPrefix ?? 'tessera:';
    this.redis = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true }) as RedisWithConsume;
    this.redis.defineCommand('tesseraConsume', { lua: consumeScript });
    this.redis.on('error', (error: Error) => options.logger.warn({ err: error }, 'Redis connection error; limit checks fail until it reconnects'));
  }

  async consume(tokenId: string, limits: EffectiveLimits, now: number): Promise<LimitDecision> {
    // The braces make every key of one token hash to the same Redis Cluster slot, as a script requires.
    const base = `${this.prefix}{${tokenId}}`;
    const keys: string[] = [];
    const rateArguments: number[] = [];
    for (const rateLimit of limits.rateLimits) {
      const index = windowIndex(rateLimit.windowSeconds, now);
      keys.push(`${base}:r${rateLimit.windowSeconds}:${index - 1}`, `${base}:r${rateLimit.windowSeconds}:${index}`);
      rateArguments.push(rateLimit.limit, rateLimit.windowSeconds * 1000);
    }
    const quota = limits.quota;
    keys.push(quota ? `${base}:q${quota.refillSeconds ?? 0}:${quotaPeriod(quota, now)}` : `${base}:q`);

    let reply: ConsumeReply;
    try {
      reply = await this.redis.tesseraConsume(
        keys.length,
        ...keys,
        now,
        limits.rateLimits.length,
        ...rateArguments,
        quota ? quota.uses : -1,
        quota?.refillSeconds ? quota.refillSeconds * 1000 : 0,
      );
    } catch (error) {
      // Fails closed: a token with limits is not admitted while its counters cannot be checked.
      throw new TesseraError('UNAVAILABLE', 'the rate-limit and quota counters in Redis are unreachable; check REDIS_URL and retry', { cause: error });
    }

    if (reply[0] === 0) return { code: 'VALID' };
    if (reply[0] === 2) return { code: 'QUOTA_EXCEEDED', retryAfterMilliseconds: quota ? quotaRetryAfter(quota, now) : null };
    const [, index, previous, current] = reply;
    const rateLimit = limits.rateLimits[index - 1]!;
    return { code: 'RATE_LIMITED', retryAfterMilliseconds: rateLimitRetryAfter({ previous, current }, rateLimit, now) };
  }

  /** Deletes every key under this installation's prefix; tests use it to clean up. */
  async deleteAllKeys(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
