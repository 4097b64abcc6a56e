import { TesseraError } from '../errors.js';
import { builtinRules } from './builtin-rules.js';
import { validatorNames, type CompiledRule, type RuleDefinition } from './rule.js';

/** A scanner configuration as users write it: rules of their own, built-ins to turn off, paths to skip. */
export interface ScannerConfig {
  rules?: RuleDefinition[] | undefined;
  disabledRules?: string[] | undefined;
  ignorePaths?: string[] | undefined;
}

const rulePrefix = 'rules';

function invalidRule(field: string, message: string): TesseraError {
  return new TesseraError('CONFIGURATION_INVALID', `${field}: ${message}`, { field });
}

function compileAnchor(definition: RuleDefinition, field: string, engineFlags: string): CompiledRule['anchored'] {
  const { pattern, lookBehind } = definition.anchor!;
  if (!Number.isInteger(lookBehind) || lookBehind < 0 || lookBehind > 256)
    throw invalidRule(`${field}.anchor.lookBehind`, 'must be a whole number from 0 to 256');
  try {
    return { anchor: new RegExp(pattern, 'g'), sticky: new RegExp(definition.pattern, `${engineFlags.replace('g', '')}y`) };
  } catch (error) {
    throw invalidRule(`${field}.anchor.pattern`, `is not a valid regular expression (${(error as Error).message})`);
  }
}

/** Checks a user's rule and compiles its pattern; the error names the rule's field and the fix. */
function compileRule(definition: RuleDefinition, field: string): CompiledRule {
  if (typeof definition.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(definition.id)) {
    throw invalidRule(`${field}.id`, 'must be lowercase letters, digits and "-", at most 64 characters, e.g. "acme-api-key"');
  }
  if (typeof definition.pattern !== 'string' || definition.pattern === '') throw invalidRule(`${field}.pattern`, 'must be a non-empty regular expression');
  if (
    !Array.isArray(definition.keywords) ||
    definition.keywords.length === 0 ||
    definition.keywords.some((keyword) => typeof keyword !== 'string' || keyword === '')
  ) {
    throw invalidRule(`${field}.keywords`, 'must list at least one literal string that every match contains, e.g. ["acme_"]');
  }
  const flags = definition.flags ?? '';
  if (flags !== '' && flags !== 'i') throw invalidRule(`${field}.flags`, `'${flags}' is not supported; use "i" or leave it out`);
  if (definition.validator !== undefined && !validatorNames.includes(definition.validator)) {
    throw invalidRule(`${field}.validator`, `'${String(definition.validator)}' is not a validator; use one of ${validatorNames.join(', ')}`);
  }

  const secretGroup = definition.secretGroup ?? 0;
  // Group indices are needed only when the secret is a capture group, and they cost time on every match.
  const engineFlags = `g${flags}${secretGroup > 0 ? 'd' : ''}`;
  let expression: RegExp;
  try {
    expression = new RegExp(definition.pattern, engineFlags);
  } catch (error) {
    throw invalidRule(`${field}.pattern`, `is not a valid regular expression (${(error as Error).message})`);
  }
  const anchored = definition.anchor === undefined ? undefined : compileAnchor(definition, field, engineFlags);
  const ignoreCase = flags === 'i';
  const keywords = ignoreCase ? definition.keywords.map((keyword) => keyword.toLowerCase()) : definition.keywords;
  return { definition, expression, anchored, ignoreCase, keywords };
}

/**
 * Builds the rule set for a scan: the built-ins less the disabled ones, then the user's own. A
 * user rule with a built-in's id replaces it.
 */
export function compileRules(config: ScannerConfig = {}): CompiledRule[] {
  const disabled = new Set(config.disabledRules ?? []);
  const userRules = config.rules ?? [];
  const known = new Set([...builtinRules.map((rule) => rule.id), ...userRules.map((rule) => rule.id)]);
  for (const id of disabled) {
    if (!known.has(id)) throw invalidRule('disabledRules', `'${id}' is not a rule id; run "tessera scan --list-rules" to see them`);
  }

  const userIds = new Set(userRules.map((rule) => rule.id));
  const builtins = builtinRules.filter((rule) => !disabled.has(rule.id) && !userIds.has(rule.id)).map((rule, index) => compileRule(rule, `builtin[${index}]`));
  const own = userRules.map((rule, index) => ({ rule, index })).filter(({ rule }) => !disabled.has(rule.id));
  return [...builtins, ...own.map(({ rule, index }) => compileRule(rule, `${rulePrefix}[${index}]`))];
}
