import { v7 as uuidv7 } from 'uuid';
import { TesseraError, validationError } from '../core/errors.js';
import { recogniseProvider } from '../core/providers.js';
import { maskTokensInText } from '../core/token-format.js';
import type { SecretRow } from '../store/schema.js';
import {
  deleteSecret,
  findByFingerprint,
  findSecret,
  insertSecret,
  insertSecretVersion,
  listSecretVersions,
  listSecrets as listSecretRows,
  updateSecret as updateSecretRow,
  type SecretChanges,
  type SecretSortColumn,
} from '../store/secret-repository.js';
import { foldText } from '../store/keyset.js';
import type { Executor } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord } from './audit-trail.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { eventAbout, type EventRecord } from './events.js';
import { chooseSort, decodeSortedCursor, idSortField, nextSortedCursor, pageSize, type SortField } from './pagination.js';
import { sealSecretValue } from './secret-values.js';
import { toSecret, type Secret, type SecretDetails } from './secret-views.js';
import type { Page } from './views.js';

/** Secret names are environment variable names, so `tessera run` can pass every secret as it is named. */
export const secretNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const environmentPattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const providerPattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const maxValueBytes = 64 * 1024;

export interface SecretMetadataInput {
  provider?: string | null | undefined;
  owner?: string | null | undefined;
  description?: string | null | undefined;
  tags?: string[] | undefined;
  /** ISO 8601; null or absent means the expiry is unknown. */
  expiresAt?: string | null | undefined;
  rotationMethod?: string | null | undefined;
}

export interface CreateSecretInput extends SecretMetadataInput {
  name: string;
  environment: string;
  value: string;
}

export interface UpdateSecretInput extends SecretMetadataInput {
  /** A new value becomes the next version; the earlier ones are kept. */
  value?: string | undefined;
}

/** A secret, as another name or environment holding the same value. */
export interface SecretReference {
  name: string;
  environment: string;
}

export interface StoredSecret {
  secret: Secret;
  /** Other secrets whose current value equals this one, found by keyed fingerprint. */
  duplicates: SecretReference[];
}

export function secretNotFound(environment: string, name: string): TesseraError {
  return new TesseraError(
    'NOT_FOUND',
    `secret '${name.slice(0, 130)}' does not exist in environment '${environment.slice(0, 63)}'; list secrets to see their names`,
    {
      field: 'name',
    },
  );
}

export function validateSecretName(name: string): void {
  if (!secretNamePattern.test(name)) {
    throw validationError(
      'name',
      `'${name.slice(0, 80)}' is not a secret name; use letters, digits and '_', starting with a letter or '_', at most 128 characters`,
    );
  }
}

export function validateEnvironment(environment: string): void {
  if (!environmentPattern.test(environment)) {
    throw validationError(
      'environment',
      `'${environment.slice(0, 80)}' is not an environment name; use lowercase letters, digits, '.', '_' or '-', e.g. production`,
    );
  }
}

export function validateValue(value: string): void {
  if (value.length === 0) throw validationError('value', 'must not be empty');
  if (Buffer.byteLength(value, 'utf8') > maxValueBytes) throw validationError('value', `must be at most ${maxValueBytes} bytes`);
}

function parseExpiry(expiresAt: string | null | undefined): number | null | undefined {
  if (expiresAt === undefined || expiresAt === null) return expiresAt;
  const time = Date.parse(expiresAt);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(expiresAt)) {
    throw validationError('expiresAt', `'${expiresAt.slice(0, 40)}' is not an ISO 8601 date; use e.g. 2027-01-31 or 2027-01-31T00:00:00Z`);
  }
  return time;
}

/** Validates metadata and turns it into column values; fields that are absent stay absent. */
export function metadataChanges(input: SecretMetadataInput): SecretChanges {
  const changes: SecretChanges = {};
  if (input.provider !== undefined) {
    if (input.provider !== null && !providerPattern.test(input.provider)) {
      throw validationError('provider', `'${input.provider.slice(0, 80)}' is not a provider name; use lowercase letters, digits, '.', '_' or '-', e.g. stripe`);
    }
    changes.provider = input.provider;
  }
  if (input.owner !== undefined) changes.owner = input.owner === null ? null : maskTokensInText(input.owner.trim()) || null;
  if (input.description !== undefined) changes.description = input.description === null ? null : maskTokensInText(input.description) || null;
  if (input.tags !== undefined) {
    input.tags.forEach((tag, index) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/.test(tag))
        throw validationError(`tags[${index}]`, `'${tag.slice(0, 80)}' is not a tag; use letters, digits, '.', '_', ':' or '-'`);
    });
    changes.tags = JSON.stringify([...new Set(input.tags)]);
  }
  const expiry = parseExpiry(input.expiresAt);
  if (expiry !== undefined) changes.expires_at = expiry;
  if (input.rotationMethod !== undefined) changes.rotation_method = input.rotationMethod;
  return changes;
}

export async function requireSecret(executor: Executor, environment: string, name: string): Promise<SecretRow> {
  const row = await findSecret(executor, environment, name);
  if (!row) throw secretNotFound(environment, name);
  return row;
}

/** Returns the other secrets whose current value has this fingerprint. */
export async function duplicatesOf(executor: Executor, fingerprint: string, self: SecretReference): Promise<SecretReference[]> {
  const holders = await findByFingerprint(executor, fingerprint);
  return holders.filter((holder) => holder.name !== self.name || holder.environment !== self.environment);
}

/** Writes a new secret and its first sealed value; both are written in the caller's transaction. */
export async function insertNewSecret(
  executor: Executor,
  context: ServiceContext,
  actor: Actor,
  input: CreateSecretInput,
  now: number,
): Promise<{ row: SecretRow; fingerprint: string }> {
  if (await findSecret(executor, input.environment, input.name)) {
    throw new TesseraError('CONFLICT', `name: secret '${input.name}' already exists in environment '${input.environment}'; update it instead`, {
      field: 'name',
    });
  }
  const changes = metadataChanges(input);
  const row: SecretRow = {
    id: uuidv7(),
    name: input.name,
    environment: input.environment,
    provider: changes.provider ?? recogniseProvider(input.value),
    owner: changes.owner ?? null,
    description: changes.description ?? null,
    tags: changes.tags ?? '[]',
    expires_at: changes.expires_at ?? null,
    rotation_method: changes.rotation_method ?? null,
    current_version: 1,
    created_at: now,
    updated_at: now,
    last_read_at: null,
    created_by: actor.id,
  };
  const sealed = sealSecretValue(context.keyRing, row.id, 1, input.value);
  await insertSecret(executor, row);
  await insertSecretVersion(executor, { secret_id: row.id, version: 1, ...sealed, created_at: now, created_by: actor.id });
  return { row, fingerprint: sealed.fingerprint };
}

export function secretAudit(action: string, row: SecretRow, details: Record<string, unknown> = {}): AuditRecord {
  return {
    action,
    target: { type: 'secret', id: row.id },
    outcome: 'success',
    details: { name: row.name, environment: row.environment, version: row.current_version, ...details },
  };
}

/** Builds a secret's outbox event; its data names the secret and never carries the value. */
export function secretEvent(type: 'secret.created' | 'secret.updated' | 'secret.removed', row: SecretRow, data: Record<string, unknown> = {}): EventRecord {
  return eventAbout({ target: { type: 'secret', id: row.id }, keyspace: null }, type, {
    name: row.name,
    environment: row.environment,
    version: row.current_version,
    ...data,
  });
}

export async function createSecret(context: ServiceContext, actor: Actor, input: CreateSecretInput): Promise<StoredSecret> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.create' });
  validateSecretName(input.name);
  validateEnvironment(input.environment);
  validateValue(input.value);
  metadataChanges(input);

  return auditedChange(context, actor, async (transaction, now) => {
    const { row, fingerprint } = await insertNewSecret(transaction, context, actor, input, now);
    const duplicates = await duplicatesOf(transaction, fingerprint, row);
    return {
      result: { secret: toSecret(row), duplicates },
      audit: secretAudit('secret.create', row, { provider: row.provider, duplicates: duplicates.length }),
      events: [secretEvent('secret.created', row, { provider: row.provider, owner: row.owner })],
    };
  });
}

export async function updateSecret(context: ServiceContext, actor: Actor, environment: string, name: string, input: UpdateSecretInput): Promise<StoredSecret> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.update' });
  if (input.value !== undefined) validateValue(input.value);
  const changes = metadataChanges(input);

  return auditedChange(context, actor, async (transaction, now) => {
    const current = await requireSecret(transaction, environment, name);
    const row: SecretRow = { ...current, ...changes, updated_at: now };
    let duplicates: SecretReference[] = [];

    if (input.value !== undefined) {
      row.current_version = current.current_version + 1;
      const sealed = sealSecretValue(context.keyRing, row.id, row.current_version, input.value);
      await insertSecretVersion(transaction, { secret_id: row.id, version: row.current_version, ...sealed, created_at: now, created_by: actor.id });
      duplicates = await duplicatesOf(transaction, sealed.fingerprint, row);
    }
    await updateSecretRow(transaction, row.id, { ...changes, current_version: row.current_version, updated_at: now });

    const changed = Object.keys(input).filter((key) => key !== 'value' && input[key as keyof UpdateSecretInput] !== undefined);
    return {
      result: { secret: toSecret(row), duplicates },
      audit: secretAudit('secret.update', row, { changed, newVersion: input.value !== undefined }),
      events: [secretEvent('secret.updated', row, { changed, newVersion: input.value !== undefined })],
    };
  });
}

export async function removeSecret(context: ServiceContext, actor: Actor, environment: string, name: string): Promise<Secret> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.remove' });
  return auditedChange(context, actor, async (transaction) => {
    const row = await requireSecret(transaction, environment, name);
    await deleteSecret(transaction, row.id);
    return { result: toSecret(row), audit: secretAudit('secret.remove', row), events: [secretEvent('secret.removed', row)] };
  });
}

export async function getSecret(context: ServiceContext, actor: Actor, environment: string, name: string): Promise<SecretDetails> {
  await requirePermission(context, actor, { scope: 'secrets:read', action: 'secret.read' });
  const row = await requireSecret(context.db, environment, name);
  const versions = await listSecretVersions(context.db, row.id);
  return {
    ...toSecret(row),
    versions: versions.map((version) => ({
      version: version.version,
      createdAt: new Date(version.created_at).toISOString(),
      createdBy: version.created_by,
      keyVersion: version.key_version,
    })),
  };
}

export interface SecretListInput {
  environment?: string | undefined;
  owner?: string | undefined;
  provider?: string | undefined;
  /** Text found, ignoring case, in the name, owner, provider, description or a tag. */
  q?: string | undefined;
  /** One of `secretSortFields`; without it the list is in id order, oldest first. */
  sort?: string | undefined;
  order?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The fields GET /v1/secrets sorts by, with the column behind each. */
const secretSortColumns = { name: 'name', expiresAt: 'expires_at', updatedAt: 'updated_at' } as const satisfies Record<string, SecretSortColumn>;

export const secretSortFields: readonly SortField[] = Object.keys(secretSortColumns).map((name) => ({ name, kind: name === 'name' ? 'text' : 'time' }));

export async function listSecrets(context: ServiceContext, actor: Actor, query: SecretListInput): Promise<Page<Secret>> {
  await requirePermission(context, actor, { scope: 'secrets:read', action: 'secret.list' });
  const limit = pageSize(query.limit);
  const sort = chooseSort(secretSortFields, query.sort, query.order, 'asc');
  const after = decodeSortedCursor(query.cursor, sort.field, sort.order);

  const column: SecretSortColumn = sort.field === idSortField ? 'id' : secretSortColumns[sort.field.name as keyof typeof secretSortColumns];
  const rows = await listSecretRows(context.db, {
    environment: query.environment,
    owner: query.owner,
    provider: query.provider,
    search: query.q,
    sort: { column, order: sort.order, after, dialect: context.dialect },
    limit,
  });
  const valueOf = (row: SecretRow) => (column === 'name' ? foldText(row.name) : row[column]);
  return { items: rows.map(toSecret), nextCursor: nextSortedCursor(rows, limit, sort, valueOf) };
}
