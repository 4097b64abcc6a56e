import type { AnomalyRow, Executor } from './schema.js';

/** Stores a finding unless one of the same subject, kind and period exists; returns whether it was new. */
export async function insertAnomalyOnce(executor: Executor, row: AnomalyRow): Promise<boolean> {
  const result = await executor
    .insertInto('anomalies')
    .values(row)
    .onConflict((conflict) => conflict.columns(['subject', 'kind', 'period_start']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listAnomaliesOf(executor: Executor, subject: string): Promise<AnomalyRow[]> {
  return executor.selectFrom('anomalies').selectAll().where('subject', '=', subject).orderBy('detected_at').orderBy('kind').execute();
}

/** The facts anomaly detection needs about each token of a usage batch. */
export interface TokenForAnalysis {
  id: string;
  state: string;
  expires_at: number | null;
  successor_id: string | null;
  keyspace_name: string;
  keyspace_policy: string;
}

export async function findTokensForAnalysis(executor: Executor, ids: readonly string[]): Promise<TokenForAnalysis[]> {
  if (ids.length === 0) return [];
  return executor
    .selectFrom('tokens')
    .innerJoin('keyspaces', 'keyspaces.id', 'tokens.keyspace_id')
    .select(['tokens.id', 'tokens.state', 'tokens.expires_at', 'tokens.successor_id', 'keyspaces.name as keyspace_name', 'keyspaces.policy as keyspace_policy'])
    .where('tokens.id', 'in', [...ids])
    .execute();
}
