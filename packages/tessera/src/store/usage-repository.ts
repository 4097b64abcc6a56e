import { sql } from 'kysely';
import { bucketStart, stepMilliseconds } from '../core/usage-buckets.js';
import type { Executor, UsageCountRow, UsageDimension, UsageStep } from './schema.js';

// Each statement writes at most this many rows, far below SQLite's limit of bound parameters.
const rowsPerStatement = 500;

/** Adds counts to the stored ones; rows that do not exist yet are created. Safe for several nodes writing the same bucket. */
export async function addUsageCounts(executor: Executor, rows: readonly UsageCountRow[]): Promise<void> {
  for (let index = 0; index < rows.length; index += rowsPerStatement) {
    await executor
      .insertInto('usage_counts')
      .values(rows.slice(index, index + rowsPerStatement))
      .onConflict((conflict) =>
        conflict
          .columns(['token_id', 'step', 'bucket_start', 'dimension', 'value'])
          .doUpdateSet((eb) => ({ count: eb('usage_counts.count', '+', eb.ref('excluded.count')) })),
      )
      .execute();
  }
}

export interface UsageQuery {
  tokenId: string;
  step: UsageStep;
  from: number;
  to: number;
}

/** Reads a token's counters of one step with bucket starts in [from, to), oldest first. */
export async function findUsageCounts(executor: Executor, query: UsageQuery): Promise<UsageCountRow[]> {
  return executor
    .selectFrom('usage_counts')
    .selectAll()
    .where('token_id', '=', query.tokenId)
    .where('step', '=', query.step)
    .where('bucket_start', '>=', query.from)
    .where('bucket_start', '<', query.to)
    .orderBy('bucket_start')
    .orderBy('dimension')
    .orderBy('value')
    .execute();
}

/** The history in a token's day counters: its first day of use and every network and scope ever recorded, with the day each first appeared. */
export interface UsageHistory {
  tokenId: string;
  firstSeenAt: number;
  dimension: UsageDimension;
  value: string;
}

/** Reads the first day each network, scope and result code appeared for the given tokens. */
export async function findUsageHistory(executor: Executor, tokenIds: readonly string[]): Promise<UsageHistory[]> {
  if (tokenIds.length === 0) return [];
  const rows = await executor
    .selectFrom('usage_counts')
    .select(['token_id', 'dimension', 'value', sql<number>`min(bucket_start)`.as('first_seen_at')])
    .where('step', '=', 'day')
    .where('token_id', 'in', [...tokenIds])
    .groupBy(['token_id', 'dimension', 'value'])
    .execute();
  return rows.map((row) => ({ tokenId: row.token_id, dimension: row.dimension, value: row.value, firstSeenAt: Number(row.first_seen_at) }));
}

/** Returns the ids of every token with any recorded usage in the day roll-ups. */
export async function tokenIdsWithUsage(executor: Executor): Promise<string[]> {
  const rows = await executor.selectFrom('usage_counts').select('token_id').distinct().where('step', '=', 'day').execute();
  return rows.map((row) => row.token_id);
}

/** Deletes the counters of `step` whose buckets start before `before`, and returns how many. */
export async function deleteUsageBefore(executor: Executor, step: UsageStep, before: number): Promise<number> {
  const result = await executor.deleteFrom('usage_counts').where('step', '=', step).where('bucket_start', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A token's attempts since a time, per result code and per source network. */
export interface UsageSince {
  codes: Map<string, number>;
  networks: Map<string, number>;
}

/**
 * Sums a token's counters from the first whole minute at or after `since`: minute rows up to the
 * next full hour, hour rows up to the next full day, then day rows. Each attempt is so counted
 * once. The rest of the minute that contains `since` is left out, because its counter cannot tell
 * attempts before `since` from those after.
 * NOTE: minute and hour rows are deleted after their retention (2 and 35 days by default), so for
 * an older `since` the attempts in the rest of its hour or day are missing from the sums.
 */
export async function sumUsageSince(executor: Executor, tokenId: string, since: number): Promise<UsageSince> {
  const containing = bucketStart('minute', since);
  const minuteStart = containing === since ? since : containing + stepMilliseconds.minute;
  const nextHour = bucketStart('hour', since) + stepMilliseconds.hour;
  const nextDay = bucketStart('day', since) + stepMilliseconds.day;

  const rows = await executor
    .selectFrom('usage_counts')
    .select(['dimension', 'value', sql<number>`sum(count)`.as('total')])
    .where('token_id', '=', tokenId)
    .where('dimension', 'in', ['code', 'network'])
    .where((eb) =>
      eb.or([
        eb.and([eb('step', '=', 'minute'), eb('bucket_start', '>=', minuteStart), eb('bucket_start', '<', nextHour)]),
        eb.and([eb('step', '=', 'hour'), eb('bucket_start', '>=', nextHour), eb('bucket_start', '<', nextDay)]),
        eb.and([eb('step', '=', 'day'), eb('bucket_start', '>=', nextDay)]),
      ]),
    )
    .groupBy(['dimension', 'value'])
    .execute();

  const usage: UsageSince = { codes: new Map(), networks: new Map() };
  for (const row of rows) (row.dimension === 'code' ? usage.codes : usage.networks).set(row.value, Number(row.total));
  return usage;
}
