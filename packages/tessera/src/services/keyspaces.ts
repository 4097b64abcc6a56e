import { v7 as uuidv7 } from 'uuid';
import { TesseraError, validationError } from '../core/errors.js';
import { validateAnomalyPolicy } from '../core/anomaly-policy.js';
import { validateLimits } from '../core/limits.js';
import { defaultPolicy, type KeyspacePolicy } from '../core/policy.js';
import { isValidPrefix, maskTokensInText } from '../core/token-format.js';
import { maxScopes, scopePattern } from '../core/scopes.js';
import { findKeyspaceByName, findKeyspaceByPrefix, insertKeyspace, listKeyspaces as listKeyspaceRows } from '../store/keyspace-repository.js';
import type { KeyspaceRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { eventAbout } from './events.js';
import { requirePermission, visibleKeyspaces } from './authorization.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, pageSize } from './pagination.js';
import { adminKeyspaceName, toKeyspace, type Keyspace, type Page } from './views.js';

export const keyspaceNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface CreateKeyspaceInput {
  name: string;
  prefix: string;
  description?: string | undefined;
  scopes?: string[] | undefined;
  policy?: Partial<KeyspacePolicy> | undefined;
}

export function validateScopes(field: string, scopes: readonly string[]): void {
  if (scopes.length > maxScopes) throw validationError(field, `at most ${maxScopes} scopes are allowed`);
  scopes.forEach((scope, index) => {
    if (!scopePattern.test(scope)) {
      throw validationError(`${field}[${index}]`, `'${scope.slice(0, 80)}' is not a scope; use resource:action in lowercase, e.g. invoices:read`);
    }
  });
}

export async function createKeyspace(context: ServiceContext, actor: Actor, input: CreateKeyspaceInput): Promise<Keyspace> {
  await requirePermission(context, actor, { scope: 'keyspaces:write', keyspace: input.name, action: 'keyspace.create' });

  if (!keyspaceNamePattern.test(input.name)) {
    throw validationError('name', `'${input.name.slice(0, 80)}' is not a keyspace name; use lowercase letters, digits, '.', '_' or '-', at most 63 characters`);
  }
  if (input.name === adminKeyspaceName) throw validationError('name', `'${adminKeyspaceName}' is reserved for admin tokens; choose another name`);
  if (!isValidPrefix(input.prefix)) {
    throw validationError(
      'prefix',
      `'${input.prefix.slice(0, 80)}' is not a token prefix; use a lowercase letter, then letters, digits or single '_', at most 16 characters and not ending in '_'`,
    );
  }
  validateScopes('scopes', input.scopes ?? []);
  if (input.policy?.limits) validateLimits('policy.limits', input.policy.limits);
  if (input.policy?.anomaly) validateAnomalyPolicy('policy.anomaly', input.policy.anomaly);

  return auditedChange(context, actor, async (transaction, now) => {
    if (await findKeyspaceByName(transaction, input.name))
      throw new TesseraError('CONFLICT', `name: keyspace '${input.name}' already exists; choose another name`, { field: 'name' });
    if (await findKeyspaceByPrefix(transaction, input.prefix)) {
      throw new TesseraError('CONFLICT', `prefix: '${input.prefix}' is already used by another keyspace; choose another prefix`, { field: 'prefix' });
    }

    const row: KeyspaceRow = {
      id: uuidv7(),
      name: input.name,
      prefix: input.prefix,
      description: maskTokensInText(input.description ?? null),
      scopes: JSON.stringify([...new Set(input.scopes ?? [])]),
      policy: JSON.stringify({ ...defaultPolicy, ...input.policy }),
      created_at: now,
      created_by: actor.id,
    };
    await insertKeyspace(transaction, row);
    const audit = {
      action: 'keyspace.create',
      target: { type: 'keyspace', id: row.id },
      keyspace: row.name,
      outcome: 'success',
      details: { name: row.name, prefix: row.prefix },
    } as const;
    return { result: toKeyspace(row), audit, events: [eventAbout(audit, 'keyspace.created', audit.details)] };
  });
}

export async function getKeyspace(context: ServiceContext, actor: Actor, name: string): Promise<Keyspace> {
  await requirePermission(context, actor, { scope: 'keyspaces:read', keyspace: name, action: 'keyspace.read' });
  const row = await findKeyspaceByName(context.db, name);
  if (!row) throw new TesseraError('NOT_FOUND', `keyspace '${name.slice(0, 80)}' does not exist; list keyspaces to see their names`, { field: 'name' });
  return toKeyspace(row);
}

export async function listKeyspaces(
  context: ServiceContext,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<Keyspace>> {
  await requirePermission(context, actor, { scope: 'keyspaces:read', action: 'keyspace.list' });
  const limit = pageSize(query.limit);
  const rows = await listKeyspaceRows(context.db, { names: visibleKeyspaces(actor) ?? undefined, after: decodeCursor(query.cursor), limit });
  const last = rows.at(-1);
  return { items: rows.map(toKeyspace), nextCursor: rows.length === limit && last ? encodeCursor(last.name) : null };
}
