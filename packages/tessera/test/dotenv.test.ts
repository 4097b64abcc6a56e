import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseDotenv } from '../src/core/dotenv.js';
import { recogniseProvider } from '../src/core/providers.js';

describe('dotenv parser', () => {
  test.each([
    ['plain', 'KEY=value', 'value'],
    ['export prefix', 'export KEY=value', 'value'],
    ['spaces around equals', 'KEY = value', 'value'],
    ['trailing comment', 'KEY=value # why', 'value'],
    ['hash inside value', 'KEY=abc#def', 'abc#def'],
    ['double quotes with escapes', 'KEY="a\\nb\\t\\"c\\""', 'a\nb\t"c"'],
    ['single quotes literal', "KEY='a\\nb $HOME'", 'a\\nb $HOME'],
    ['backticks', 'KEY=`it\'s "quoted"`', 'it\'s "quoted"'],
    ['comment after quotes', 'KEY="value" # note', 'value'],
    ['equals in value', 'KEY=a=b=c', 'a=b=c'],
    ['crlf line end', 'KEY=value\r\n', 'value'],
  ])('%s', (_name, text, expected) => {
    const result = parseDotenv(text);
    expect(result.errors).toEqual([]);
    expect(result.entries).toEqual([{ name: 'KEY', value: expected, line: 1 }]);
  });

  test('multi-line quoted value keeps its line breaks', () => {
    const result = parseDotenv('# key\nPEM="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n');
    expect(result.errors).toEqual([]);
    expect(result.entries).toEqual([
      { name: 'PEM', value: '-----BEGIN-----\nabc\n-----END-----', line: 2 },
      { name: 'NEXT', value: '1', line: 5 },
    ]);
  });

  test('bad lines are reported with numbers', () => {
    const text = ['GOOD=1', 'no equals here', '9NAME=x', 'EMPTY=', 'AFTER="x" trailing', 'LAST=2', 'OPEN="never closed'].join('\n');
    const result = parseDotenv(text);

    expect(result.entries.map((entry) => [entry.name, entry.line])).toEqual([
      ['GOOD', 1],
      ['LAST', 6],
    ]);
    expect(result.errors.map((error) => error.line)).toEqual([2, 3, 4, 5, 7]);
    expect(result.errors[0]!.message).toMatch(/not an assignment/);
    expect(result.errors[1]!.message).toMatch(/not a variable name/);
    expect(result.errors[2]!.message).toMatch(/empty/);
    expect(result.errors[3]!.message).toMatch(/after the closing quote/);
    expect(result.errors[4]!.message).toMatch(/never closed/);
  });

  test('unclosed quote does not swallow later lines', () => {
    const result = parseDotenv('A="open\nB=2\nC=3');
    expect(result.errors).toEqual([{ line: 1, message: expect.stringMatching(/never closed/) }]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['B', 'C']);
  });

  test('messages never quote the value', () => {
    const result = parseDotenv('A="s3cr3t-value trailing" junk\nB=\'s3cr3t-other');
    for (const error of result.errors) expect(error.message).not.toContain('s3cr3t');
  });

  test('repeated name keeps the last value', () => {
    expect(parseDotenv('A=1\nA=2').entries).toEqual([{ name: 'A', value: '2', line: 2 }]);
  });

  test('double-quoted values round trip', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }), (value) => {
        fc.pre(!value.includes('\r') && value.trim() === value);
        const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
        const result = parseDotenv(`KEY="${escaped}"`);
        expect(result.errors).toEqual([]);
        expect(result.entries[0]!.value).toBe(value);
      }),
    );
  });

  test('parser never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = parseDotenv(text);
        expect(Array.isArray(result.entries)).toBe(true);
      }),
    );
  });
});

describe('provider recognition', () => {
  // Fake values of each documented shape, built at run time.
  const filler = (length: number, alphabet = 'abcdef0123456789') => Array.from({ length }, (_, index) => alphabet[index % alphabet.length]).join('');
  test.each([
    ['github', `ghp_${filler(36)}`],
    ['github', `github_pat_${filler(40)}`],
    ['gitlab', `glpat-${filler(20)}`],
    ['stripe', `sk_live_${filler(24)}`],
    ['stripe', `rk_test_${filler(24)}`],
    ['slack', `xoxb-${filler(30)}`],
    ['aws', `AKIA${filler(16, 'ABCDEFGHIJ0123456789')}`],
    ['npm', `npm_${filler(36)}`],
    ['anthropic', `sk-ant-${filler(40)}`],
    ['openai', `sk-proj-${filler(40)}`],
    ['google', `AIza${filler(35)}`],
  ])('%s token recognised', (provider, value) => {
    expect(recogniseProvider(value)).toBe(provider);
  });

  test('unknown format gives null', () => {
    expect(recogniseProvider('just-a-password')).toBeNull();
    expect(recogniseProvider('ghp_short')).toBeNull();
  });
});
