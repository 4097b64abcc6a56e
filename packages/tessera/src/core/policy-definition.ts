import { validationError } from './errors.js';
import { parseDuration } from './duration.js';
import { requirableFields, type PolicyRules, type RequirableField, type RotationWindow } from './policy-rules.js';
import { scopePattern } from './scopes.js';

/** Secrets a policy is meant for, by environment or tag. Stored and validated; nothing matches them yet. */
export interface PolicySecretGroups {
  environments: string[];
  tags: string[];
}

/** A named policy as a user writes it: in a request body, or in a policy file kept in their repository. */
export interface PolicyDefinition {
  name: string;
  description: string | null;
  isDefault: boolean;
  keyspaces: string[];
  secretGroups: PolicySecretGroups;
  rules: PolicyRules;
}

export const policyNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const groupLabelPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,62}$/;
const day = 86400;

const durationLimits: Record<string, { min: number; max: number; nullable: boolean }> = {
  maxLifetimeSeconds: { min: 60, max: 3650 * day, nullable: false },
  gracePeriodSeconds: { min: 0, max: 90 * day, nullable: false },
  rotateAfterSeconds: { min: 3600, max: 3650 * day, nullable: true },
  staleAfterSeconds: { min: 3600, max: 3650 * day, nullable: true },
  rotationOffsetSeconds: { min: 0, max: 30 * day, nullable: false },
};
const booleanRules = ['allowNoExpiry', 'allowSelfRotation'] as const;
const ruleNames = new Set([...Object.keys(durationLimits), ...booleanRules, 'warnBeforeExpirySeconds', 'requiredFields', 'allowedScopes', 'rotationWindow']);
const topLevelNames = new Set(['name', 'description', 'default', 'keyspaces', 'secretGroups', 'rules']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknown(field: string, value: Record<string, unknown>, known: Set<string>): void {
  const unknown = Object.keys(value).find((key) => !known.has(key));
  if (unknown !== undefined) {
    const prefix = field === '' ? '' : `${field}.`;
    throw validationError(`${prefix}${unknown}`, `unknown field; allowed: ${[...known].join(', ')}`);
  }
}

/** Reads a duration given as seconds or as text such as "14d", so policy files stay readable. */
function readDuration(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const seconds = typeof value === 'string' ? parseDuration(value) : null;
  if (seconds === null) throw validationError(field, 'must be a whole number of seconds or a duration such as 90d, 24h or 30m');
  return seconds;
}

function readStringList(field: string, value: unknown, pattern: RegExp, example: string, maxItems: number): string[] {
  if (!Array.isArray(value)) throw validationError(field, `must be a list of strings, e.g. ["${example}"]`);
  if (value.length > maxItems) throw validationError(field, `at most ${maxItems} entries are allowed`);
  value.forEach((item, index) => {
    if (typeof item !== 'string' || !pattern.test(item)) {
      throw validationError(`${field}[${index}]`, `'${String(item).slice(0, 80)}' is not valid; use e.g. ${example}`);
    }
  });
  return [...new Set(value as string[])];
}

function readRotationWindow(value: unknown): RotationWindow | null {
  if (value === null) return null;
  const field = 'rules.rotationWindow';
  if (!isRecord(value)) throw validationError(field, 'must be an object such as {"startHour": 9, "endHour": 17} (UTC) or null');
  rejectUnknown(field, value, new Set(['startHour', 'endHour']));
  const hours = ['startHour', 'endHour'].map((key) => {
    const hour = value[key];
    if (typeof hour !== 'number' || !Number.isInteger(hour) || hour < 0 || hour > 23)
      throw validationError(`${field}.${key}`, 'must be an hour from 0 to 23 (UTC)');
    return hour;
  });
  return { startHour: hours[0]!, endHour: hours[1]! };
}

/** Checks the rules field by field and returns them with durations in seconds. */
export function parsePolicyRules(value: unknown): PolicyRules {
  if (value === undefined) return {};
  if (!isRecord(value)) throw validationError('rules', 'must be an object of policy rules, e.g. {"maxLifetimeSeconds": "30d"}');
  rejectUnknown('rules', value, ruleNames);
  const rules: PolicyRules = {};

  for (const [name, limits] of Object.entries(durationLimits)) {
    const raw = value[name];
    if (raw === undefined) continue;
    const field = `rules.${name}`;
    if (raw === null) {
      if (!limits.nullable) throw validationError(field, 'cannot be null; omit it to inherit the value');
      (rules as Record<string, unknown>)[name] = null;
      continue;
    }
    const seconds = readDuration(field, raw);
    if (seconds < limits.min || seconds > limits.max) throw validationError(field, `must be from ${limits.min} to ${limits.max} seconds`);
    (rules as Record<string, unknown>)[name] = seconds;
  }

  for (const name of booleanRules) {
    const raw = value[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'boolean') throw validationError(`rules.${name}`, 'must be true or false');
    rules[name] = raw;
  }

  if (value['warnBeforeExpirySeconds'] !== undefined) {
    const raw = value['warnBeforeExpirySeconds'];
    if (!Array.isArray(raw) || raw.length > 10)
      throw validationError('rules.warnBeforeExpirySeconds', 'must be a list of at most 10 durations, e.g. ["14d", "3d", "1d"]');
    rules.warnBeforeExpirySeconds = raw.map((item, index) => {
      const field = `rules.warnBeforeExpirySeconds[${index}]`;
      const seconds = readDuration(field, item);
      if (seconds < 60 || seconds > 365 * day) throw validationError(field, 'must be from 60 seconds to 365 days');
      return seconds;
    });
  }

  if (value['requiredFields'] !== undefined) {
    const pattern = new RegExp(`^(?:${requirableFields.join('|')})$`);
    rules.requiredFields = readStringList('rules.requiredFields', value['requiredFields'], pattern, 'owner', requirableFields.length) as RequirableField[];
  }
  if (value['allowedScopes'] !== undefined)
    rules.allowedScopes = readStringList('rules.allowedScopes', value['allowedScopes'], scopePattern, 'invoices:read', 64);
  if (value['rotationWindow'] !== undefined) rules.rotationWindow = readRotationWindow(value['rotationWindow']);
  return rules;
}

function readSecretGroups(value: unknown): PolicySecretGroups {
  if (value === undefined) return { environments: [], tags: [] };
  if (!isRecord(value)) throw validationError('secretGroups', 'must be an object such as {"environments": ["production"], "tags": ["payments"]}');
  rejectUnknown('secretGroups', value, new Set(['environments', 'tags']));
  return {
    environments:
      value['environments'] === undefined ? [] : readStringList('secretGroups.environments', value['environments'], groupLabelPattern, 'production', 32),
    tags: value['tags'] === undefined ? [] : readStringList('secretGroups.tags', value['tags'], groupLabelPattern, 'payments', 32),
  };
}

/** Validates a policy as written by a user and returns it in canonical form; every error names the field. */
export function parsePolicyDefinition(value: unknown, keyspaceNamePattern: RegExp): PolicyDefinition {
  if (!isRecord(value)) throw validationError('policy', 'must be a JSON object with at least a name');
  rejectUnknown('', value, topLevelNames);

  const name = value['name'];
  if (typeof name !== 'string' || !policyNamePattern.test(name)) {
    throw validationError('name', `'${String(name).slice(0, 80)}' is not a policy name; use lowercase letters, digits, '.', '_' or '-', at most 63 characters`);
  }
  const description = value['description'] ?? null;
  if (description !== null && (typeof description !== 'string' || description.length > 500 || description.includes('\u0000'))) {
    throw validationError('description', 'must be text of at most 500 characters');
  }
  const isDefault = value['default'] ?? false;
  if (typeof isDefault !== 'boolean') throw validationError('default', 'must be true or false');

  const keyspaces = value['keyspaces'] === undefined ? [] : readStringList('keyspaces', value['keyspaces'], keyspaceNamePattern, 'payments', 100);
  return { name, description, isDefault, keyspaces, secretGroups: readSecretGroups(value['secretGroups']), rules: parsePolicyRules(value['rules']) };
}
