import type { Executor, SecretRotationRow, SecretRotatorRow } from './schema.js';

export const unfinishedStates = ['pending', 'applied', 'tested'];

export async function findRotator(executor: Executor, secretId: string): Promise<SecretRotatorRow | undefined> {
  return executor.selectFrom('secret_rotators').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
}

export async function saveRotator(executor: Executor, row: SecretRotatorRow): Promise<void> {
  await executor.deleteFrom('secret_rotators').where('secret_id', '=', row.secret_id).execute();
  await executor.insertInto('secret_rotators').values(row).execute();
}

export async function insertRotation(executor: Executor, row: SecretRotationRow): Promise<void> {
  await executor.insertInto('secret_rotations').values(row).execute();
}

export async function findRotation(executor: Executor, id: string): Promise<SecretRotationRow | undefined> {
  return executor.selectFrom('secret_rotations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves a rotation on only from the state it was read in, so two runners never both take a step. Returns whether it moved. */
export async function advanceRotation(executor: Executor, id: string, fromState: string, changes: Partial<SecretRotationRow>): Promise<boolean> {
  const result = await executor.updateTable('secret_rotations').set(changes).where('id', '=', id).where('state', '=', fromState).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findUnfinishedRotation(executor: Executor, secretId: string): Promise<SecretRotationRow | undefined> {
  return executor.selectFrom('secret_rotations').selectAll().where('secret_id', '=', secretId).where('state', 'in', unfinishedStates).executeTakeFirst();
}

export async function listUnfinishedRotations(executor: Executor): Promise<SecretRotationRow[]> {
  return executor.selectFrom('secret_rotations').selectAll().where('state', 'in', unfinishedStates).orderBy('id').execute();
}

/** Returns the completed rotation that replaced this version, if one did. */
export async function findRotationReplacing(executor: Executor, secretId: string, version: number): Promise<SecretRotationRow | undefined> {
  return executor
    .selectFrom('secret_rotations')
    .selectAll()
    .where('secret_id', '=', secretId)
    .where('from_version', '=', version)
    .where('state', '=', 'current')
    .executeTakeFirst();
}

/** Reads one page of a secret's rotations, newest first; ids are UUIDv7, so they sort by start time. */
export async function listRotationPage(executor: Executor, secretId: string, before: string | undefined, limit: number): Promise<SecretRotationRow[]> {
  let select = executor.selectFrom('secret_rotations').selectAll().where('secret_id', '=', secretId);
  if (before !== undefined) select = select.where('id', '<', before);
  return select.orderBy('id', 'desc').limit(limit).execute();
}

/** Returns the newest rotation that reached `current` or `failed`. */
export async function findLastFinishedRotation(executor: Executor, secretId: string): Promise<SecretRotationRow | undefined> {
  return executor
    .selectFrom('secret_rotations')
    .selectAll()
    .where('secret_id', '=', secretId)
    .where('state', 'in', ['current', 'failed'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Returns the newest rotation that made a new version current. */
export async function findLatestCompletedRotation(executor: Executor, secretId: string): Promise<SecretRotationRow | undefined> {
  return executor
    .selectFrom('secret_rotations')
    .selectAll()
    .where('secret_id', '=', secretId)
    .where('state', '=', 'current')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export async function listRotations(executor: Executor, secretId: string): Promise<SecretRotationRow[]> {
  return executor.selectFrom('secret_rotations').selectAll().where('secret_id', '=', secretId).orderBy('id', 'desc').execute();
}
