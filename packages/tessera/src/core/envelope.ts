import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { TesseraError } from './errors.js';

/**
 * Keys for envelope encryption derived from one master key version. They come from their own HKDF
 * labels, so neither equals the token hashing key of the same version.
 */
export interface EnvelopeKey {
  version: number;
  /** Wraps and unwraps the per-value data keys (AES-256-GCM). */
  keyEncryptionKey: Buffer;
  /** HMAC-SHA-256 key for value fingerprints, which find duplicates without comparing plaintexts. */
  fingerprintKey: Buffer;
}

/** A value encrypted under its own data key, with that key wrapped under a master key version. */
export interface SealedValue {
  /** base64 of nonce (12 bytes), ciphertext and GCM tag (16 bytes). */
  ciphertext: string;
  /** base64 of nonce, encrypted data key and GCM tag. */
  wrappedKey: string;
  /** The master key version that wrapped the data key; stored beside it. */
  keyVersion: number;
}

/** The record a value belongs to, bound into both encryptions as additional authenticated data. */
export interface ValueBinding {
  recordId: string;
  version: number;
}

const nonceBytes = 12;
const tagBytes = 16;
const dataKeyBytes = 32;

export function deriveEnvelopeKey(masterKey: Buffer, version: number): EnvelopeKey {
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `${label} v${version}`, 32));
  return { version, keyEncryptionKey: derive('tessera data key wrapping'), fingerprintKey: derive('tessera secret fingerprint') };
}

// The record id and version are in both AADs, so a ciphertext or wrapped key copied to another
// record, or to another version of the same record, fails authentication instead of decrypting.
function valueAad(binding: ValueBinding): Buffer {
  return Buffer.from(`tessera secret value\u0000${binding.recordId}\u0000${binding.version}`);
}

function wrapAad(binding: ValueBinding, keyVersion: number): Buffer {
  return Buffer.from(`tessera data key\u0000${binding.recordId}\u0000${binding.version}\u0000${keyVersion}`);
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  // A fresh random 96-bit nonce per encryption; every data key encrypts one value only.
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts and authenticates, returning null when the tag does not match. */
function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  if (sealed.length < nonceBytes + tagBytes) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, nonceBytes));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(nonceBytes, sealed.length - tagBytes)), decipher.final()]);
  } catch {
    return null;
  }
}

function decryptionFailed(binding: ValueBinding, part: string): TesseraError {
  return new TesseraError(
    'DECRYPTION_FAILED',
    `secret ${binding.recordId} version ${binding.version}: the ${part} failed authentication; it was altered, moved from another record, or the master key is not the one that encrypted it`,
  );
}

/** Encrypts a value under a new random data key and wraps that key under `envelopeKey`. */
export function encryptValue(envelopeKey: EnvelopeKey, binding: ValueBinding, plaintext: string): SealedValue {
  const dataKey = randomBytes(dataKeyBytes);
  try {
    const ciphertext = seal(dataKey, Buffer.from(plaintext, 'utf8'), valueAad(binding));
    const wrappedKey = seal(envelopeKey.keyEncryptionKey, dataKey, wrapAad(binding, envelopeKey.version));
    return { ciphertext: ciphertext.toString('base64'), wrappedKey: wrappedKey.toString('base64'), keyVersion: envelopeKey.version };
  } finally {
    dataKey.fill(0);
  }
}

function unwrapDataKey(envelopeKey: EnvelopeKey, binding: ValueBinding, wrappedKey: string): Buffer {
  const dataKey = open(envelopeKey.keyEncryptionKey, Buffer.from(wrappedKey, 'base64'), wrapAad(binding, envelopeKey.version));
  if (!dataKey || dataKey.length !== dataKeyBytes) throw decryptionFailed(binding, 'wrapped data key');
  return dataKey;
}

/** Decrypts a sealed value; any alteration of ciphertext, wrapped key, record id or version throws DECRYPTION_FAILED. */
export function decryptValue(envelopeKey: EnvelopeKey, binding: ValueBinding, sealed: SealedValue): string {
  if (envelopeKey.version !== sealed.keyVersion) {
    throw new TesseraError(
      'DECRYPTION_FAILED',
      `secret ${binding.recordId}: wrapped under master key version ${sealed.keyVersion}, not ${envelopeKey.version}`,
    );
  }
  const dataKey = unwrapDataKey(envelopeKey, binding, sealed.wrappedKey);
  try {
    const plaintext = open(dataKey, Buffer.from(sealed.ciphertext, 'base64'), valueAad(binding));
    if (!plaintext) throw decryptionFailed(binding, 'ciphertext');
    return plaintext.toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Rewraps a value's data key under another master key version; the ciphertext stays as it is. */
export function rewrapDataKey(from: EnvelopeKey, to: EnvelopeKey, binding: ValueBinding, wrappedKey: string): string {
  const dataKey = unwrapDataKey(from, binding, wrappedKey);
  try {
    return seal(to.keyEncryptionKey, dataKey, wrapAad(binding, to.version)).toString('base64');
  } finally {
    dataKey.fill(0);
  }
}

/** Computes a keyed fingerprint of a value: equal values give equal fingerprints under one key version, and nothing else is learnt. */
export function fingerprintValue(envelopeKey: EnvelopeKey, plaintext: string): string {
  return createHmac('sha256', envelopeKey.fingerprintKey).update(plaintext, 'utf8').digest('base64url');
}
