import { TesseraError } from '../core/errors.js';
import { decryptValue, encryptValue, fingerprintValue, type EnvelopeKey } from '../core/envelope.js';
import type { KeyRing } from '../core/key-ring.js';
import type { SecretVersionRow } from '../store/schema.js';

/** Returns the newest envelope key, which seals every new value. */
export function currentEnvelopeKey(keyRing: KeyRing): EnvelopeKey {
  const key = keyRing.envelopeKeys[0];
  if (!key) throw new TesseraError('CONFIGURATION_INVALID', 'no master key is loaded; set TESSERA_MASTER_KEY or restore the key file');
  return key;
}

export function envelopeKeyOf(keyRing: KeyRing, version: number): EnvelopeKey {
  const key = keyRing.envelopeKeys.find((candidate) => candidate.version === version);
  if (!key) {
    throw new TesseraError(
      'CONFIGURATION_INVALID',
      `a secret is wrapped under master key version ${version}, which this process has not loaded; if 'tessera keys rotate' added it, restart this process, otherwise add that version to TESSERA_MASTER_KEY or the key file`,
    );
  }
  return key;
}

/** Seals a value for one version of a secret and fingerprints it under the same master key version. */
export function sealSecretValue(
  keyRing: KeyRing,
  secretId: string,
  version: number,
  value: string,
): Pick<SecretVersionRow, 'ciphertext' | 'wrapped_key' | 'key_version' | 'fingerprint'> {
  const envelopeKey = currentEnvelopeKey(keyRing);
  const sealed = encryptValue(envelopeKey, { recordId: secretId, version }, value);
  return { ciphertext: sealed.ciphertext, wrapped_key: sealed.wrappedKey, key_version: sealed.keyVersion, fingerprint: fingerprintValue(envelopeKey, value) };
}

export function openSecretValue(keyRing: KeyRing, row: Pick<SecretVersionRow, 'secret_id' | 'version' | 'ciphertext' | 'wrapped_key' | 'key_version'>): string {
  return decryptValue(
    envelopeKeyOf(keyRing, row.key_version),
    { recordId: row.secret_id, version: row.version },
    { ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, keyVersion: row.key_version },
  );
}
