import type { PolicySecretGroups } from '../core/policy-definition.js';
import { isInsideWindow, type PolicyRules } from '../core/policy-rules.js';
import { listAllPolicies } from '../store/policy-repository.js';
import type { Executor } from '../store/schema.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { rotateSecret, type RotationView } from './secret-rotation.js';

/** A failed rotation of a due secret is tried again after this long, so a broken rotator is not run on every pass. */
export const retryFailedRotationAfterMs = 3600 * 1000;

interface GroupPolicy {
  name: string;
  groups: PolicySecretGroups;
  rules: PolicyRules;
  isDefault: boolean;
}

/** Returns the policy for a secret: the first by name whose group names its environment or one of its tags, else the default policy. */
export function policyForSecret(policies: GroupPolicy[], secret: { environment: string; tags: string[] }): GroupPolicy | undefined {
  const matching = policies.find(
    (policy) => policy.groups.environments.includes(secret.environment) || policy.groups.tags.some((tag) => secret.tags.includes(tag)),
  );
  return matching ?? policies.find((policy) => policy.isDefault);
}

function dueAtOf(rotateAfterSeconds: number, rules: PolicyRules, valueCreatedAt: number): number {
  return valueCreatedAt + (rotateAfterSeconds + (rules.rotationOffsetSeconds ?? 0)) * 1000;
}

async function loadGroupPolicies(executor: Executor): Promise<GroupPolicy[]> {
  const rows = await listAllPolicies(executor);
  return rows
    .map((row) => ({
      name: row.name,
      groups: JSON.parse(row.secret_groups) as PolicySecretGroups,
      rules: JSON.parse(row.rules) as PolicyRules,
      isDefault: row.is_default === 1,
    }))
    .sort((left, right) => left.name.localeCompare(right.name));
}

/**
 * Rotates the secrets that have a rotator and whose current value is older than the rotate-after
 * age (plus offset) of the policy for their group, inside the policy's rotation window.
 */
export async function rotateDueSecrets(context: ServiceContext, actor: Actor): Promise<RotationView[]> {
  const policies = await loadGroupPolicies(context.db);
  if (!policies.some((policy) => policy.rules.rotateAfterSeconds)) return [];
  const now = context.clock.now();
  const hour = new Date(now).getUTCHours();

  const candidates = await context.db
    .selectFrom('secrets')
    .innerJoin('secret_rotators', 'secret_rotators.secret_id', 'secrets.id')
    .innerJoin('secret_versions', (join) =>
      join.onRef('secret_versions.secret_id', '=', 'secrets.id').onRef('secret_versions.version', '=', 'secrets.current_version'),
    )
    .select(['secrets.id', 'secrets.name', 'secrets.environment', 'secrets.tags', 'secret_versions.created_at as valueCreatedAt'])
    .orderBy('secrets.id')
    .execute();

  const rotated: RotationView[] = [];
  for (const secret of candidates) {
    const policy = policyForSecret(policies, { environment: secret.environment, tags: JSON.parse(secret.tags) as string[] });
    const rotateAfterSeconds = policy?.rules.rotateAfterSeconds;
    if (!policy || !rotateAfterSeconds) continue;
    const dueAt = dueAtOf(rotateAfterSeconds, policy.rules, Number(secret.valueCreatedAt));
    if (dueAt > now || !isInsideWindow(policy.rules.rotationWindow ?? null, hour)) continue;

    const recent = await context.db
      .selectFrom('secret_rotations')
      .select('id')
      .where('secret_id', '=', secret.id)
      .where((eb) => eb.or([eb('state', 'in', ['pending', 'applied', 'tested']), eb('updated_at', '>', now - retryFailedRotationAfterMs)]))
      .executeTakeFirst();
    if (recent) continue;

    context.logger.info({ secret: secret.name, environment: secret.environment, policy: policy.name }, 'rotating secret due by policy');
    try {
      rotated.push(await rotateSecret(context, actor, secret.environment, secret.name));
    } catch (error) {
      // Another node may have started the same rotation between the read above and the insert.
      context.logger.warn({ err: error, secret: secret.name, environment: secret.environment }, 'scheduled secret rotation did not start');
    }
  }
  return rotated;
}

/** The due time of a secret's current value by policy, and the policy that sets it. */
export interface RotationDue {
  policy: string;
  /** The value's age limit plus offset; the scheduler rotates at its first pass from then inside `rotationWindow`. */
  dueAt: number;
  rotationWindow: PolicyRules['rotationWindow'];
}

/** Returns the policy that applies to a secret, from its environment and tags, or undefined when none does. */
export async function findSecretPolicy(executor: Executor, secret: { environment: string; tags: string[] }): Promise<GroupPolicy | undefined> {
  return policyForSecret(await loadGroupPolicies(executor), secret);
}

/** Returns when the policy for the secret's group makes its current value due, or null when no policy sets a rotate-after age. */
export async function findRotationDue(
  executor: Executor,
  secret: { environment: string; tags: string[] },
  valueCreatedAt: number,
): Promise<RotationDue | null> {
  const policy = await findSecretPolicy(executor, secret);
  const rotateAfterSeconds = policy?.rules.rotateAfterSeconds;
  if (!policy || !rotateAfterSeconds) return null;
  return {
    policy: policy.name,
    dueAt: dueAtOf(rotateAfterSeconds, policy.rules, valueCreatedAt),
    rotationWindow: policy.rules.rotationWindow ?? null,
  };
}
