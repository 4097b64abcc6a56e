import { randomBytes } from 'node:crypto';
import { TesseraError } from './errors.js';
import { deriveEnvelopeKey, type EnvelopeKey } from './envelope.js';
import { deriveHashingKey, type HashingKey } from './token-hash.js';

/** Versioned master keys; the highest version is current, older ones still verify what they hashed. */
export interface KeyRing {
  current: HashingKey;
  hashingKeys: HashingKey[];
  /** Envelope encryption keys, newest first; the first wraps new data keys, older ones unwrap until rotation rewraps them. */
  envelopeKeys: EnvelopeKey[];
}

export const masterKeyBytes = 32;

/** Serialised form of the key file: `{"keys": {"1": "<base64 of 32 bytes>"}}`. */
export interface KeyFileContent {
  keys: Record<string, string>;
}

export function generateKeyFileContent(): KeyFileContent {
  return { keys: { '1': randomBytes(masterKeyBytes).toString('base64') } };
}

/**
 * Builds a key ring from a key file's content or from `TESSERA_MASTER_KEY`, which contains either one
 * base64 key (version 1) or `version:base64` pairs separated by commas.
 */
export function parseMasterKeys(source: string, origin: string): KeyRing {
  const trimmed = source.trim();
  const versions = new Map<number, Buffer>();

  if (trimmed.startsWith('{')) {
    let content: KeyFileContent;
    try {
      content = JSON.parse(trimmed) as KeyFileContent;
    } catch (error) {
      throw new TesseraError('CONFIGURATION_INVALID', `${origin} is not valid JSON; restore it from a backup`, { cause: error });
    }
    for (const [version, encoded] of Object.entries(content.keys ?? {})) versions.set(Number(version), decodeKey(encoded, origin));
  } else {
    for (const part of trimmed.split(',')) {
      const match = /^(?:(\d+):)?(.+)$/.exec(part.trim());
      versions.set(Number(match?.[1] ?? 1), decodeKey(match?.[2] ?? '', origin));
    }
  }

  const masterKeys = [...versions.entries()].filter(([version]) => Number.isInteger(version) && version > 0).sort(([a], [b]) => b - a);
  const hashingKeys = masterKeys.map(([version, key]) => deriveHashingKey(key, version));
  const envelopeKeys = masterKeys.map(([version, key]) => deriveEnvelopeKey(key, version));
  const current = hashingKeys[0];
  if (!current) throw new TesseraError('CONFIGURATION_INVALID', `${origin} contains no master key; set one base64 key of ${masterKeyBytes} bytes`);
  return { current, hashingKeys, envelopeKeys };
}

function decodeKey(encoded: string, origin: string): Buffer {
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== masterKeyBytes) {
    throw new TesseraError(
      'CONFIGURATION_INVALID',
      `${origin} must hold base64 master keys of ${masterKeyBytes} bytes; generate one with: openssl rand -base64 32`,
    );
  }
  return key;
}
