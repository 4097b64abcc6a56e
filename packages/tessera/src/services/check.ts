import {
  describeSubject,
  evaluateSubject,
  findingRules,
  makeFinding,
  type CheckPolicy,
  type CheckSubject,
  type Finding,
  type FindingRule,
} from '../core/check-policy.js';
import { listDuplicateFingerprints } from '../store/secret-repository.js';
import type { SecretRow } from '../store/schema.js';
import type { TokenWithKeyspace } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import { requirePermission, requireUnlimited } from './authorization.js';
import type { ServiceContext } from './context.js';
import { allSecrets, tokensInService } from './inventory.js';
import { scopesUsedByToken } from './usage.js';
import { tokenIdsWithUsage } from '../store/usage-repository.js';

/**
 * The scopes a token was used with, from usage records. It returns undefined while usage is not
 * known, and the unused-scopes rule then skips the token.
 */
export type ScopeUsageSource = (tokenId: string) => Promise<readonly string[] | undefined>;

/**
 * Builds the scope usage source from the usage records. One query first finds the tokens with any
 * recorded usage, so a check over many never-used tokens sends no query per token.
 */
export async function recordedScopeUsage(context: ServiceContext): Promise<ScopeUsageSource> {
  const used = new Set(await tokenIdsWithUsage(context.db));
  return async (tokenId) => {
    if (!used.has(tokenId)) return undefined;
    const scopes = await scopesUsedByToken(context, tokenId);
    return scopes === undefined ? undefined : [...scopes];
  };
}

export interface CheckReport {
  checkedAt: string;
  policy: CheckPolicy;
  summary: {
    tokens: number;
    secrets: number;
    errors: number;
    warnings: number;
    byRule: Record<FindingRule, number>;
  };
  /** False when any finding's rule is in the policy's failOn list. */
  passed: boolean;
  findings: Finding[];
}

function tokenSubject(row: TokenWithKeyspace): CheckSubject {
  return {
    type: 'token',
    id: row.id,
    name: row.name,
    group: row.keyspace_name,
    owner: row.owner,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    scopes: JSON.parse(row.scopes) as string[],
  };
}

function secretSubject(row: SecretRow): CheckSubject {
  return {
    type: 'secret',
    id: row.id,
    name: row.name,
    group: row.environment,
    owner: row.owner,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_read_at,
  };
}

/** Reports each group of secrets that hold the same value once, on the first secret of the group. */
async function checkDuplicates(context: ServiceContext, policy: CheckPolicy, findings: Finding[]): Promise<void> {
  const holders = await listDuplicateFingerprints(context.db);
  const groups = new Map<string, typeof holders>();
  for (const holder of holders) groups.set(holder.fingerprint, [...(groups.get(holder.fingerprint) ?? []), holder]);

  for (const group of groups.values()) {
    const [first, ...others] = group;
    if (!first) continue;
    const subject = { type: 'secret' as const, id: first.secret_id, name: first.name, group: first.environment };
    const names = others.map((other) => describeSubject({ type: 'secret', name: other.name, group: other.environment })).join(', ');
    findings.push(makeFinding(policy, 'duplicate', subject, `${describeSubject(subject)} holds the same value as ${names}; keep one and remove the others`));
  }
}

export interface CheckOptions {
  scopeUsage?: ScopeUsageSource | undefined;
  /** Called after every 10,000 tokens or secrets, with the number checked so far. */
  onProgress?: ((checked: number) => void) | undefined;
}

const progressInterval = 10_000;

/** Evaluates every token and secret against the policy. */
export async function runCheck(context: ServiceContext, actor: Actor, policy: CheckPolicy, options: CheckOptions = {}): Promise<CheckReport> {
  const reportProgress = (checked: number): void => {
    if (checked % progressInterval === 0) options.onProgress?.(checked);
  };
  await requirePermission(context, actor, { scope: 'check:read', action: 'check.run' });
  await requireUnlimited(context, actor, 'check.run');
  const scopeUsage = options.scopeUsage ?? (await recordedScopeUsage(context));

  const now = context.clock.now();
  const findings: Finding[] = [];
  let tokens = 0;
  for await (const row of tokensInService(context.db, now)) {
    reportProgress(++tokens);
    const subject = tokenSubject(row);
    subject.usedScopes = await scopeUsage(row.id);
    findings.push(...evaluateSubject(subject, policy, now));
  }
  let secrets = 0;
  for await (const row of allSecrets(context.db)) {
    reportProgress(tokens + ++secrets);
    findings.push(...evaluateSubject(secretSubject(row), policy, now));
  }
  await checkDuplicates(context, policy, findings);

  const byRule = Object.fromEntries(findingRules.map((rule) => [rule, 0])) as Record<FindingRule, number>;
  for (const finding of findings) byRule[finding.rule]++;
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  return {
    checkedAt: new Date(now).toISOString(),
    policy,
    summary: { tokens, secrets, errors, warnings: findings.length - errors, byRule },
    passed: errors === 0,
    findings,
  };
}
