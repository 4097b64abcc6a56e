import { sql, type SqlBool } from 'kysely';
import {
  containsPattern,
  containsText,
  escapeLikePattern,
  foldedText,
  orderByKeyset,
  type KeysetOrder,
  type KeysetPosition,
  type SortOrder,
} from './keyset.js';
import type { Dialect, Executor, SecretRow, SecretVersionRow } from './schema.js';

export async function insertSecret(executor: Executor, row: SecretRow): Promise<void> {
  await executor.insertInto('secrets').values(row).execute();
}

export async function insertSecretVersion(executor: Executor, row: SecretVersionRow): Promise<void> {
  await executor.insertInto('secret_versions').values(row).execute();
}

export async function findSecret(executor: Executor, environment: string, name: string): Promise<SecretRow | undefined> {
  return executor.selectFrom('secrets').selectAll().where('environment', '=', environment).where('name', '=', name).executeTakeFirst();
}

export async function findSecretVersion(executor: Executor, secretId: string, version: number): Promise<SecretVersionRow | undefined> {
  return executor.selectFrom('secret_versions').selectAll().where('secret_id', '=', secretId).where('version', '=', version).executeTakeFirst();
}

/** Version numbers and times of a secret, newest first, without the sealed values. */
export async function listSecretVersions(
  executor: Executor,
  secretId: string,
): Promise<Pick<SecretVersionRow, 'version' | 'created_at' | 'created_by' | 'key_version'>[]> {
  return executor
    .selectFrom('secret_versions')
    .select(['version', 'created_at', 'created_by', 'key_version'])
    .where('secret_id', '=', secretId)
    .orderBy('version', 'desc')
    .execute();
}

export type SecretChanges = Partial<Omit<SecretRow, 'id' | 'created_at' | 'created_by'>>;

export async function updateSecret(executor: Executor, id: string, changes: SecretChanges): Promise<void> {
  await executor.updateTable('secrets').set(changes).where('id', '=', id).execute();
}

export async function deleteSecret(executor: Executor, id: string): Promise<void> {
  await executor.deleteFrom('secret_versions').where('secret_id', '=', id).execute();
  await executor.deleteFrom('secrets').where('id', '=', id).execute();
}

/** The columns a secret list sorts by; `id` is the default, oldest first. */
export type SecretSortColumn = 'id' | 'name' | 'expires_at' | 'updated_at';

export interface SecretSort {
  column: SecretSortColumn;
  order: SortOrder;
  /** Start after this row; for name its value is the text as `foldText` returns it. */
  after?: KeysetPosition | undefined;
  /** Decides how names are folded to ignore case, the same on both stores. */
  dialect: Dialect;
}

export interface SecretListQuery {
  environment?: string | undefined;
  owner?: string | undefined;
  provider?: string | undefined;
  /** Text found, ignoring case, in the name, owner, provider, description or a tag. */
  search?: string | undefined;
  /** Without it, rows come by id ascending; ids are UUIDv7, so that is oldest first. */
  sort?: SecretSort | undefined;
  limit: number;
}

function sortKeyOf(sort: SecretSort): KeysetOrder['key'] {
  switch (sort.column) {
    case 'id':
      return null;
    case 'name':
      return foldedText(sort.dialect, sql.ref('name'));
    case 'expires_at':
    case 'updated_at':
      return sql.ref(sort.column);
  }
}

/**
 * Returns a condition that is true when the text occurs in one tag. Tags are stored as a JSON
 * array, so the text is escaped as JSON string content: its quotes then stay escaped, and a match
 * cannot reach across the quotes that separate two tags.
 */
function tagContains(text: string) {
  const content = JSON.stringify(text.toLowerCase()).slice(1, -1);
  return containsPattern([sql.ref<string>('tags')], `%${escapeLikePattern(content)}%`);
}

export async function listSecrets(executor: Executor, query: SecretListQuery): Promise<SecretRow[]> {
  // The dialect matters only for names, so the default id order may name either.
  const sort: SecretSort = query.sort ?? { column: 'id', order: 'asc', dialect: 'sqlite' };
  let select = orderByKeyset(executor.selectFrom('secrets').selectAll(), {
    key: sortKeyOf(sort),
    id: sql.ref('id'),
    order: sort.order,
    after: sort.after,
  }).limit(query.limit);
  if (query.environment !== undefined) select = select.where('environment', '=', query.environment);
  if (query.owner !== undefined) select = select.where('owner', '=', query.owner);
  if (query.provider !== undefined) select = select.where('provider', '=', query.provider);
  if (query.search !== undefined && query.search !== '') {
    const columns = (['name', 'owner', 'provider', 'description'] as const).map((column) => sql.ref<string | null>(column));
    select = select.where(sql<SqlBool>`(${containsText(columns, query.search)} or ${tagContains(query.search)})`);
  }
  return select.execute();
}

/** A current value's fingerprint with the secret it belongs to. */
export interface FingerprintHolder {
  fingerprint: string;
  key_version: number;
  secret_id: string;
  name: string;
  environment: string;
}

/** Returns the secrets whose current values share a fingerprint with another current value. */
export async function listDuplicateFingerprints(executor: Executor): Promise<FingerprintHolder[]> {
  const current = executor
    .selectFrom('secret_versions')
    .innerJoin('secrets', (join) =>
      join.onRef('secrets.id', '=', 'secret_versions.secret_id').onRef('secrets.current_version', '=', 'secret_versions.version'),
    );
  const shared = current
    .select(['secret_versions.fingerprint'])
    .groupBy('secret_versions.fingerprint')
    .having((eb) => eb.fn.countAll(), '>', 1);
  return current
    .select(['secret_versions.fingerprint', 'secret_versions.key_version', 'secrets.id as secret_id', 'secrets.name', 'secrets.environment'])
    .where('secret_versions.fingerprint', 'in', shared)
    .orderBy('secret_versions.fingerprint')
    .orderBy('secrets.environment')
    .orderBy('secrets.name')
    .execute();
}

/** Returns the secrets whose current value has this fingerprint. */
export async function findByFingerprint(executor: Executor, fingerprint: string): Promise<{ name: string; environment: string }[]> {
  return executor
    .selectFrom('secret_versions')
    .innerJoin('secrets', (join) => join.onRef('secrets.id', '=', 'secret_versions.secret_id').onRef('secrets.current_version', '=', 'secret_versions.version'))
    .select(['secrets.name', 'secrets.environment'])
    .where('secret_versions.fingerprint', '=', fingerprint)
    .execute();
}

/** Returns up to `limit` values still wrapped under a master key version older than `currentVersion`. */
export async function listVersionsToRewrap(executor: Executor, currentVersion: number, limit: number): Promise<SecretVersionRow[]> {
  return executor
    .selectFrom('secret_versions')
    .selectAll()
    .where('key_version', '<', currentVersion)
    .orderBy('secret_id')
    .orderBy('version')
    .limit(limit)
    .execute();
}

export async function countVersionsToRewrap(executor: Executor, currentVersion: number): Promise<number> {
  const row = await executor
    .selectFrom('secret_versions')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('key_version', '<', currentVersion)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Replaces a value's wrapped key and fingerprint, only if it is still under the version it was read with. */
export async function replaceWrappedKey(
  executor: Executor,
  row: Pick<SecretVersionRow, 'secret_id' | 'version' | 'wrapped_key' | 'key_version' | 'fingerprint'>,
  previousKeyVersion: number,
): Promise<void> {
  await executor
    .updateTable('secret_versions')
    .set({ wrapped_key: row.wrapped_key, key_version: row.key_version, fingerprint: row.fingerprint })
    .where('secret_id', '=', row.secret_id)
    .where('version', '=', row.version)
    .where('key_version', '=', previousKeyVersion)
    .execute();
}
