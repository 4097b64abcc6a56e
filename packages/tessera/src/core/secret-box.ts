import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { HashingKey } from './token-hash.js';

// Secrets Tessera must read back to use (webhook signing secrets) are sealed with AES-256-GCM under a
// key derived from the master key, so a copy of the database alone does not reveal them.

const nonceBytes = 12;
const tagBytes = 16;

function sealingKey(masterDerived: HashingKey, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterDerived.key, Buffer.alloc(0), `tessera sealing ${purpose} v${masterDerived.version}`, 32));
}

/**
 * Encrypts `plaintext` and returns base64url of nonce, ciphertext and tag. `boundTo` (the owning
 * record's id) is authenticated as additional data, so a sealed value copied to another record fails to open.
 */
export function sealSecret(key: HashingKey, purpose: string, boundTo: string, plaintext: string): string {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(key, purpose), nonce);
  cipher.setAAD(Buffer.from(boundTo));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** Decrypts what `sealSecret` returned; throws when the value, the key or `boundTo` does not match. */
export function openSecret(key: HashingKey, purpose: string, boundTo: string, sealed: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const nonce = bytes.subarray(0, nonceBytes);
  const tag = bytes.subarray(bytes.length - tagBytes);
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(key, purpose), nonce);
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(bytes.subarray(nonceBytes, bytes.length - tagBytes)), decipher.final()]).toString('utf8');
}
