import type { Finding, TextScanResult } from './finding.js';
import { joinConcatenatedLiterals } from './concatenation.js';
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

/**
 * True when the secret stands on its own: the character before it and the one after it do not
 * continue it. An escape such as `\n` right before the secret counts as a separator.
 */
function hasWordBoundaries(text: string, start: number, end: number): boolean {
  if (start > 0 && isWordCode(text.charCodeAt(start - 1))) {
    const isEscape = start > 1 && text.charCodeAt(start - 2) === backslashCode;
    if (!isEscape) return false;
  }
  return end >= text.length || !isWordCode(text.charCodeAt(end));
}

function containsKeyword(rule: CompiledRule, text: string, lowercaseText: () => string): boolean {
  const haystack = rule.ignoreCase ? lowercaseText() : text;
  return rule.keywords.some((keyword) => haystack.includes(keyword));
}

/** Returns the confidence of a candidate that passes the rule's boundary, placeholder, entropy and validator checks, or null. */
function checkCandidate(rule: CompiledRule, text: string, start: number, end: number, secret: string): Finding['confidence'] | null {
  const { definition } = rule;
  if (definition.boundary !== 'none' && !hasWordBoundaries(text, start, end)) return null;

  // A checksum settles a Tessera token; the placeholder heuristics would only cost recall there.
  if (definition.validator !== 'tessera-checksum' && isPlaceholder(secret)) return null;

  if (definition.minEntropy !== undefined && shannonEntropy(secret) < definition.minEntropy) return null;
  return validateSecret(definition.validator, secret);
}

/** Runs one rule over `text` and returns the matches that pass `checkCandidate`. */
function matchRule(rule: CompiledRule, text: string, joined: boolean): RawFinding[] {
  const { expression } = rule;
  const secretGroup = rule.definition.secretGroup ?? 0;
  const found: RawFinding[] = [];

  expression.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = expression.exec(text)) !== null) {
    const secret = match[secretGroup];
    const start = secretGroup > 0 ? match.indices?.[secretGroup]?.[0] : match.index;
    const confidence = secret === undefined || start === undefined ? null : checkCandidate(rule, text, start, start + secret.length, secret);
    if (confidence === null) {
      // A shorter match may start inside a rejected one, so the search goes on one character later.
      expression.lastIndex = match.index + 1;
      continue;
    }
    found.push({ rule, start: start!, end: start! + secret!.length, secret: secret!, confidence, joined });
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

/** Runs every rule whose keywords occur in the text, over the text and over its joined string literals. */
function collectRawFindings(text: string, rules: CompiledRule[]): RawFinding[] {
  let lowercase: string | undefined;
  const lowercaseText = (): string => (lowercase ??= text.toLowerCase());

  const raw: RawFinding[] = [];
  for (const rule of rules) {
    if (containsKeyword(rule, text, lowercaseText)) raw.push(...matchRule(rule, text, false));
  }

  // Secrets split across string literals ("ghp_ab" + "cd…") are searched for in the joined literals too.
  const joined = joinConcatenatedLiterals(text);
  if (joined !== null) {
    const joinedLowercase = joined.text.toLowerCase();
    for (const rule of rules) {
      if (!containsKeyword(rule, joined.text, () => joinedLowercase)) continue;
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
