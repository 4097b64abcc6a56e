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

const maxTokenLength = maxPrefixLength + 1 + bodyLength + checksumLength;

/**
 * Any string shaped like a Tessera token, for redaction; the checksum is not checked here. It also
 * matches a token run together with the text after it ("…ABC"), because masking too much is safe.
 */
export const tokenShapePattern = new RegExp(`[a-z][a-z0-9_]{0,15}_[0-9A-Za-z]{${bodyLength + checksumLength}}`, 'g');

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

const underscoreCode = 0x5f;
const tailLength = bodyLength + checksumLength;

function isLowercaseOrDigitCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
}

function base62Digit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 36;
  return -1;
}

// CRC-32 (IEEE 802.3, the polynomial zlib uses) lookup table for the checksum check below.
const crcTable = new Int32Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  crcTable[byte] = crc;
}

/**
 * Computes the CRC-32 of the first `end` characters of `text`. They must all be ASCII, so that
 * each character code is its UTF-8 byte and the result equals zlib's crc32 of the same string.
 */
function asciiCrc32(text: string, end: number): number {
  let crc = -1;
  for (let i = 0; i < end; i++) crc = crcTable[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * Checks a token's shape and checksum without building substrings: the same rules as
 * `isValidPrefix`, the base62 tail and `computeChecksum`, in one pass over the character codes,
 * because every verification and every authenticated request starts here.
 */
export function checkTokenSyntax(candidate: string): 'OK' | 'MALFORMED' | 'BAD_CHECKSUM' {
  if (typeof candidate !== 'string' || candidate.length > maxTokenLength) return 'MALFORMED';

  // The body and checksum are base62, so the '_' that ends the prefix sits right before them.
  const separator = candidate.length - tailLength - 1;
  if (separator < 1 || candidate.charCodeAt(separator) !== underscoreCode) return 'MALFORMED';

  // Prefix: a lowercase letter, then lowercase letters, digits or single '_', not ending in '_'.
  const first = candidate.charCodeAt(0);
  if (first < 0x61 || first > 0x7a) return 'MALFORMED';
  for (let i = 1; i < separator; i++) {
    const code = candidate.charCodeAt(i);
    if (code === underscoreCode) {
      if (i === separator - 1 || candidate.charCodeAt(i - 1) === underscoreCode) return 'MALFORMED';
    } else if (!isLowercaseOrDigitCode(code)) {
      return 'MALFORMED';
    }
  }

  for (let i = separator + 1; i < candidate.length; i++) {
    if (base62Digit(candidate.charCodeAt(i)) < 0) return 'MALFORMED';
  }

  // Every character is ASCII now. The checksum digits are decoded and compared as a number:
  // base62 of fixed width is unique, so this equals comparing with computeChecksum's string.
  let presentedChecksum = 0;
  for (let i = candidate.length - checksumLength; i < candidate.length; i++) presentedChecksum = presentedChecksum * 62 + base62Digit(candidate.charCodeAt(i));
  return asciiCrc32(candidate, candidate.length - checksumLength) === presentedChecksum ? 'OK' : 'BAD_CHECKSUM';
}

/** True when `candidate` has a token's shape and a matching checksum; no database is involved. */
export function isWellFormedToken(candidate: string): boolean {
  return checkTokenSyntax(candidate) === 'OK';
}

/**
 * Splits a token into its parts and checks its checksum, with no database: a mistyped or
 * invented token is rejected here, before any keyed hash or lookup.
 */
export function parseToken(candidate: string): TokenParseResult {
  const syntax = checkTokenSyntax(candidate);
  if (syntax !== 'OK') return { ok: false, reason: syntax };

  const separator = candidate.length - tailLength - 1;
  const prefix = candidate.slice(0, separator);
  const body = candidate.slice(separator + 1, separator + 1 + bodyLength);
  const checksum = candidate.slice(separator + 1 + bodyLength);
  return { ok: true, token: { prefix, body, checksum } };
}

/** Returns the non-secret label for lists and logs: the prefix and the last 4 characters. */
export function tokenHint(token: string): string {
  const separator = token.lastIndexOf('_');
  const prefix = separator > 0 ? token.slice(0, separator) : '';
  return `${prefix}_…${token.slice(-4)}`;
}

/**
 * Replaces every token-shaped substring of a URL or path with its hint, in its raw and its
 * percent-decoded form, so that "bill%5F…" is caught as well as "bill_…".
 */
export function redactTokensInUrl(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    // Not valid percent-encoding: the raw form is all there is.
  }
  return decoded === url ? redactTokens(url) : redactTokens(decoded);
}

/** Replaces every token-shaped substring with its hint, for log lines and messages. */
export function redactTokens(text: string): string {
  return text.replace(tokenShapePattern, (match) => tokenHint(match));
}

export { base62Pattern };

/**
 * Masks tokens in free text a person typed (a name, description, reason or metadata value) before
 * it is stored. Someone revoking a leaked token often pastes it into the reason; the database and
 * audit log then keep its hint, never the token.
 */
export function maskTokensInText<T extends string | null | undefined>(text: T): T {
  return (typeof text === 'string' ? redactTokens(text) : text) as T;
}

/** Masks tokens in every value of a metadata object. */
export function maskTokensInMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  return Object.fromEntries(Object.entries(metadata).map(([key, value]) => [redactTokens(key), redactTokens(value)]));
}
