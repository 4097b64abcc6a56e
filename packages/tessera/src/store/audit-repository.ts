import type { AuditHeadRow, AuditRow, Executor } from './schema.js';

/**
 * Claims the audit chain's head for this transaction. It is a write, and the first statement of
 * the transaction, so concurrent appends queue here (a row lock in PostgreSQL, the write lock in
 * SQLite) instead of failing on a stale read.
 */
export async function lockAuditHead(executor: Executor, now: number): Promise<AuditHeadRow> {
  await executor.updateTable('audit_head').set({ updated_at: now }).where('id', '=', 1).execute();
  return readAuditHead(executor);
}

export async function readAuditHead(executor: Executor): Promise<AuditHeadRow> {
  return executor.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
}

export async function appendAuditRow(executor: Executor, row: AuditRow): Promise<void> {
  await executor.insertInto('audit_log').values(row).execute();
  await executor.updateTable('audit_head').set({ last_seq: row.seq, last_hash: row.hash }).where('id', '=', 1).execute();
}

export interface AuditListQuery {
  action?: string | undefined;
  targetId?: string | undefined;
  actorId?: string | undefined;
  /** Only entries of these keyspaces; undefined means all. */
  keyspaces?: readonly string[] | undefined;
  /** With `desc` (newest first), entries below this sequence number; with `asc`, entries above it. */
  fromSeq?: number | undefined;
  order: 'asc' | 'desc';
  limit: number;
}

export async function listAuditRows(executor: Executor, query: AuditListQuery): Promise<AuditRow[]> {
  let select = executor.selectFrom('audit_log').selectAll().orderBy('seq', query.order).limit(query.limit);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
  if (query.actorId !== undefined) select = select.where('actor_id', '=', query.actorId);
  if (query.keyspaces !== undefined) {
    if (query.keyspaces.length === 0) return [];
    select = select.where('keyspace', 'in', [...query.keyspaces]);
  }
  if (query.fromSeq !== undefined) select = select.where('seq', query.order === 'desc' ? '<' : '>', query.fromSeq);
  return select.execute();
}

/** Entries in chain order, starting after `afterSeq`; for verification and export. */
export async function readAuditRowsInOrder(executor: Executor, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return executor.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute();
}

/** Reveal entries of one secret that share an actor, address and details, with their count and latest time. */
export interface RevealGroup {
  actor_id: string | null;
  actor_hint: string | null;
  source_ip: string | null;
  /** The entries' JSON details, which name the revealed version and, for the local CLI, the host. */
  details: string;
  reads: number;
  last_read_at: number;
}

/**
 * Groups a secret's `secret.reveal` entries with `occurred_at` in [from, to). Entries from one
 * reader differ only in a few detail fields, so the groups stay few even for a secret read every minute.
 */
export async function groupSecretReveals(executor: Executor, secretId: string, from: number, to: number): Promise<RevealGroup[]> {
  const rows = await executor
    .selectFrom('audit_log')
    .select(['actor_id', 'actor_hint', 'source_ip', 'details'])
    .select((eb) => [eb.fn.countAll<number>().as('reads'), eb.fn.max('occurred_at').as('last_read_at')])
    .where('target_id', '=', secretId)
    .where('action', '=', 'secret.reveal')
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to)
    .groupBy(['actor_id', 'actor_hint', 'source_ip', 'details'])
    .execute();
  return rows.map((row) => ({ ...row, reads: Number(row.reads), last_read_at: Number(row.last_read_at) }));
}
