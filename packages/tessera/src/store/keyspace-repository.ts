import type { Executor, KeyspaceRow } from './schema.js';

export async function insertKeyspace(executor: Executor, row: KeyspaceRow): Promise<void> {
  await executor.insertInto('keyspaces').values(row).execute();
}

export async function findKeyspaceByName(executor: Executor, name: string): Promise<KeyspaceRow | undefined> {
  return executor.selectFrom('keyspaces').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findKeyspaceById(executor: Executor, id: string): Promise<KeyspaceRow | undefined> {
  return executor.selectFrom('keyspaces').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findKeyspaceByPrefix(executor: Executor, prefix: string): Promise<KeyspaceRow | undefined> {
  return executor.selectFrom('keyspaces').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

export interface KeyspaceListQuery {
  /** Only these names; undefined means all. */
  names?: readonly string[] | undefined;
  /** Return rows whose name sorts after this one. */
  after?: string | undefined;
  limit: number;
}

export async function listKeyspaces(executor: Executor, query: KeyspaceListQuery): Promise<KeyspaceRow[]> {
  let select = executor.selectFrom('keyspaces').selectAll().orderBy('name').limit(query.limit);
  if (query.names) {
    if (query.names.length === 0) return [];
    select = select.where('name', 'in', [...query.names]);
  }
  if (query.after !== undefined) select = select.where('name', '>', query.after);
  return select.execute();
}
