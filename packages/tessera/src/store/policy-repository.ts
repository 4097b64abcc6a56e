import type { Executor, PolicyRow } from './schema.js';

export async function insertPolicy(executor: Executor, row: PolicyRow): Promise<void> {
  await executor.insertInto('policies').values(row).execute();
}

export async function updatePolicy(executor: Executor, id: string, changes: Partial<Omit<PolicyRow, 'id' | 'created_at' | 'created_by'>>): Promise<void> {
  await executor.updateTable('policies').set(changes).where('id', '=', id).execute();
}

export async function deletePolicy(executor: Executor, id: string): Promise<void> {
  await executor.deleteFrom('policies').where('id', '=', id).execute();
}

export async function findPolicyByName(executor: Executor, name: string): Promise<PolicyRow | undefined> {
  return executor.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Returns every policy by name. An installation has a handful, so callers filter attachments in memory. */
export async function listAllPolicies(executor: Executor): Promise<PolicyRow[]> {
  return executor.selectFrom('policies').selectAll().orderBy('name').execute();
}
