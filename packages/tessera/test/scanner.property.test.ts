import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileRules } from '../src/core/scanner/compile-rules.js';
import { scanText } from '../src/core/scanner/engine.js';
import { redactSecrets } from '../src/core/scanner/redaction.js';
import { generateToken } from '../src/core/token-format.js';
import { decodeContent } from '../src/services/scanning/decode.js';

const rules = compileRules();
const tesseraOnly = compileRules({
  disabledRules: compileRules()
    .map((rule) => rule.definition.id)
    .filter((id) => id !== 'tessera-token'),
});

const prefixArbitrary = fc.stringMatching(/^[a-z][a-z0-9]{0,7}(?:_[a-z0-9]{1,6})?$/).filter((prefix) => prefix.length <= 16);
const bytesArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 });
const tokenArbitrary = fc.tuple(prefixArbitrary, bytesArbitrary).map(([prefix, bytes]) => generateToken(prefix, () => bytes));
// Text around a token: anything, cut off from it by a character that cannot continue a token.
const surroundingArbitrary = fc.string({ maxLength: 40 });
const separatorArbitrary = fc.constantFrom(' ', '"', "'", '=', ':', '\n', '(', ',', '\t', '<');

describe('scanner properties', () => {
  test('every tessera token in any text is found where it is', () => {
    fc.assert(
      fc.property(surroundingArbitrary, separatorArbitrary, tokenArbitrary, separatorArbitrary, surroundingArbitrary, (before, open, token, close, after) => {
        const text = `${before}${open}${token}${close}${after}`;
        const found = scanText(text, { rules: tesseraOnly }).findings.filter((finding) => finding.secret === token);
        // The allow marker is the one way to drop a finding on purpose.
        if (text.includes('tessera:allow')) return;
        expect(found).toHaveLength(1);
        const offset = before.length + open.length;
        const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
        expect(found[0]!.line).toBe(text.slice(0, offset).split('\n').length);
        expect(found[0]!.column).toBe(offset - lineStart + 1);
        expect(found[0]!.confidence).toBe('checksum');
      }),
      { numRuns: 300 },
    );
  });

  test('a token with any character changed is not a tessera finding', () => {
    fc.assert(
      fc.property(
        tokenArbitrary,
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
        (token, position, replacement) => {
          const index = token.indexOf('_') + 1 + (position % 49);
          fc.pre(token[index] !== replacement);
          const altered = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
          const found = scanText(`ref ${altered}\n`, { rules }).findings.filter((finding) => finding.ruleId === 'tessera-token');
          expect(found).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('redaction leaves no secret it found', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(surroundingArbitrary, tokenArbitrary), { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([filler, token]) => `${filler} ${token}\n`).join('');
        const redacted = redactSecrets(text, rules);
        for (const [, token] of parts) expect(redacted).not.toContain(token);
      }),
      { numRuns: 200 },
    );
  });

  test('snippets never contain the secret', () => {
    fc.assert(
      fc.property(surroundingArbitrary, tokenArbitrary, surroundingArbitrary, (before, token, after) => {
        for (const finding of scanText(`${before} ${token} ${after}`, { rules }).findings) expect(finding.snippet).not.toContain(finding.secret);
      }),
      { numRuns: 200 },
    );
  });
});

describe('content decoding', () => {
  const textArbitrary = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter((text) => !text.includes('\u0000'));

  test('UTF-8 with and without BOM round trips', () => {
    fc.assert(
      fc.property(textArbitrary, (text) => {
        expect(decodeContent(Buffer.from(text, 'utf8'))).toEqual({ kind: 'text', text });
        expect(decodeContent(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]))).toEqual({ kind: 'text', text });
      }),
    );
  });

  test('UTF-16 with BOM round trips in both byte orders', () => {
    fc.assert(
      fc.property(textArbitrary, (text) => {
        const littleEndian = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        const bigEndian = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
        expect(decodeContent(littleEndian)).toEqual({ kind: 'text', text });
        expect(decodeContent(bigEndian)).toEqual({ kind: 'text', text });
      }),
    );
  });

  test('UTF-16LE of ASCII without BOM is text', () => {
    const text = 'password = "not a secret"\nline two\n';
    expect(decodeContent(Buffer.from(text, 'utf16le'))).toEqual({ kind: 'text', text });
  });

  test('NUL bytes in the first block mean binary', () => {
    expect(decodeContent(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]))).toEqual({
      kind: 'binary',
    });
  });
});
