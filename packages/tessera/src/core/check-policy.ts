import { TesseraError } from './errors.js';

/** The kinds of finding `tessera check` reports, in the order reports list them. */
export const findingRules = ['expired', 'expiring', 'no-owner', 'no-description', 'stale', 'unused-scopes', 'duplicate', 'lifetime-exceeded'] as const;
export type FindingRule = (typeof findingRules)[number];

/** Thresholds and the rules whose findings fail the run; the others are reported as warnings. */
export interface CheckPolicy {
  expiringWithinDays: number;
  staleAfterDays: number;
  maxLifetimeDays: number;
  failOn: FindingRule[];
}

export const defaultCheckPolicy: CheckPolicy = { expiringWithinDays: 14, staleAfterDays: 90, maxLifetimeDays: 90, failOn: [...findingRules] };

const day = 86_400_000;

function readDays(source: Record<string, unknown>, key: 'expiringWithinDays' | 'staleAfterDays' | 'maxLifetimeDays', origin: string): number {
  const value = source[key];
  if (value === undefined) return defaultCheckPolicy[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 36500) {
    throw new TesseraError('VALIDATION_FAILED', `${origin}: ${key} must be a whole number of days from 0 to 36500`, { field: key });
  }
  return value;
}

/** Validates a policy read from a file or a query; absent fields take the defaults. */
export function toCheckPolicy(source: unknown, origin: string): CheckPolicy {
  if (source === null || source === undefined) return { ...defaultCheckPolicy, failOn: [...defaultCheckPolicy.failOn] };
  if (typeof source !== 'object' || Array.isArray(source)) throw new TesseraError('VALIDATION_FAILED', `${origin}: must be a mapping of policy fields`);
  const record = source as Record<string, unknown>;

  const known = ['expiringWithinDays', 'staleAfterDays', 'maxLifetimeDays', 'failOn'];
  const unknown = Object.keys(record).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new TesseraError('VALIDATION_FAILED', `${origin}: unknown field '${unknown.slice(0, 60)}'; use ${known.join(', ')}`, { field: unknown });

  let failOn = [...defaultCheckPolicy.failOn];
  if (record['failOn'] !== undefined) {
    const rules = record['failOn'];
    if (!Array.isArray(rules)) throw new TesseraError('VALIDATION_FAILED', `${origin}: failOn must be a list of rules`, { field: 'failOn' });
    for (const rule of rules) {
      if (!findingRules.includes(rule as FindingRule)) {
        throw new TesseraError('VALIDATION_FAILED', `${origin}: failOn: '${String(rule).slice(0, 60)}' is not a rule; use ${findingRules.join(', ')}`, {
          field: 'failOn',
        });
      }
    }
    failOn = [...new Set(rules as FindingRule[])];
  }

  return {
    expiringWithinDays: readDays(record, 'expiringWithinDays', origin),
    staleAfterDays: readDays(record, 'staleAfterDays', origin),
    maxLifetimeDays: readDays(record, 'maxLifetimeDays', origin),
    failOn,
  };
}

/** A token or secret as the check evaluates it. Times are milliseconds since the epoch. */
export interface CheckSubject {
  type: 'token' | 'secret';
  id: string;
  name: string;
  /** The keyspace of a token or the environment of a secret. */
  group: string;
  owner: string | null;
  description: string | null;
  createdAt: number;
  /** null when the subject never expires (a token) or its expiry is unknown (a secret). */
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** Granted scopes of a token. */
  scopes?: readonly string[] | undefined;
  /** Scopes the token was used with; undefined when usage is not known, which skips the unused-scopes rule. */
  usedScopes?: readonly string[] | undefined;
}

export interface Finding {
  rule: FindingRule;
  severity: 'error' | 'warning';
  subject: { type: 'token' | 'secret'; id: string; name: string; group: string };
  message: string;
}

function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function describeSubject(subject: Pick<CheckSubject, 'type' | 'name' | 'group'>): string {
  return subject.type === 'token' ? `token '${subject.name}' in keyspace '${subject.group}'` : `secret '${subject.name}' in environment '${subject.group}'`;
}

export function makeFinding(policy: CheckPolicy, rule: FindingRule, subject: Finding['subject'], message: string): Finding {
  return { rule, severity: policy.failOn.includes(rule) ? 'error' : 'warning', subject, message };
}

/** Evaluates one token or secret against the policy at `now`; duplicates are found across subjects, elsewhere. */
export function evaluateSubject(subject: CheckSubject, policy: CheckPolicy, now: number): Finding[] {
  const findings: Finding[] = [];
  const reference = { type: subject.type, id: subject.id, name: subject.name, group: subject.group };
  const label = describeSubject(subject);
  const add = (rule: FindingRule, message: string): void => void findings.push(makeFinding(policy, rule, reference, `${label} ${message}`));

  if (subject.expiresAt !== null && subject.expiresAt <= now) {
    add('expired', `expired on ${isoDate(subject.expiresAt)}; rotate or remove it`);
  } else if (subject.expiresAt !== null && subject.expiresAt <= now + policy.expiringWithinDays * day) {
    const days = Math.ceil((subject.expiresAt - now) / day);
    add('expiring', `expires on ${isoDate(subject.expiresAt)}, in ${days} ${days === 1 ? 'day' : 'days'}; rotate it before then`);
  }

  if (subject.owner === null) add('no-owner', 'has no owner; set one');
  if (subject.description === null) add('no-description', 'has no description; say why it exists and who uses it');

  const lastActivity = subject.lastUsedAt ?? subject.createdAt;
  if (lastActivity <= now - policy.staleAfterDays * day) {
    const since =
      subject.lastUsedAt === null ? `was never used since its creation on ${isoDate(subject.createdAt)}` : `was last used on ${isoDate(subject.lastUsedAt)}`;
    add('stale', `${since}, more than ${policy.staleAfterDays} days ago; remove it if nothing needs it`);
  }

  if (subject.scopes && subject.usedScopes) {
    const used = subject.usedScopes;
    // A granted `resource:*` counts as exercised once any action on that resource was used.
    const unused = subject.scopes.filter(
      (scope) => !used.includes(scope) && !(scope.endsWith(':*') && used.some((item) => item.startsWith(scope.slice(0, -1)))),
    );
    if (unused.length > 0) add('unused-scopes', `was granted scopes it never used: ${unused.join(', ')}; issue a token without them`);
  }

  const maxLifetime = policy.maxLifetimeDays * day;
  if (subject.type === 'token' && subject.expiresAt === null) {
    add('lifetime-exceeded', `never expires, but the policy allows at most ${policy.maxLifetimeDays} days`);
  } else if (subject.expiresAt !== null && subject.expiresAt - subject.createdAt > maxLifetime) {
    const days = Math.round((subject.expiresAt - subject.createdAt) / day);
    add('lifetime-exceeded', `lives ${days} days, but the policy allows at most ${policy.maxLifetimeDays}`);
  }
  return findings;
}
