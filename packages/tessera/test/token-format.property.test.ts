import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeBase62, encodeBase62FixedWidth, encodeUint32Base62 } from '../src/core/base62.js';
import { computeChecksum, generateToken, parseToken, redactTokens, tokenHint } from '../src/core/token-format.js';
import { deriveHashingKey, hashesEqual, hashToken } from '../src/core/token-hash.js';
import { rememberSecret } from './support/artifacts.js';

// The reference implementations below are written from the format's definition, not from the
// product code: <prefix>_<43 base62 body><6 base62 digits of CRC-32 over "<prefix>_<body>">.

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC-32 lookup table for the reflected IEEE 802.3 polynomial 0xEDB88320. */
const crcTable = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function referenceBase62(value: bigint, width: number): string {
  let digits = '';
  for (let remaining = value; remaining > 0n; remaining /= 62n) digits = alphabet[Number(remaining % 62n)] + digits;
  return digits.padStart(width, '0');
}

function referenceDecodeBase62(text: string): bigint {
  return [...text].reduce((value, character) => value * 62n + BigInt(alphabet.indexOf(character)), 0n);
}

function referenceChecksum(prefixAndBody: string): string {
  return referenceBase62(BigInt(referenceCrc32(Buffer.from(prefixAndBody, 'utf8'))), 6);
}

const referenceTokenPattern = /^([a-z][a-z0-9_]{0,15})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

/** True when `candidate` is a well-formed token with a correct checksum. */
function referenceIsWellFormed(candidate: string): boolean {
  const match = referenceTokenPattern.exec(candidate);
  if (!match) return false;
  const [, prefix, body, checksum] = match as unknown as [string, string, string, string];
  if (prefix.endsWith('_') || prefix.includes('__')) return false;
  return referenceChecksum(`${prefix}_${body}`) === checksum;
}

const base62Character = fc.constantFrom(...alphabet);
const base62String = (length: number) => fc.string({ unit: base62Character, minLength: length, maxLength: length });

/** Valid prefixes: a lowercase letter, then letters, digits and single underscores, at most 16 characters, not ending in '_'. */
const validPrefix = fc.stringMatching(/^[a-z](?:[a-z0-9]|_[a-z0-9]){0,15}$/).filter((prefix) => prefix.length <= 16);

/** Well-formed tokens with a correct checksum, built by the reference. */
const referenceToken = fc.tuple(validPrefix, base62String(43)).map(([prefix, body]) => `${prefix}_${body}${referenceChecksum(`${prefix}_${body}`)}`);

/** Strings shaped like tokens (any prefix-like start, a base62 tail) whose checksum is usually wrong. */
const tokenShaped = fc
  .tuple(fc.stringMatching(/^[a-z0-9_]{0,18}$/), fc.constantFrom('_', '-', ''), base62String(49), fc.boolean())
  .map(([prefix, separator, tail, fixChecksum]) => {
    if (!fixChecksum || separator !== '_') return `${prefix}${separator}${tail}`;
    const body = tail.slice(0, 43);
    return `${prefix}_${body}${referenceChecksum(`${prefix}_${body}`)}`;
  });

const bodyBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('reference CRC-32', () => {
  test('matches the published check value', () => {
    expect(referenceCrc32(Buffer.from('123456789', 'ascii'))).toBe(0xcbf43926);
  });

  test('matches the empty-input value', () => {
    expect(referenceCrc32(new Uint8Array())).toBe(0);
  });
});

describe('token format properties', () => {
  test('generate then parse round-trips', () => {
    fc.assert(
      fc.property(validPrefix, bodyBytes, (prefix, bytes) => {
        const token = rememberSecret(generateToken(prefix, () => bytes));
        const parsed = parseToken(token);

        expect(parsed).toEqual({ ok: true, token: { prefix, body: token.slice(prefix.length + 1, -6), checksum: token.slice(-6) } });
        expect(token).toHaveLength(prefix.length + 1 + 43 + 6);
        expect(token.slice(prefix.length + 1, -6)).toBe(referenceBase62(BigInt(`0x${Buffer.from(bytes).toString('hex')}`), 43));
      }),
      { numRuns: 200 },
    );
  });

  test('random bodies from the OS generator parse', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const token = rememberSecret(generateToken(prefix));
        expect(parseToken(token).ok).toBe(true);
        expect(referenceIsWellFormed(token)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('extreme bodies fit 43 characters', () => {
    for (const fill of [0x00, 0xff]) {
      const token = rememberSecret(generateToken('edge', (size) => new Uint8Array(size).fill(fill)));
      expect(parseToken(token).ok).toBe(true);
      expect(token).toHaveLength('edge_'.length + 49);
    }
  });

  test('invalid prefixes are rejected', () => {
    for (const prefix of ['', 'Edge', '1edge', 'edge_', 'ed__ge', '_edge', 'e'.repeat(17), 'ed-ge', 'édge']) {
      expect(() => generateToken(prefix)).toThrow(RangeError);
    }
  });

  test('any one-character change is rejected', () => {
    const replacement = fc.oneof(base62Character, fc.constantFrom('_', '-', ' ', '\u0000', 'é', '\u{1F511}'));
    fc.assert(
      fc.property(referenceToken, fc.nat(), replacement, (token, position, character) => {
        const index = position % token.length;
        fc.pre(token[index] !== character);
        const changed = token.slice(0, index) + character + token.slice(index + 1);

        const parsed = parseToken(changed);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(['MALFORMED', 'BAD_CHECKSUM']).toContain(parsed.reason);
      }),
      { numRuns: 2000 },
    );
  });

  test('checksum change gives BAD_CHECKSUM', () => {
    fc.assert(
      fc.property(referenceToken, fc.integer({ min: 1, max: 6 }), base62Character, (token, fromEnd, character) => {
        const index = token.length - fromEnd;
        fc.pre(token[index] !== character);
        const changed = token.slice(0, index) + character + token.slice(index + 1);
        expect(parseToken(changed)).toEqual({ ok: false, reason: 'BAD_CHECKSUM' });
      }),
    );
  });

  test('random strings never throw', () => {
    const candidates = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 80 }), tokenShaped, referenceToken);
    fc.assert(
      fc.property(candidates, (candidate) => {
        const parsed = parseToken(candidate);
        expect(parsed.ok).toBe(referenceIsWellFormed(candidate));
        if (!parsed.ok) expect(['MALFORMED', 'BAD_CHECKSUM']).toContain(parsed.reason);
      }),
      { numRuns: 3000 },
    );
  });

  test('non-strings are MALFORMED', () => {
    for (const value of [undefined, null, 42, {}, ['a_b']]) {
      expect(parseToken(value as unknown as string)).toEqual({ ok: false, reason: 'MALFORMED' });
    }
  });

  test('checksum equals reference CRC-32', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), referenceToken), (text) => {
        expect(computeChecksum(text)).toBe(referenceChecksum(text));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('base62 properties', () => {
  const below2To256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });

  test('fixed-width encoding round-trips', () => {
    fc.assert(
      fc.property(below2To256, (value) => {
        const encoded = encodeBase62FixedWidth(value, 43);
        expect(encoded).toHaveLength(43);
        expect(encoded).toBe(referenceBase62(value, 43));
        expect(decodeBase62(encoded)).toBe(value);
        expect(referenceDecodeBase62(encoded)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  test('encoding preserves numeric order', () => {
    fc.assert(
      fc.property(below2To256, below2To256, (left, right) => {
        const leftText = encodeBase62FixedWidth(left, 43);
        const rightText = encodeBase62FixedWidth(right, 43);
        expect(leftText < rightText).toBe(left < right);
      }),
    );
  });

  test('uint32 path equals BigInt path', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (value) => {
        expect(encodeUint32Base62(value, 6)).toBe(encodeBase62FixedWidth(BigInt(value), 6));
        expect(decodeBase62(encodeUint32Base62(value, 6))).toBe(BigInt(value));
      }),
      { numRuns: 1000 },
    );
    expect(encodeUint32Base62(0xffffffff, 6)).toBe(referenceBase62(0xffffffffn, 6));
  });

  test('values too wide are rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.bigInt({ min: 0n, max: 1n << 80n }), (width, extra) => {
        expect(() => encodeBase62FixedWidth(62n ** BigInt(width) + extra, width)).toThrow(RangeError);
        expect(encodeBase62FixedWidth(62n ** BigInt(width) - 1n, width)).toBe('z'.repeat(width));
      }),
    );
    expect(() => encodeBase62FixedWidth(-1n, 43)).toThrow(RangeError);
  });

  test('non-base62 characters are rejected', () => {
    for (const text of ['-', '_', ' ', 'é', 'abc+']) expect(() => decodeBase62(text)).toThrow(RangeError);
  });
});

describe('hashing and hint properties', () => {
  test('HMAC equals node createHmac', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 1000 }), referenceToken, (masterKey, version, token) => {
        const hashingKey = deriveHashingKey(Buffer.from(masterKey), version);
        const expected = createHmac('sha256', hashingKey.key).update(token, 'utf8').digest('base64url');
        expect(hashToken(hashingKey, token)).toBe(expected);
        expect(hashingKey.version).toBe(version);
        expect(hashingKey.key).toHaveLength(32);
      }),
      { numRuns: 300 },
    );
  });

  test('HMAC keys differ by version', () => {
    const masterKey = randomBytes(32);
    const token = rememberSecret(generateToken('hmac'));
    expect(hashToken(deriveHashingKey(masterKey, 1), token)).not.toBe(hashToken(deriveHashingKey(masterKey, 2), token));
    expect(hashToken(deriveHashingKey(masterKey, 1), token)).not.toBe(createHmac('sha256', masterKey).update(token).digest('base64url'));
  });

  test('hash comparison matches equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (left, right) => {
        expect(hashesEqual(left, right)).toBe(left === right);
        expect(hashesEqual(left, left)).toBe(true);
      }),
    );
  });

  test('hints never contain the body', () => {
    fc.assert(
      fc.property(validPrefix, bodyBytes, (prefix, bytes) => {
        const token = rememberSecret(generateToken(prefix, () => bytes));
        const body = token.slice(prefix.length + 1, -6);
        const hint = tokenHint(token);

        expect(hint).toBe(`${prefix}_…${token.slice(-4)}`);
        expect(hint).not.toContain(body);

        const redacted = redactTokens(`Authorization: Bearer ${token}, again: ${token}.`);
        expect(redacted).toBe(`Authorization: Bearer ${hint}, again: ${hint}.`);
        expect(redacted).not.toContain(body);
      }),
      { numRuns: 200 },
    );
  });
});
