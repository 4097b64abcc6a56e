import { sql } from 'kysely';
import type { EventRow, Executor } from './schema.js';

/**
 * Returns the next sequence number. Events are written only inside a transaction that has locked the audit
 * head, so no other writer can take the same number between this read and the insert.
 */
export async function nextEventSeq(executor: Executor): Promise<number> {
  const row = await executor
    .selectFrom('events')
    .select(sql<number | string | null>`max(seq)`.as('last'))
    .executeTakeFirst();
  return Number(row?.last ?? 0) + 1;
}

export async function insertEventRows(executor: Executor, rows: readonly EventRow[]): Promise<void> {
  if (rows.length > 0)
    await executor
      .insertInto('events')
      .values([...rows])
      .execute();
}

export interface EventListQuery {
  /** Only events after this sequence number, oldest first. */
  afterSeq: number;
  types?: readonly string[] | undefined;
  subjectId?: string | undefined;
  /** Only events of these keyspaces (and none without one); undefined means all. */
  keyspaces?: readonly string[] | undefined;
  limit: number;
}

export async function listEventRows(executor: Executor, query: EventListQuery): Promise<EventRow[]> {
  let select = executor.selectFrom('events').selectAll().where('seq', '>', query.afterSeq).orderBy('seq', 'asc').limit(query.limit);
  if (query.types !== undefined && query.types.length > 0) select = select.where('type', 'in', [...query.types]);
  if (query.subjectId !== undefined) select = select.where('subject_id', '=', query.subjectId);
  if (query.keyspaces !== undefined) {
    if (query.keyspaces.length === 0) return [];
    select = select.where('keyspace', 'in', [...query.keyspaces]);
  }
  return select.execute();
}
