import { sql } from 'kysely';
import { tokenStates } from '../core/token-state.js';
import type { ServiceContext } from './context.js';

const expiringWindowMilliseconds = 7 * 86_400_000;

/** Counts tokens by the state a reader sees now: a stored active token past its expiry counts as expired. */
async function countTokensByState(context: ServiceContext, now: number): Promise<Map<string, number>> {
  const rows = await context.db
    .selectFrom('tokens')
    .select([
      sql<string>`case when state = 'active' and expires_at is not null and expires_at <= ${now} then 'expired' else state end`.as('effective_state'),
      (eb) => eb.fn.countAll<number>().as('count'),
    ])
    .groupBy('effective_state')
    .execute();
  return new Map(rows.map((row) => [row.effective_state, Number(row.count)]));
}

/** Attaches the gauges read at scrape time: tokens by state, tokens expiring soon, cache hit ratio and usage queue depth. */
export function registerStateGauges(context: ServiceContext): void {
  const { metrics } = context;

  metrics.addGauge('tessera_tokens', 'Tokens by state.', ['state'], async (gauge) => {
    const counts = await countTokensByState(context, context.clock.now());
    for (const state of tokenStates) gauge.set({ state }, counts.get(state) ?? 0);
  });

  metrics.addGauge('tessera_tokens_expiring_7d', 'Active tokens that expire within 7 days.', [], async (gauge) => {
    const now = context.clock.now();
    const row = await context.db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('state', '=', 'active')
      .where('expires_at', '>', now)
      .where('expires_at', '<=', now + expiringWindowMilliseconds)
      .executeTakeFirst();
    gauge.set(Number(row?.count ?? 0));
  });

  metrics.addGauge('tessera_verification_cache_hit_ratio', 'Share of verification cache lookups that hit, since start.', [], (gauge) => {
    const lookups = context.cache.hits + context.cache.misses;
    gauge.set(lookups === 0 ? 0 : context.cache.hits / lookups);
  });

  metrics.addGauge('tessera_usage_queue_depth', 'Usage buffer entries waiting for the next flush.', [], (gauge) => {
    gauge.set(context.usage.queueDepth);
  });
}
