import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62Pattern, bytesToBigInt, encodeBase62FixedWidth, encodeUint32Base62 } from './base62.js';

// Token layout: <prefix>_<body><checksum>
//   prefix    the keyspace's, lowercase letters, digits and '_', at most 16 characters
//   body      32 bytes from the OS CSPRNG in base62 (43 characters, zero-padded)
//   checksum  CRC32 of "<prefix>_<body>" in base62 (6 characters)
export const bodyBytes = 32;
export const bodyLength = 43;
export const checksumLength = 6;
export const maxPrefixLength = 16;
export const prefixPattern = /^[a-z][a-z0-9_]{0,15}$/;

const tailPattern = new RegExp(`^[0-9A-Za-z]{${bodyLength + checksumLength}}$`);
const maxTokenLength = maxPrefixLength + 1 + bodyLength + checksumLength;

/** Any string shaped like a Tessera token, for redaction; the checksum is not checked here. */
export const tokenShapePattern = new RegExp(`[a-z][a-z0-9_]{0,15}_[0-9A-Za-z]{${bodyLength + checksumLength}}(?![0-9A-Za-z])`, 'g');

export interface ParsedToken {
  prefix: string;
  body: string;
  checksum: string;
}

export type TokenParseResult = { ok: true; token: ParsedToken } | { ok: false; reason: 'MALFORMED' | 'BAD_CHECKSUM' };

export function isValidPrefix(prefix: string): boolean {
  return prefixPattern.test(prefix) && !prefix.endsWith('_') && !prefix.includes('__');
}

export function computeChecksum(prefixAndBody: string): string {
  return encodeUint32Base62(crc32(prefixAndBody), checksumLength);
}

/** Mints a new token for `prefix`. The plaintext must leave the process only in one response. */
export function generateToken(prefix: string, random: (size: number) => Uint8Array = randomBytes): string {
  if (!isValidPrefix(prefix)) throw new RangeError(`invalid token prefix '${prefix}'`);
  const body = encodeBase62FixedWidth(bytesToBigInt(random(bodyBytes)), bodyLength);
  const prefixAndBody = `${prefix}_${body}`;
  return prefixAndBody + computeChecksum(prefixAndBody);
}

/**
 * Splits a token into its parts and checks its checksum, with no database: a mistyped or
 * invented token is rejected here, before any keyed hash or lookup.
 */
export function parseToken(candidate: string): TokenParseResult {
  if (typeof candidate !== 'string' || candidate.length > maxTokenLength) return { ok: false, reason: 'MALFORMED' };

  // The body and checksum are base62, so the last '_' always ends the prefix.
  const separator = candidate.lastIndexOf('_');
  if (separator < 1) return { ok: false, reason: 'MALFORMED' };

  const prefix = candidate.slice(0, separator);
  const tail = candidate.slice(separator + 1);
  if (!tailPattern.test(tail) || !isValidPrefix(prefix)) return { ok: false, reason: 'MALFORMED' };

  const body = tail.slice(0, bodyLength);
  const checksum = tail.slice(bodyLength);
  if (computeChecksum(`${prefix}_${body}`) !== checksum) return { ok: false, reason: 'BAD_CHECKSUM' };

  return { ok: true, token: { prefix, body, checksum } };
}

/** A non-secret label for lists and logs: the prefix and the last 4 characters. */
export function tokenHint(token: string): string {
  const separator = token.lastIndexOf('_');
  const prefix = separator > 0 ? token.slice(0, separator) : '';
  return `${prefix}_…${token.slice(-4)}`;
}

/** Replaces every token-shaped substring with its hint, for log lines and messages. */
export function redactTokens(text: string): string {
  return text.replace(tokenShapePattern, (match) => tokenHint(match));
}

export { base62Pattern };
