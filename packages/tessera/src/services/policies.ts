import { v7 as uuidv7 } from 'uuid';
import { TesseraError, validationError } from '../core/errors.js';
import { parsePolicyDefinition, type PolicyDefinition, type PolicySecretGroups } from '../core/policy-definition.js';
import type { KeyspacePolicy } from '../core/policy.js';
import { resolvePolicy, type EffectivePolicy, type PolicyRules } from '../core/policy-rules.js';
import { maskTokensInText } from '../core/token-format.js';
import { findKeyspaceByName } from '../store/keyspace-repository.js';
import { deletePolicy as deletePolicyRow, findPolicyByName, insertPolicy, listAllPolicies, updatePolicy } from '../store/policy-repository.js';
import type { Executor, KeyspaceRow, PolicyRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord } from './audit-trail.js';
import { requirePermission, requireUnlimited } from './authorization.js';
import type { ServiceContext } from './context.js';
import { eventAbout, type EventRecord } from './events.js';
import { keyspaceNamePattern } from './keyspaces.js';

/** A named policy as the API returns it. */
export interface Policy {
  id: string;
  name: string;
  description: string | null;
  default: boolean;
  keyspaces: string[];
  secretGroups: PolicySecretGroups;
  rules: PolicyRules;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
}

export function toPolicy(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    default: row.is_default === 1,
    keyspaces: JSON.parse(row.keyspaces) as string[],
    secretGroups: JSON.parse(row.secret_groups) as PolicySecretGroups,
    rules: JSON.parse(row.rules) as PolicyRules,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    createdBy: row.created_by,
  };
}

function policyNotFound(name: string): TesseraError {
  return new TesseraError('NOT_FOUND', `policy '${name.slice(0, 80)}' does not exist; list policies to see their names`, { field: 'name' });
}

/** Denies a keyspace-limited actor a policy that reaches beyond its keyspaces; the default policy reaches all of them. */
async function requirePolicyScope(context: ServiceContext, actor: Actor, definition: { isDefault: boolean; keyspaces: readonly string[] }, action: string) {
  await requirePermission(context, actor, { scope: 'policies:write', action });
  if (definition.isDefault) await requireUnlimited(context, actor, action);
  for (const keyspace of definition.keyspaces) await requirePermission(context, actor, { scope: 'policies:write', keyspace, action });
}

/** Checks what only the database can tell: the keyspaces exist, and no other policy claims them or the default. */
async function checkAttachments(executor: Executor, definition: PolicyDefinition, ownId: string | null): Promise<void> {
  for (const [index, name] of definition.keyspaces.entries()) {
    if (!(await findKeyspaceByName(executor, name))) throw validationError(`keyspaces[${index}]`, `keyspace '${name}' does not exist; create it first`);
  }
  for (const other of await listAllPolicies(executor)) {
    if (other.id === ownId) continue;
    if (definition.isDefault && other.is_default === 1) {
      throw new TesseraError('CONFLICT', `default: policy '${other.name}' is already the default; set default to false on it first`, { field: 'default' });
    }
    const claimedKeyspace = (JSON.parse(other.keyspaces) as string[]).find((name) => definition.keyspaces.includes(name));
    if (claimedKeyspace !== undefined) {
      throw new TesseraError('CONFLICT', `keyspaces: keyspace '${claimedKeyspace}' is already attached to policy '${other.name}'; detach it there first`, {
        field: 'keyspaces',
      });
    }
  }
}

function rowFields(definition: PolicyDefinition) {
  return {
    description: maskTokensInText(definition.description),
    is_default: definition.isDefault ? 1 : 0,
    keyspaces: JSON.stringify(definition.keyspaces),
    secret_groups: JSON.stringify(definition.secretGroups),
    rules: JSON.stringify(definition.rules),
  };
}

/** Creates the policy, or replaces the one of the same name; returns the stored row and what happened. */
async function upsertWithin(executor: Executor, actor: Actor, definition: PolicyDefinition, now: number, allowReplace: boolean) {
  const existing = await findPolicyByName(executor, definition.name);
  if (existing && !allowReplace) {
    throw new TesseraError('CONFLICT', `name: policy '${definition.name}' already exists; replace it with PUT /v1/policies/${definition.name}`, {
      field: 'name',
    });
  }
  await checkAttachments(executor, definition, existing?.id ?? null);

  let row: PolicyRow;
  if (existing) {
    row = { ...existing, ...rowFields(definition), updated_at: now };
    await updatePolicy(executor, existing.id, { ...rowFields(definition), updated_at: now });
  } else {
    row = { id: uuidv7(), name: definition.name, ...rowFields(definition), created_at: now, updated_at: now, created_by: actor.id };
    await insertPolicy(executor, row);
  }

  const audit: AuditRecord = {
    action: existing ? 'policy.update' : 'policy.create',
    target: { type: 'policy', id: row.id },
    outcome: 'success',
    details: { name: row.name, default: definition.isDefault, keyspaces: definition.keyspaces },
  };
  const event: EventRecord = eventAbout(audit, existing ? 'policy.updated' : 'policy.created', audit.details ?? {});
  return { row, audit, event };
}

/** Creates a named policy from a definition such as a request body; 409 when the name is taken. */
export async function createPolicy(context: ServiceContext, actor: Actor, input: unknown): Promise<Policy> {
  const definition = parsePolicyDefinition(input, keyspaceNamePattern);
  await requirePolicyScope(context, actor, definition, 'policy.create');
  return auditedChange(context, actor, async (transaction, now) => {
    const { row, audit, event } = await upsertWithin(transaction, actor, definition, now, false);
    return { result: toPolicy(row), audit, events: [event] };
  });
}

/** Creates or replaces the named policy as a whole; the name in the path wins over one in the body. */
export async function replacePolicy(context: ServiceContext, actor: Actor, name: string, input: Record<string, unknown>): Promise<Policy> {
  const definition = parsePolicyDefinition({ ...input, name }, keyspaceNamePattern);
  await requirePolicyScope(context, actor, definition, 'policy.update');
  return auditedChange(context, actor, async (transaction, now) => {
    const { row, audit, event } = await upsertWithin(transaction, actor, definition, now, true);
    return { result: toPolicy(row), audit, events: [event] };
  });
}

/**
 * Creates or replaces several policies in one transaction, as loaded from a policy file: either all
 * of them apply or none does. Policies not in the file are left alone.
 */
export async function applyPolicies(context: ServiceContext, actor: Actor, inputs: unknown[]): Promise<Policy[]> {
  const definitions = inputs.map((input, index) => {
    try {
      return parsePolicyDefinition(input, keyspaceNamePattern);
    } catch (error) {
      if (error instanceof TesseraError)
        throw new TesseraError(error.code, `policies[${index}].${error.message}`, { field: `policies[${index}].${error.field}` });
      throw error;
    }
  });
  const names = definitions.map((definition) => definition.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw validationError('policies', `policy '${repeated}' appears twice; give each policy a unique name`);
  for (const definition of definitions) await requirePolicyScope(context, actor, definition, 'policy.apply');

  return auditedChange(context, actor, async (transaction, now) => {
    const outcomes = [];
    for (const definition of definitions) outcomes.push(await upsertWithin(transaction, actor, definition, now, true));
    return { result: outcomes.map((outcome) => toPolicy(outcome.row)), audit: outcomes.map((o) => o.audit), events: outcomes.map((o) => o.event) };
  });
}

export async function getPolicy(context: ServiceContext, actor: Actor, name: string): Promise<Policy> {
  await requirePermission(context, actor, { scope: 'policies:read', action: 'policy.read' });
  const row = await findPolicyByName(context.db, name);
  if (!row) throw policyNotFound(name);
  return toPolicy(row);
}

/** Lists every policy; policies are few, so there is one page. */
export async function listPolicies(context: ServiceContext, actor: Actor): Promise<{ items: Policy[]; nextCursor: null }> {
  await requirePermission(context, actor, { scope: 'policies:read', action: 'policy.list' });
  return { items: (await listAllPolicies(context.db)).map(toPolicy), nextCursor: null };
}

export async function deletePolicy(context: ServiceContext, actor: Actor, name: string): Promise<void> {
  await requirePermission(context, actor, { scope: 'policies:write', action: 'policy.delete' });
  const row = await findPolicyByName(context.db, name);
  if (!row) throw policyNotFound(name);
  await requirePolicyScope(context, actor, { isDefault: row.is_default === 1, keyspaces: JSON.parse(row.keyspaces) as string[] }, 'policy.delete');

  await auditedChange(context, actor, async (transaction) => {
    await deletePolicyRow(transaction, row.id);
    const audit: AuditRecord = { action: 'policy.delete', target: { type: 'policy', id: row.id }, outcome: 'success', details: { name: row.name } };
    return { result: undefined, audit, events: [eventAbout(audit, 'policy.deleted', { name: row.name })] };
  });
}

/** Resolves the effective policy of every keyspace from one read of the policies, for passes over many tokens. */
export async function loadPolicyResolver(executor: Executor): Promise<(keyspace: KeyspaceRow) => EffectivePolicy> {
  const rows = await listAllPolicies(executor);
  const named = rows.map((row) => ({ name: row.name, rules: JSON.parse(row.rules) as PolicyRules, keyspaces: JSON.parse(row.keyspaces) as string[], row }));
  const fallback = named.find((policy) => policy.row.is_default === 1);
  return (keyspace) => {
    const attached = named.find((policy) => policy.keyspaces.includes(keyspace.name));
    return resolvePolicy(JSON.parse(keyspace.policy) as Partial<KeyspacePolicy>, { default: fallback, attached });
  };
}

/** Returns the policy that applies to a keyspace's tokens: its inline policy merged with the named ones. */
export async function effectivePolicyOf(executor: Executor, keyspace: KeyspaceRow): Promise<EffectivePolicy> {
  return (await loadPolicyResolver(executor))(keyspace);
}

export async function getEffectivePolicy(context: ServiceContext, actor: Actor, keyspaceName: string): Promise<EffectivePolicy> {
  await requirePermission(context, actor, { scope: 'keyspaces:read', keyspace: keyspaceName, action: 'keyspace.read' });
  const keyspace = await findKeyspaceByName(context.db, keyspaceName);
  if (!keyspace) throw new TesseraError('NOT_FOUND', `keyspace '${keyspaceName.slice(0, 80)}' does not exist; list keyspaces to see their names`);
  return effectivePolicyOf(context.db, keyspace);
}
