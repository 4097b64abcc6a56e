import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ServiceContext } from '../services/context.js';

// The first key of PostgreSQL's two-key advisory locks, so Tessera's locks never collide with
// another application's locks on a shared database.
const lockNamespace = 0x7e55e7a;

function lockKey(jobName: string): number {
  return createHash('sha256').update(jobName).digest().readInt32BE(0);
}

/**
 * Runs `work` while holding the job's lock, or returns undefined at once when another node holds it.
 * PostgreSQL: a session advisory lock on one pooled connection, released when `work` ends or, if the
 * node dies, when its connection closes. SQLite serves one server process, so no lock is taken there.
 * The claim of the run (see scheduler.ts) still keeps a second process from running the same slot.
 */
export async function withJobLock<T>(context: ServiceContext, jobName: string, work: () => Promise<T>): Promise<T | undefined> {
  if (context.dialect !== 'postgres') return work();

  return context.db.connection().execute(async (connection) => {
    const key = lockKey(jobName);
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${lockNamespace}, ${key}) as locked`.execute(connection);
    if (!rows[0]?.locked) return undefined;
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${lockNamespace}, ${key})`.execute(connection);
    }
  });
}
