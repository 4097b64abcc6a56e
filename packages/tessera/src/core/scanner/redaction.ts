import { findSecretSpans } from './engine.js';
import { maskSecret } from './masking.js';
import type { CompiledRule } from './rule.js';

/** Replaces every secret a rule matches with its masked form (see maskSecret). */
export function redactSecrets(text: string, rules: CompiledRule[]): string {
  const spans = findSecretSpans(text, rules);
  if (spans.length === 0) return text;

  let output = '';
  let cursor = 0;
  for (const span of spans) {
    if (span.start < cursor) continue;
    output += text.slice(cursor, span.start) + maskSecret(span.secret);
    cursor = span.end;
  }
  return output + text.slice(cursor);
}
