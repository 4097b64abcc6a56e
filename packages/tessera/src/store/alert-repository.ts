import type { AlertRow, Executor } from './schema.js';

export async function insertAlert(executor: Executor, row: AlertRow): Promise<void> {
  await executor.insertInto('alerts').values(row).execute();
}

export async function updateAlert(executor: Executor, id: string, changes: Partial<Omit<AlertRow, 'id'>>): Promise<void> {
  await executor.updateTable('alerts').set(changes).where('id', '=', id).execute();
}

export async function findAlert(executor: Executor, id: string): Promise<AlertRow | undefined> {
  return executor.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Returns the open alert of this type about this subject, which a repeated finding updates instead of adding another. */
export async function findOpenAlert(executor: Executor, type: string, subjectId: string | null): Promise<AlertRow | undefined> {
  let select = executor.selectFrom('alerts').selectAll().where('status', '=', 'open').where('type', '=', type);
  select = subjectId === null ? select.where('subject_id', 'is', null) : select.where('subject_id', '=', subjectId);
  return select.executeTakeFirst();
}

export async function findOpenAlertsAbout(executor: Executor, subjectId: string): Promise<AlertRow[]> {
  return executor.selectFrom('alerts').selectAll().where('status', '=', 'open').where('subject_id', '=', subjectId).execute();
}

export interface AlertListQuery {
  status?: string | undefined;
  type?: string | undefined;
  /** Only alerts of these keyspaces (and none without one); undefined means all. */
  keyspaces?: readonly string[] | undefined;
  before?: string | undefined;
  limit: number;
}

/** Lists alerts newest first. */
export async function listAlerts(executor: Executor, query: AlertListQuery): Promise<AlertRow[]> {
  let select = executor.selectFrom('alerts').selectAll().orderBy('id', 'desc').limit(query.limit);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (query.type !== undefined) select = select.where('type', '=', query.type);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  if (query.keyspaces !== undefined) {
    if (query.keyspaces.length === 0) return [];
    select = select.where('keyspace', 'in', [...query.keyspaces]);
  }
  return select.execute();
}
