import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { computeChecksum, parseToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const maxTokenLength = 1024;
const base62 = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
const base62String = (length: number) => fc.string({ unit: base62, minLength: length, maxLength: length });

/** Token-shaped strings with random bodies; about half carry a correct checksum and so reach the hash lookup. */
const tokenShaped = fc
  .tuple(fc.constantFrom('bill', 'tessera_admin', 'nope', 'a_b'), base62String(43), base62String(6), fc.boolean())
  .map(([prefix, body, checksum, fixChecksum]) => `${prefix}_${body}${fixChecksum ? computeChecksum(`${prefix}_${body}`) : checksum}`);

const candidates = fc.oneof(
  fc.string(),
  // fast-check 4 replaced fullUnicodeString with 'binary' units: every code point but the surrogate
  // halves, which the generator after the next one sends alone.
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary', minLength: 1000, maxLength: 1100 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) }),
  tokenShaped,
);

/** Length as JSON Schema counts it: in code points, so a surrogate pair is one character. */
function codePointLength(text: string): number {
  return [...text].length;
}

describeEachDatabase('verify with random input', (target) => {
  let server: TestServer;
  let validSecret: string;

  beforeAll(async () => {
    server = await startTestServer(target, { name: `verify-property-${target.name}` });
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } });
    expect(keyspace.status).toBe(201);
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'known' } });
    expect(issued.status).toBe(201);
    validSecret = rememberSecret(issued.body.secret);
  });
  afterAll(async () => server?.stop());

  test('random strings never cause 5xx', async () => {
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(candidates, async (candidate) => {
        fc.pre(candidate !== validSecret);
        const wellFormed = parseToken(candidate).ok;
        if (wellFormed) rememberSecret(candidate);

        const response = await server.request('POST', '/v1/verify', { body: { token: candidate } });

        if (codePointLength(candidate) > maxTokenLength) {
          expect(response.status).toBe(400);
          expect(response.body.error.code).toBe('VALIDATION_FAILED');
          expect(response.body.error.message).toContain('body.token');
          outcomes.add('400');
          return;
        }
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ valid: false, code: wellFormed ? 'NOT_FOUND' : 'MALFORMED' });
        outcomes.add(response.body.code);
      }),
      { numRuns: 200 },
    );
    // The generators are meant to reach each branch; this fails if one of them stops doing so.
    expect(outcomes).toEqual(new Set(['400', 'MALFORMED', 'NOT_FOUND']));
  });

  test('known token still verifies', async () => {
    const response = await server.request('POST', '/v1/verify', { body: { token: validSecret } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ valid: true, code: 'VALID', keyspace: 'billing' });
  });

  test('no server errors logged', () => {
    const errors = server.logLines().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });
});
