import { TesseraError } from '../core/errors.js';
import type { KeyRing } from '../core/key-ring.js';
import { hashingKeyFingerprint } from '../core/token-hash.js';
import { listKeyVersions, recordKeyVersion } from '../store/key-version-repository.js';
import type { Executor } from '../store/schema.js';

/**
 * Checks the master keys against the fingerprints the database recorded, and records new
 * versions. A wrong key would otherwise make every token read as not found.
 */
export async function checkKeyRing(db: Executor, keyRing: KeyRing, now: number): Promise<void> {
  const recorded = new Map((await listKeyVersions(db)).map((row) => [row.version, row.fingerprint]));

  for (const hashingKey of keyRing.hashingKeys) {
    const fingerprint = hashingKeyFingerprint(hashingKey);
    const expected = recorded.get(hashingKey.version);
    if (expected === undefined) {
      await recordKeyVersion(db, { version: hashingKey.version, fingerprint, created_at: now });
    } else if (expected !== fingerprint) {
      throw new TesseraError(
        'CONFIGURATION_INVALID',
        `master key version ${hashingKey.version} does not match the key this database was created with; use the same TESSERA_MASTER_KEY or key file on every node`,
      );
    }
  }
}
