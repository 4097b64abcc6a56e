import type { EventCursorRow, Executor, SchedulerJobRow, TokenNoticeRow } from './schema.js';

export async function findJob(executor: Executor, name: string): Promise<SchedulerJobRow | undefined> {
  return executor.selectFrom('scheduler_jobs').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Creates the job's row, due at once, unless another node created it first. */
export async function ensureJob(executor: Executor, name: string, dueAt: number): Promise<void> {
  await executor
    .insertInto('scheduler_jobs')
    .values({ name, next_due_at: dueAt, run_count: 0, last_started_at: null, last_finished_at: null, last_outcome: null, last_error: null, last_runner: null })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
}

/**
 * Claims a due run: moves `next_due_at` from the value the caller read to the next due time. Only one
 * node's update matches, so a run is claimed once even where no lock is held. Returns true when claimed.
 */
export async function claimJobRun(executor: Executor, name: string, seenDueAt: number, nextDueAt: number, runner: string, now: number): Promise<boolean> {
  const result = await executor
    .updateTable('scheduler_jobs')
    .set({ next_due_at: nextDueAt, last_started_at: now, last_runner: runner })
    .where('name', '=', name)
    .where('next_due_at', '=', seenDueAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function finishJobRun(executor: Executor, name: string, outcome: { finishedAt: number; error: string | null }): Promise<void> {
  await executor
    .updateTable('scheduler_jobs')
    .set((eb) => ({
      last_finished_at: outcome.finishedAt,
      last_outcome: outcome.error === null ? 'success' : 'failure',
      last_error: outcome.error,
      run_count: eb('run_count', '+', 1),
    }))
    .where('name', '=', name)
    .execute();
}

export async function listJobs(executor: Executor): Promise<SchedulerJobRow[]> {
  return executor.selectFrom('scheduler_jobs').selectAll().orderBy('name').execute();
}

export async function findNotices(executor: Executor, tokenIds: readonly string[]): Promise<TokenNoticeRow[]> {
  if (tokenIds.length === 0) return [];
  return executor
    .selectFrom('token_notices')
    .selectAll()
    .where('token_id', 'in', [...tokenIds])
    .execute();
}

export async function insertNotices(executor: Executor, rows: readonly TokenNoticeRow[]): Promise<void> {
  if (rows.length === 0) return;
  await executor
    .insertInto('token_notices')
    .values([...rows])
    .onConflict((conflict) => conflict.columns(['token_id', 'notice']).doNothing())
    .execute();
}

export async function readCursor(executor: Executor, consumer: string): Promise<number> {
  const row = await executor.selectFrom('event_cursors').select('last_seq').where('consumer', '=', consumer).executeTakeFirst();
  return Number(row?.last_seq ?? 0);
}

export async function writeCursor(executor: Executor, row: EventCursorRow): Promise<void> {
  await executor
    .insertInto('event_cursors')
    .values(row)
    .onConflict((conflict) => conflict.column('consumer').doUpdateSet({ last_seq: row.last_seq, updated_at: row.updated_at }))
    .execute();
}
