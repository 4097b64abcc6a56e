import { fingerprintValue, rewrapDataKey } from '../core/envelope.js';
import { countVersionsToRewrap, listVersionsToRewrap, replaceWrappedKey } from '../store/secret-repository.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit-trail.js';
import type { ServiceContext } from './context.js';
import { currentEnvelopeKey, envelopeKeyOf, openSecretValue } from './secret-values.js';

export const defaultRewrapBatchSize = 200;

export interface RewrapOptions {
  batchSize?: number | undefined;
  /** Called after each committed batch, e.g. to show progress. */
  onBatch?: ((progress: { rewrapped: number; remaining: number }) => void) | undefined;
}

export interface RewrapResult {
  keyVersion: number;
  rewrapped: number;
}

/** Counts the values whose data keys are not yet wrapped under the newest master key version. */
export async function countPendingRewraps(context: ServiceContext): Promise<number> {
  return countVersionsToRewrap(context.db, currentEnvelopeKey(context.keyRing).version);
}

/**
 * Rewraps every data key still under an older master key version with the newest one, and
 * recomputes its fingerprint under the same version. Each batch commits on its own, and a row is
 * only replaced while it still has the version it was read with. So a run killed at any point
 * leaves every value readable under the version its row names, and running again resumes.
 */
export async function rewrapDataKeys(context: ServiceContext, actor: Actor, options: RewrapOptions = {}): Promise<RewrapResult> {
  const target = currentEnvelopeKey(context.keyRing);
  const batchSize = options.batchSize ?? defaultRewrapBatchSize;
  let rewrapped = 0;

  for (;;) {
    const batch = await listVersionsToRewrap(context.db, target.version, batchSize);
    if (batch.length === 0) break;

    await context.db.transaction().execute(async (transaction) => {
      for (const row of batch) {
        const binding = { recordId: row.secret_id, version: row.version };
        // Decrypting proves the row intact before it is rewrapped, and gives the value to fingerprint.
        const value = openSecretValue(context.keyRing, row);
        const wrappedKey = rewrapDataKey(envelopeKeyOf(context.keyRing, row.key_version), target, binding, row.wrapped_key);
        await replaceWrappedKey(
          transaction,
          {
            secret_id: row.secret_id,
            version: row.version,
            wrapped_key: wrappedKey,
            key_version: target.version,
            fingerprint: fingerprintValue(target, value),
          },
          row.key_version,
        );
      }
    });
    rewrapped += batch.length;
    options.onBatch?.({ rewrapped, remaining: await countVersionsToRewrap(context.db, target.version) });
  }

  await recordAudit(context, actor, { action: 'keys.rotate', outcome: 'success', details: { keyVersion: target.version, rewrapped } });
  context.logger.info({ keyVersion: target.version, rewrapped }, 'data keys rewrapped under the newest master key version');
  return { keyVersion: target.version, rewrapped };
}
