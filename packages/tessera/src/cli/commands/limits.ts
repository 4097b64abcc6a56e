import { InvalidArgumentError, type Command } from 'commander';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { TesseraError } from '../../core/errors.js';
import type { RateLimit, TokenLimits } from '../../core/limits.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson } from '../output.js';
import { collect } from '../settings.js';

/** Parses `100/1s` (at most 100 calls per second) for commander. */
function rateLimitOption(value: string, previous: RateLimit[] = []): RateLimit[] {
  const match = /^(\d{1,10})\/(.+)$/.exec(value.trim());
  const windowSeconds = match ? parseDuration(match[2]!) : null;
  if (!match || windowSeconds === null || windowSeconds < 1) {
    throw new InvalidArgumentError(`'${value}' is not a rate limit; use calls/window, e.g. 100/1s or 10000/1d`);
  }
  return [...previous, { limit: Number(match[1]), windowSeconds }];
}

/** Parses `5000` or `5000/30d` (5000 uses, refilled every 30 days) for commander. */
function quotaOption(value: string): NonNullable<TokenLimits['quota']> {
  const match = /^(\d{1,13})(?:\/(.+))?$/.exec(value.trim());
  const refillSeconds = match?.[2] === undefined ? undefined : parseDuration(match[2]);
  if (!match || refillSeconds === null) throw new InvalidArgumentError(`'${value}' is not a quota; use uses or uses/refill period, e.g. 5000 or 5000/30d`);
  return refillSeconds === undefined ? { uses: Number(match[1]) } : { uses: Number(match[1]), refillSeconds };
}

function describeLimits(limits: TokenLimits | null | undefined): [string, string | null][] {
  if (!limits) return [['limits', 'keyspace policy only']];
  return [
    ['rate limits', limits.rateLimits?.map((rateLimit) => `${rateLimit.limit}/${formatDuration(rateLimit.windowSeconds)}`).join(', ') || null],
    ['quota', limits.quota ? `${limits.quota.uses}${limits.quota.refillSeconds ? ` per ${formatDuration(limits.quota.refillSeconds)}` : ''}` : null],
    ['allowed networks', limits.allowedNetworks?.join(', ') ?? null],
  ];
}

export function registerLimitCommands(program: Command, withClient: WithClient): void {
  program
    .command('limits')
    .description("set a token's own rate limits, quota and allowed networks; they replace the keyspace policy's")
    .argument('<token-id>', 'id of the token')
    .option('--rate-limit <calls/window>', 'at most this many verifications per window, e.g. 100/1s; repeat for several windows', rateLimitOption)
    .option('--quota <uses[/refill]>', 'verifications in all, or per refill period, e.g. 5000/30d', quotaOption)
    .option('--allow <cidr>', 'allowed source network, IPv4 or IPv6, e.g. 203.0.113.0/24; repeat or separate with commas', collect)
    .option('--clear', "remove the token's own limits, so only the keyspace policy's apply", false)
    .action((id: string, options: { rateLimit?: RateLimit[]; quota?: TokenLimits['quota']; allow?: string[]; clear: boolean }) =>
      withClient(async (client, globals) => {
        const set = options.rateLimit !== undefined || options.quota !== undefined || options.allow !== undefined;
        if (set === options.clear) throw new TesseraError('VALIDATION_FAILED', 'give --rate-limit, --quota or --allow, or --clear alone');

        const limits: TokenLimits | null = options.clear ? null : { rateLimits: options.rateLimit, quota: options.quota, allowedNetworks: options.allow };
        const token = await client.setTokenLimits(id, limits);
        if (globals.json) printJson(token);
        else printDetails([['token', token.id], ...describeLimits(token.limits)]);
      }),
    );
}
