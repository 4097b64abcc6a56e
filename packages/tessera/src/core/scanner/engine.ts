import type { Finding, TextScanResult } from './finding.js';
import { joinConcatenatedLiterals } from './concatenation.js';
import { buildKeywordIndex, type KeywordIndex } from './keyword-index.js';
import type { CompiledRule } from './rule.js';
import { buildSnippet } from './snippet.js';
import { isPlaceholder, shannonEntropy } from './text-checks.js';
import { validateSecret } from './validators.js';

export interface ScanTextOptions {
  rules: CompiledRule[];
  /** Findings kept per text; the rest are counted as truncated, so one bundle cannot flood a report. */
  maxFindings?: number | undefined;
}

export const defaultMaxFindings = 200;
export const allowMarker = 'tessera:allow';

/** A secret's place in the text being scanned, before lines and snippets are worked out. */
interface RawFinding {
  rule: CompiledRule;
  start: number;
  end: number;
  secret: string;
  confidence: Finding['confidence'];
  joined: boolean;
}

// Characters that continue an identifier or a base64 / base64url run.
function isWordCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code === 0x2b ||
    code === 0x2f ||
    code === 0x2d
  );
}

const backslashCode = 0x5c;

/** Validators whose checksum settles a match. */
const checksumValidators = new Set<string | undefined>(['tessera-checksum', 'github-checksum']);

/**
 * True when the secret is on its own: neither the character before it nor the one after it
 * continues it. An escape such as `\n` right before the secret counts as a separator.
 */
function hasWordBoundaries(text: string, start: number, end: number): boolean {
  if (start > 0 && isWordCode(text.charCodeAt(start - 1))) {
    const isEscape = start > 1 && text.charCodeAt(start - 2) === backslashCode;
    if (!isEscape) return false;
  }
  return end >= text.length || !isWordCode(text.charCodeAt(end));
}

/** Returns the confidence of a candidate that passes the rule's boundary, placeholder, entropy and validator checks, or null. */
function checkCandidate(rule: CompiledRule, text: string, start: number, end: number, secret: string): Finding['confidence'] | null {
  const { definition } = rule;
  if (definition.boundary !== 'none' && !hasWordBoundaries(text, start, end)) return null;

  // A checksum settles a match; the placeholder heuristics would only cost recall there.
  if (!checksumValidators.has(definition.validator) && isPlaceholder(secret)) return null;

  if (definition.minEntropy !== undefined && shannonEntropy(secret) < definition.minEntropy) return null;
  return validateSecret(definition.validator, secret);
}

/** Turns a regular expression match into a finding, or null when `checkCandidate` rejects it. */
function acceptMatch(rule: CompiledRule, text: string, match: RegExpExecArray, joined: boolean): RawFinding | null {
  const secretGroup = rule.definition.secretGroup ?? 0;
  const secret = match[secretGroup];
  const start = secretGroup > 0 ? match.indices?.[secretGroup]?.[0] : match.index;
  if (secret === undefined || start === undefined) return null;
  const confidence = checkCandidate(rule, text, start, start + secret.length, secret);
  return confidence === null ? null : { rule, start, end: start + secret.length, secret, confidence, joined };
}

/** Runs one rule over `text` and returns the matches that pass `checkCandidate`. */
function matchRule(rule: CompiledRule, text: string, joined: boolean): RawFinding[] {
  if (rule.anchored) return matchAnchoredRule(rule, rule.anchored, text, joined);

  const { expression } = rule;
  const found: RawFinding[] = [];
  expression.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = expression.exec(text)) !== null) {
    const finding = acceptMatch(rule, text, match, joined);
    if (finding) found.push(finding);
    // A shorter match may start inside a rejected one, so the search goes on one character later.
    else expression.lastIndex = match.index + 1;
  }
  return found;
}

/** Finds the anchor, then tries the rule's pattern at each position up to `lookBehind` before it; the earliest accepted start wins. */
function matchAnchoredRule(rule: CompiledRule, anchored: NonNullable<CompiledRule['anchored']>, text: string, joined: boolean): RawFinding[] {
  const { anchor, sticky } = anchored;
  const lookBehind = rule.definition.anchor!.lookBehind;
  const found: RawFinding[] = [];
  let searchedUpTo = 0;
  anchor.lastIndex = 0;
  let hit: RegExpExecArray | null;
  while ((hit = anchor.exec(text)) !== null) {
    for (let position = Math.max(searchedUpTo, hit.index - lookBehind); position <= hit.index; position++) {
      sticky.lastIndex = position;
      const match = sticky.exec(text);
      const finding = match === null ? null : acceptMatch(rule, text, match, joined);
      if (finding) {
        found.push(finding);
        searchedUpTo = finding.end;
        break;
      }
    }
    if (hit[0].length === 0) anchor.lastIndex++;
  }
  return found;
}

/** Offsets at which each line starts, built once per text that has findings. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

function lineIndexOf(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Drops a finding whose span overlaps an earlier-kept one: the rule list puts specific provider
 * rules before the generic one, so `token = "ghp_…"` is reported once, as a GitHub token.
 */
function removeOverlaps(findings: RawFinding[], ruleOrder: Map<CompiledRule, number>): RawFinding[] {
  const byPriority = [...findings].sort((a, b) => ruleOrder.get(a.rule)! - ruleOrder.get(b.rule)! || a.start - b.start);
  const kept: RawFinding[] = [];
  for (const candidate of byPriority) {
    const overlaps = kept.some((other) => other.joined === candidate.joined && candidate.start < other.end && other.start < candidate.end);
    const duplicateOfDirect = candidate.joined && kept.some((other) => !other.joined && other.secret === candidate.secret);
    if (!overlaps && !duplicateOfDirect) kept.push(candidate);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** A secret's span in a text, for masking. */
export interface SecretSpan {
  start: number;
  end: number;
  secret: string;
}

// Rule sets are compiled once per scan and reused for every file, so their keyword index is too.
const keywordIndexes = new WeakMap<CompiledRule[], KeywordIndex>();

function keywordIndexFor(rules: CompiledRule[]): KeywordIndex {
  let index = keywordIndexes.get(rules);
  if (index === undefined) {
    index = buildKeywordIndex(rules);
    keywordIndexes.set(rules, index);
  }
  return index;
}

/** Runs every rule whose keywords occur in the text, over the text and over its joined string literals. */
function collectRawFindings(text: string, rules: CompiledRule[]): RawFinding[] {
  const index = keywordIndexFor(rules);
  const raw: RawFinding[] = [];
  const selected = index.rulesFor(text);
  for (const rule of rules) {
    if (selected.has(rule)) raw.push(...matchRule(rule, text, false));
  }

  // Secrets split across string literals ("ghp_ab" + "cd…") are searched for in the joined literals too.
  const joined = joinConcatenatedLiterals(text);
  if (joined !== null) {
    const selectedInJoined = index.rulesFor(joined.text);
    for (const rule of rules) {
      if (!selectedInJoined.has(rule)) continue;
      for (const finding of matchRule(rule, joined.text, true)) {
        const chain = joined.chainAt(finding.start);
        raw.push({ ...finding, start: chain.start, end: chain.end });
      }
    }
  }
  if (raw.length === 0) return raw;

  const ruleOrder = new Map(rules.map((rule, index) => [rule, index]));
  return removeOverlaps(raw, ruleOrder);
}

/** Returns the spans of every secret in the text, in order, for masking (a joined secret's span is its whole chain). */
export function findSecretSpans(text: string, rules: CompiledRule[]): SecretSpan[] {
  return collectRawFindings(text, rules).map(({ start, end, secret }) => ({ start, end, secret }));
}

/**
 * Scans a text with the rules and returns its findings with line, column and a masked snippet.
 * Pure and synchronous; every rule's quantifiers are bounded, so the time grows linearly with
 * the text's length.
 */
export function scanText(text: string, options: ScanTextOptions): TextScanResult {
  const findings = collectRawFindings(text, options.rules);
  if (findings.length === 0) return { findings: [], truncated: false };
  return locateFindings(text, findings, options.maxFindings ?? defaultMaxFindings);
}

/** Turns offsets into lines, columns and snippets, and drops findings on lines marked `tessera:allow`. */
function locateFindings(text: string, findings: RawFinding[], maxFindings: number): TextScanResult {
  const starts = lineStarts(text);
  const lineEndOf = (lineIndex: number): number => (lineIndex + 1 < starts.length ? starts[lineIndex + 1]! - 1 : text.length);

  const located = findings.map((finding) => ({ ...finding, lineIndex: lineIndexOf(starts, finding.start) }));

  const allowedLines = new Set<number>();
  for (let index = text.indexOf(allowMarker); index !== -1; index = text.indexOf(allowMarker, index + 1)) allowedLines.add(lineIndexOf(starts, index));

  const byLine = new Map<number, typeof located>();
  for (const finding of located) byLine.set(finding.lineIndex, [...(byLine.get(finding.lineIndex) ?? []), finding]);

  const result: Finding[] = [];
  let truncated = false;
  for (const finding of located) {
    if (allowedLines.has(finding.lineIndex)) continue;
    if (result.length >= maxFindings) {
      truncated = true;
      break;
    }
    const lineStart = starts[finding.lineIndex]!;
    const lineEnd = lineEndOf(finding.lineIndex);
    const onLine = byLine.get(finding.lineIndex)!;
    const snippet = buildSnippet(text, lineStart, lineEnd, finding, onLine);
    result.push({
      ruleId: finding.rule.definition.id,
      description: finding.rule.definition.description,
      line: finding.lineIndex + 1,
      column: finding.start - lineStart + 1,
      secret: finding.secret,
      snippet,
      confidence: finding.confidence,
      ...(finding.joined ? { joined: true } : {}),
    });
  }
  return { findings: result, truncated };
}
