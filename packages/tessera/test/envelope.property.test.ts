import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decryptValue, deriveEnvelopeKey, encryptValue, fingerprintValue, rewrapDataKey, type SealedValue } from '../src/core/envelope.js';
import { parseMasterKeys } from '../src/core/key-ring.js';
import { deriveHashingKey } from '../src/core/token-hash.js';

const masterKey = randomBytes(32);
const keyV1 = deriveEnvelopeKey(masterKey, 1);
const keyV2 = deriveEnvelopeKey(randomBytes(32), 2);
const binding = { recordId: '01939a8e-0000-7000-8000-000000000001', version: 1 };

/** Flips one bit of a base64 field at the given byte index. */
function flipBit(encoded: string, index: number): string {
  const bytes = Buffer.from(encoded, 'base64');
  bytes[index % bytes.length]! ^= 0x01;
  return bytes.toString('base64');
}

/**
 * Decrypts with Node's crypto directly, from the stored layout (nonce 12 bytes, ciphertext, tag
 * 16 bytes) and the documented AAD strings, as a reference independent of the product's helpers.
 */
function referenceDecrypt(keyEncryptionKey: Buffer, recordId: string, version: number, keyVersion: number, sealed: SealedValue): string {
  const open = (key: Buffer, encoded: string, aad: string): Buffer => {
    const bytes = Buffer.from(encoded, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  };
  const dataKey = open(keyEncryptionKey, sealed.wrappedKey, `tessera data key\u0000${recordId}\u0000${version}\u0000${keyVersion}`);
  return open(dataKey, sealed.ciphertext, `tessera secret value\u0000${recordId}\u0000${version}`).toString('utf8');
}

describe('envelope encryption', () => {
  test('round trip returns the value', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 500, unit: 'grapheme' }), fc.uuid(), fc.integer({ min: 1, max: 1000 }), (value, recordId, version) => {
        const sealed = encryptValue(keyV1, { recordId, version }, value);
        expect(decryptValue(keyV1, { recordId, version }, sealed)).toBe(value);
      }),
    );
  });

  test('matches a reference decryption with node crypto', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (value) => {
        const sealed = encryptValue(keyV1, binding, value);
        expect(referenceDecrypt(keyV1.keyEncryptionKey, binding.recordId, binding.version, 1, sealed)).toBe(value);
      }),
    );
  });

  test('key derivation is HKDF-SHA-256 with its own labels', () => {
    const expected = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera data key wrapping v1', 32));
    expect(keyV1.keyEncryptionKey.equals(expected)).toBe(true);
    expect(keyV1.keyEncryptionKey.equals(deriveHashingKey(masterKey, 1).key)).toBe(false);
    expect(keyV1.fingerprintKey.equals(keyV1.keyEncryptionKey)).toBe(false);
  });

  test('same value encrypts differently each time', () => {
    const first = encryptValue(keyV1, binding, 'same value');
    const second = encryptValue(keyV1, binding, 'same value');
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.wrappedKey).not.toBe(second.wrappedKey);
  });

  test('altered ciphertext fails at any byte', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.nat(), (value, index) => {
        const sealed = encryptValue(keyV1, binding, value);
        const altered = { ...sealed, ciphertext: flipBit(sealed.ciphertext, index) };
        expect(() => decryptValue(keyV1, binding, altered)).toThrow(/ciphertext failed authentication/);
      }),
    );
  });

  test('altered wrapped key fails at any byte', () => {
    fc.assert(
      fc.property(fc.nat(), (index) => {
        const sealed = encryptValue(keyV1, binding, 'value');
        const altered = { ...sealed, wrappedKey: flipBit(sealed.wrappedKey, index) };
        expect(() => decryptValue(keyV1, binding, altered)).toThrow(/wrapped data key failed authentication/);
      }),
    );
  });

  test('altered record id or version fails', () => {
    const sealed = encryptValue(keyV1, binding, 'value');
    expect(() => decryptValue(keyV1, { ...binding, recordId: `${binding.recordId.slice(0, -1)}2` }, sealed)).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
    expect(() => decryptValue(keyV1, { ...binding, version: 2 }, sealed)).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
  });

  test('swapped ciphertexts fail for both records', () => {
    const first = { recordId: 'record-a', version: 1 };
    const second = { recordId: 'record-b', version: 1 };
    const sealedFirst = encryptValue(keyV1, first, 'value of a');
    const sealedSecond = encryptValue(keyV1, second, 'value of b');

    expect(() => decryptValue(keyV1, first, { ...sealedFirst, ciphertext: sealedSecond.ciphertext })).toThrow(/failed authentication/);
    expect(() => decryptValue(keyV1, second, { ...sealedSecond, ciphertext: sealedFirst.ciphertext })).toThrow(/failed authentication/);
    // Swapping both parts together still fails: the wrapped key is bound to its record too.
    expect(() => decryptValue(keyV1, first, sealedSecond)).toThrow(/wrapped data key failed authentication/);
  });

  test('error message never contains the value', () => {
    const value = 'do-not-echo-this-value-anywhere';
    const sealed = encryptValue(keyV1, binding, value);
    try {
      decryptValue(keyV1, binding, { ...sealed, ciphertext: flipBit(sealed.ciphertext, 20) });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(value);
    }
  });

  test('wrong master key version is rejected', () => {
    const sealed = encryptValue(keyV1, binding, 'value');
    expect(() => decryptValue(keyV2, binding, sealed)).toThrow(/wrapped under master key version 1/);
    expect(() => decryptValue(deriveEnvelopeKey(randomBytes(32), 1), binding, sealed)).toThrow(/wrapped data key failed authentication/);
  });

  test('rewrap moves the data key to the new version', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (value) => {
        const sealed = encryptValue(keyV1, binding, value);
        const wrappedKey = rewrapDataKey(keyV1, keyV2, binding, sealed.wrappedKey);
        const rewrapped = { ciphertext: sealed.ciphertext, wrappedKey, keyVersion: 2 };
        expect(decryptValue(keyV2, binding, rewrapped)).toBe(value);
        expect(() => decryptValue(keyV1, binding, { ...rewrapped, keyVersion: 1 })).toThrow(/failed authentication/);
      }),
    );
  });

  test('fingerprints match only equal values', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (left, right) => {
        expect(fingerprintValue(keyV1, left) === fingerprintValue(keyV1, right)).toBe(left === right);
      }),
    );
    expect(fingerprintValue(keyV1, 'value')).not.toBe(fingerprintValue(keyV2, 'value'));
    expect(fingerprintValue(keyV1, 'value')).not.toContain('value');
  });

  test('key ring derives envelope keys newest first', () => {
    const ring = parseMasterKeys(`1:${randomBytes(32).toString('base64')},2:${randomBytes(32).toString('base64')}`, 'test');
    expect(ring.envelopeKeys.map((key) => key.version)).toEqual([2, 1]);
    expect(ring.current.version).toBe(2);
  });
});
