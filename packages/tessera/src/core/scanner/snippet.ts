import { redactTokens } from '../token-format.js';
import { maskSecret } from './masking.js';

export const maxSnippetLength = 160;

/** Replaces tabs, carriage returns and other control characters, which would garble a terminal, with spaces. */
function replaceControlCharacters(text: string): string {
  let output = '';
  for (const character of text) {
    const code = character.charCodeAt(0);
    output += code < 0x20 || code === 0x7f ? ' ' : character;
  }
  return output;
}
const contextLength = 48;

interface Span {
  start: number;
  end: number;
  secret: string;
}

/**
 * Cuts a window of the line around `span` (a minified bundle's line can be megabytes long) and
 * masks every secret span that falls into it, so a snippet never carries a secret.
 */
export function buildSnippet(text: string, lineStart: number, lineEnd: number, span: Span, secretsOnLine: Span[]): string {
  const windowStart = Math.max(lineStart, span.start - contextLength);
  const windowEnd = Math.min(lineEnd, span.end + contextLength);

  let snippet = '';
  let cursor = windowStart;
  const inWindow = secretsOnLine.filter((other) => other.end > windowStart && other.start < windowEnd).sort((a, b) => a.start - b.start);
  for (const other of inWindow) {
    if (other.start < cursor) continue;
    snippet += text.slice(cursor, other.start) + maskSecret(other.secret);
    cursor = other.end;
  }
  snippet += text.slice(Math.max(cursor, windowStart), windowEnd);

  // A secret that starts before the window's start is partly inside it: mask the whole window then.
  if (inWindow.some((other) => other.start < windowStart || other.end > windowEnd)) snippet = maskSecret(span.secret);

  const cleaned = redactTokens(replaceControlCharacters(snippet)).trim();
  const prefix = windowStart > lineStart ? '…' : '';
  const suffix = windowEnd < lineEnd ? '…' : '';
  const bounded = cleaned.length > maxSnippetLength ? `${cleaned.slice(0, maxSnippetLength)}…` : cleaned;
  return `${prefix}${bounded}${suffix}`;
}
