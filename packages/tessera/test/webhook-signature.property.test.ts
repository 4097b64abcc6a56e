import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defaultBackoff, retryDelaySeconds } from '../src/core/backoff.js';
import { openSecret, sealSecret } from '../src/core/secret-box.js';
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from '../src/core/webhook-signature.js';
import { deriveHashingKey } from '../src/core/token-hash.js';
import { parsePolicyRules } from '../src/core/policy-definition.js';

describe('webhook signatures', () => {
  // The worked example of the Standard Webhooks specification. Matching it means that the
  // specification's receiver libraries accept Tessera's deliveries.
  test('signature matches the specification example', () => {
    // The specification's published example secret, not a credential.
    const signature = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'); // tessera:allow
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('signed deliveries verify, changed ones do not', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 300 }),
        fc.integer({ min: 1, max: 4_000_000_000 }),
        (id, body, timestamp) => {
          const secret = generateWebhookSecret();
          const headers = { id, timestamp: String(timestamp), signature: signWebhook(secret, id, timestamp, body) };

          expect(verifyWebhookSignature(secret, headers, body, timestamp)).toBe(true);
          expect(verifyWebhookSignature(secret, headers, `${body}x`, timestamp)).toBe(false);
          expect(verifyWebhookSignature(secret, { ...headers, id: `${id}x` }, body, timestamp)).toBe(false);
          expect(verifyWebhookSignature(generateWebhookSecret(), headers, body, timestamp)).toBe(false);
          expect(verifyWebhookSignature(secret, headers, body, timestamp + 301)).toBe(false);
          expect(verifyWebhookSignature(secret, { ...headers, signature: `v1,bogus ${headers.signature}` }, body, timestamp)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('secrets have the whsec format', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('sealed secrets', () => {
  const key = deriveHashingKey(Buffer.alloc(32, 7), 1);

  test('seal and open round trip', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.uuid(), (plaintext, boundTo) => {
        const sealed = sealSecret(key, 'purpose', boundTo, plaintext);
        expect(openSecret(key, 'purpose', boundTo, sealed)).toBe(plaintext);
        expect(() => openSecret(key, 'purpose', `${boundTo}x`, sealed)).toThrow();
        expect(() => openSecret(key, 'other purpose', boundTo, sealed)).toThrow();
        expect(() => openSecret(deriveHashingKey(Buffer.alloc(32, 8), 1), 'purpose', boundTo, sealed)).toThrow();
      }),
      { numRuns: 100 },
    );
  });
});

describe('retry backoff', () => {
  test('delay grows and stays within bounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, random) => {
        const delay = retryDelaySeconds(attempts, defaultBackoff, random);
        const ceiling = Math.min(defaultBackoff.maxSeconds, defaultBackoff.baseSeconds * 2 ** (attempts - 1));
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});

describe('policy durations', () => {
  test('seconds and text durations read alike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3650 }), (days) => {
        const fromText = parsePolicyRules({ maxLifetimeSeconds: `${days}d` });
        const fromSeconds = parsePolicyRules({ maxLifetimeSeconds: days * 86400 });
        expect(fromText).toEqual(fromSeconds);
        expect(fromText.maxLifetimeSeconds).toBe(days * 86400);
      }),
    );
  });

  test('arbitrary text is rejected with the field name', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((text) => !/^\s*\d{1,9}[smhdw]?\s*$/.test(text)),
        (text) => {
          expect(() => parsePolicyRules({ staleAfterSeconds: text })).toThrow(/^rules\.staleAfterSeconds: /);
        },
      ),
    );
  });
});
