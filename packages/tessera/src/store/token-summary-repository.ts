import { sql, type SelectQueryBuilder } from 'kysely';
import type { Executor, Schema } from './schema.js';
import type { TokenWithKeyspace } from './token-repository.js';

const dayMs = 86_400_000;

export interface TokenSummaryQuery {
  /** Only tokens of these keyspaces; undefined means all. */
  keyspaceIds?: readonly string[] | undefined;
  /** Leave out the tokens of this keyspace. */
  excludedKeyspaceId?: string | undefined;
  now: number;
  /** Length of the expiry timeline, in days from `now`. */
  timelineDays: number;
  /** An active token unused (or, if never used, created) before `now - staleAfterMs` is stale. */
  staleAfterMs: number;
  /** How many of the soonest-expiring active tokens to return. */
  soonestLimit: number;
}

export interface TokenSummaryRows {
  /** Counts by stored state. Active tokens past their expiry are also counted apart, in `expiredActive`. */
  stateCounts: { state: string; count: number }[];
  expiredActive: number;
  /** Active tokens expiring within the timeline, by whole days from `now` (0 is the next 24 hours). */
  expiryDays: { day: number; count: number }[];
  ownerless: number;
  stale: number;
  soonest: TokenWithKeyspace[];
}

type TokenSelect<O> = SelectQueryBuilder<Schema, 'tokens', O>;

/** Reads the aggregates behind the dashboard overview in a few grouped queries, so 10,000 tokens never leave the database. */
export async function readTokenSummary(executor: Executor, query: TokenSummaryQuery): Promise<TokenSummaryRows> {
  if (query.keyspaceIds && query.keyspaceIds.length === 0) {
    return { stateCounts: [], expiredActive: 0, expiryDays: [], ownerless: 0, stale: 0, soonest: [] };
  }

  const { now } = query;
  const visible = <O>(select: TokenSelect<O>): TokenSelect<O> => {
    let limited = select;
    if (query.keyspaceIds) limited = limited.where('tokens.keyspace_id', 'in', [...query.keyspaceIds]);
    if (query.excludedKeyspaceId !== undefined) limited = limited.where('tokens.keyspace_id', '!=', query.excludedKeyspaceId);
    return limited;
  };
  const activeNow = <O>(select: TokenSelect<O>): TokenSelect<O> =>
    visible(select)
      .where('tokens.state', '=', 'active')
      .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]));
  const count = sql<number>`count(*)`.as('count');

  const stateCounts = await visible(executor.selectFrom('tokens')).select(['tokens.state', count]).groupBy('tokens.state').execute();

  const expiredActive = await visible(executor.selectFrom('tokens'))
    .select(count)
    .where('tokens.state', '=', 'active')
    .where('tokens.expires_at', '<=', now)
    .executeTakeFirstOrThrow();

  // Both dialects truncate the cast toward zero, which is the floor here because expires_at > now.
  const day = sql<number>`cast((tokens.expires_at - ${now}) / ${dayMs} as integer)`;
  const expiryDays = await activeNow(executor.selectFrom('tokens'))
    .select([day.as('days_from_now'), count])
    .where('tokens.expires_at', '<', now + query.timelineDays * dayMs)
    // By the output name: PostgreSQL would see the expression's parameters as different expressions.
    .groupBy(sql.ref('days_from_now'))
    .execute();

  const ownerless = await activeNow(executor.selectFrom('tokens')).select(count).where('tokens.owner', 'is', null).executeTakeFirstOrThrow();

  const staleBefore = now - query.staleAfterMs;
  const stale = await activeNow(executor.selectFrom('tokens'))
    .select(count)
    .where((eb) =>
      eb.or([eb('tokens.last_used_at', '<', staleBefore), eb.and([eb('tokens.last_used_at', 'is', null), eb('tokens.created_at', '<', staleBefore)])]),
    )
    .executeTakeFirstOrThrow();

  const soonest = await activeNow(executor.selectFrom('tokens'))
    .innerJoin('keyspaces', 'keyspaces.id', 'tokens.keyspace_id')
    .selectAll('tokens')
    .select('keyspaces.name as keyspace_name')
    .where('tokens.expires_at', 'is not', null)
    .orderBy('tokens.expires_at', 'asc')
    .orderBy('tokens.id', 'asc')
    .limit(query.soonestLimit)
    .execute();

  return {
    stateCounts: stateCounts.map((row) => ({ state: row.state, count: Number(row.count) })),
    expiredActive: Number(expiredActive.count),
    expiryDays: expiryDays.map((row) => ({ day: Number(row.days_from_now), count: Number(row.count) })),
    ownerless: Number(ownerless.count),
    stale: Number(stale.count),
    soonest,
  };
}
