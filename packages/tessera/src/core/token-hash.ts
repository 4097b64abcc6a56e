import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** A hashing key and the master key version it was derived from, stored beside each hash. */
export interface HashingKey {
  version: number;
  key: Buffer;
}

const hashingKeyInfo = 'tessera token hashing';

/** Derives the token hashing key from a master key with HKDF-SHA-256, so the raw master key never hashes. */
export function deriveHashingKey(masterKey: Buffer, version: number): HashingKey {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `${hashingKeyInfo} v${version}`, 32));
  return { version, key };
}

/** HMAC-SHA-256 of the whole token, base64url; a stolen database alone cannot check guesses. */
export function hashToken(hashingKey: HashingKey, token: string): string {
  return createHmac('sha256', hashingKey.key).update(token).digest('base64url');
}

/** Compares two hashes in constant time, so response timing reveals nothing about how much matched. */
export function hashesEqual(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left);
  const rightBytes = Buffer.from(right);
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}

/** Computes a non-secret fingerprint of a hashing key, stored to detect a node that starts with another master key. */
export function hashingKeyFingerprint(hashingKey: HashingKey): string {
  return createHmac('sha256', hashingKey.key).update('tessera key fingerprint').digest('base64url');
}
