import { describe, expect, test } from 'vitest';
import { defaultPolicy, resolveExpiry } from '../src/core/policy.js';
import { formatDuration, parseDuration } from '../src/core/duration.js';
import { TesseraError } from '../src/core/errors.js';

const now = Date.parse('2026-06-01T00:00:00Z');
const day = 86_400_000;

function errorOf(run: () => unknown): TesseraError {
  try {
    run();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error('expected a TesseraError');
}

describe('expiry policy', () => {
  test('default lifetime is the policy maximum', () => {
    expect(resolveExpiry(defaultPolicy, {}, now)).toBe(now + 90 * day);
  });

  test('relative and absolute expiries are accepted', () => {
    expect(resolveExpiry(defaultPolicy, { expiresInSeconds: 3600 }, now)).toBe(now + 3_600_000);
    expect(resolveExpiry(defaultPolicy, { expiresAt: '2026-06-11T00:00:00Z' }, now)).toBe(now + 10 * day);
  });

  test('lifetime over the maximum is a policy violation', () => {
    const error = errorOf(() => resolveExpiry(defaultPolicy, { expiresInSeconds: 91 * 86400 }, now));
    expect(error.code).toBe('POLICY_VIOLATION');
    expect(error.field).toBe('expiresInSeconds');
    expect(error.message).toContain('90d');
  });

  test('no expiry needs a policy that allows it', () => {
    expect(errorOf(() => resolveExpiry(defaultPolicy, { neverExpires: true }, now)).code).toBe('POLICY_VIOLATION');
    expect(resolveExpiry({ ...defaultPolicy, allowNoExpiry: true }, { neverExpires: true }, now)).toBeNull();
  });

  test('past or unparseable expiry is invalid', () => {
    expect(errorOf(() => resolveExpiry(defaultPolicy, { expiresAt: '2026-05-01T00:00:00Z' }, now)).field).toBe('expiresAt');
    expect(errorOf(() => resolveExpiry(defaultPolicy, { expiresAt: 'next tuesday' }, now)).code).toBe('VALIDATION_FAILED');
  });

  test('two expiry fields at once are rejected', () => {
    expect(errorOf(() => resolveExpiry(defaultPolicy, { expiresAt: '2026-06-02T00:00:00Z', expiresInSeconds: 60 }, now)).code).toBe('VALIDATION_FAILED');
  });
});

describe('durations', () => {
  test.each([
    ['90d', 7_776_000],
    ['24h', 86_400],
    ['15m', 900],
    ['45s', 45],
    ['2w', 1_209_600],
    ['600', 600],
  ])('%s parses to %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  test.each(['', '3x', '-1d', '1.5h', 'd'])('%j is rejected', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  test('format picks the largest whole unit', () => {
    expect(formatDuration(86_400)).toBe('1d');
    expect(formatDuration(5_400)).toBe('90m');
    expect(formatDuration(61)).toBe('61s');
  });
});
