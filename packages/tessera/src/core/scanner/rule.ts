/**
 * A detection rule as data, so that users can add their own in a config file. `pattern` is a
 * JavaScript regular expression source. Every quantifier in it should be bounded, because an
 * unbounded one can make a long minified line slow to scan.
 */
export interface RuleDefinition {
  id: string;
  description: string;
  pattern: string;
  /** Only `i` is accepted; the engine adds the flags it needs itself. */
  flags?: string | undefined;
  /**
   * Literal strings, one of which every match contains. A file without any of them is not run
   * through the pattern, which is what keeps a scan fast. Matched case-insensitively when the
   * pattern has the `i` flag.
   */
  keywords: string[];
  /** The capture group that contains the secret, or 0 (the default) for the whole match. */
  secretGroup?: number | undefined;
  /** A structure or checksum check the secret must pass (see validators.ts). */
  validator?: ValidatorName | undefined;
  /** Minimum Shannon entropy of the secret, in bits per character. */
  minEntropy?: number | undefined;
  /**
   * `word` (the default) rejects a secret that runs on into letters, digits or base64 characters
   * on either side, so a prefix inside a longer identifier or a base64 run is not reported.
   */
  boundary?: 'word' | 'none' | undefined;
  /**
   * A faster way in for a pattern with no literal to search for: the engine finds this regular
   * expression first, then tries `pattern` at each of the `lookBehind` positions before each hit
   * and at the hit itself. Every match of `pattern` must contain a match of the anchor there.
   */
  anchor?: { pattern: string; lookBehind: number } | undefined;
}

export const validatorNames = [
  'tessera-checksum',
  'jwt',
  'private-key',
  'aws-key-id',
  'url-password',
  'discord-bot-token',
  'github-checksum',
  'assigned-value',
] as const;
export type ValidatorName = (typeof validatorNames)[number];

/** A rule ready to run: its pattern compiled with the global and sticky-free flags the engine needs. */
export interface CompiledRule {
  definition: RuleDefinition;
  expression: RegExp;
  /** The anchor, and `expression` again with the sticky flag, for rules that have an anchor. */
  anchored?: { anchor: RegExp; sticky: RegExp } | undefined;
  ignoreCase: boolean;
  keywords: string[];
}

/** Confidence of a finding: a checksum matched, the structure decoded, or only the pattern matched. */
export type Confidence = 'checksum' | 'structure' | 'pattern';
