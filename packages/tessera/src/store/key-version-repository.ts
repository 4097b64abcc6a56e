import type { Executor, KeyVersionRow } from './schema.js';

export async function listKeyVersions(executor: Executor): Promise<KeyVersionRow[]> {
  return executor.selectFrom('key_versions').selectAll().orderBy('version').execute();
}

/** Records a version's fingerprint unless one is already there; several nodes may start at once. */
export async function recordKeyVersion(executor: Executor, row: KeyVersionRow): Promise<void> {
  await executor
    .insertInto('key_versions')
    .values(row)
    .onConflict((conflict) => conflict.column('version').doNothing())
    .execute();
}
