import { v7 as uuidv7 } from 'uuid';
import { decryptValue, encryptValue } from '../core/envelope.js';
import { TesseraError } from '../core/errors.js';
import { parseRotatorConfig, type RotatorConfig, type RotatorInput } from '../core/rotator-config.js';
import {
  advanceRotation,
  findRotation,
  findRotator,
  findUnfinishedRotation,
  insertRotation,
  listUnfinishedRotations,
  saveRotator,
} from '../store/rotation-repository.js';
import { findSecretVersion, insertSecretVersion, updateSecret } from '../store/secret-repository.js';
import type { SecretRotationRow, SecretRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { eventAbout } from './events.js';
import { obtainNewValue, testNewValue, type RotationFacts } from './rotators.js';
import { requireSecret, secretAudit, validateValue } from './secrets.js';
import { currentEnvelopeKey, envelopeKeyOf, openSecretValue, sealSecretValue } from './secret-values.js';

export interface RotatorView {
  config: RotatorConfig;
  gracePeriodSeconds: number;
}

export interface RotationView {
  id: string;
  state: string;
  fromVersion: number;
  toVersion: number | null;
  error: string | null;
  startedAt: string;
  /** When the rotation last moved a step; for a current or failed rotation, when it finished. */
  updatedAt: string;
  graceEndsAt: string | null;
  /** The actor that started it: a token id, `local:<user>`, or the scheduler. */
  startedBy: string | null;
}

export function toRotationView(row: SecretRotationRow): RotationView {
  return {
    id: row.id,
    state: row.state,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    error: row.error,
    startedAt: new Date(row.started_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    graceEndsAt: row.grace_ends_at === null ? null : new Date(row.grace_ends_at).toISOString(),
    startedBy: row.started_by,
  };
}

/**
 * Sets how a secret is rotated. It needs the `admin` scope, because an exec rotator runs a program
 * on the server and an http rotator makes the server send the current value to a URL.
 */
export async function setRotator(context: ServiceContext, actor: Actor, environment: string, name: string, input: RotatorInput): Promise<RotatorView> {
  await requirePermission(context, actor, { scope: 'admin', action: 'secret.rotator.set' });
  const { config, graceSeconds } = parseRotatorConfig(input);

  return auditedChange(context, actor, async (transaction, now) => {
    const row = await requireSecret(transaction, environment, name);
    await saveRotator(transaction, {
      secret_id: row.id,
      kind: config.kind,
      config: JSON.stringify(config),
      grace_seconds: graceSeconds,
      updated_at: now,
      updated_by: actor.id,
    });
    await updateSecret(transaction, row.id, { rotation_method: config.kind, updated_at: now });
    return {
      result: { config, gracePeriodSeconds: graceSeconds },
      audit: secretAudit('secret.rotator.set', row, { kind: config.kind, gracePeriodSeconds: graceSeconds }),
    };
  });
}

/** The staged value is bound to its rotation, so it cannot be swapped with another rotation's value. */
function stagedBinding(rotation: SecretRotationRow) {
  return { recordId: `rotation:${rotation.id}`, version: rotation.from_version };
}

function openStagedValue(context: ServiceContext, rotation: SecretRotationRow): string {
  return decryptValue(envelopeKeyOf(context.keyRing, rotation.staged_key_version!), stagedBinding(rotation), {
    ciphertext: rotation.staged_ciphertext!,
    wrappedKey: rotation.staged_wrapped_key!,
    keyVersion: rotation.staged_key_version!,
  });
}

function rotationEvent(type: 'secret.rotated' | 'secret.rotation_failed', row: SecretRow, data: Record<string, unknown>) {
  return eventAbout({ target: { type: 'secret', id: row.id }, keyspace: null }, type, { name: row.name, environment: row.environment, ...data });
}

async function loadRotationParts(context: ServiceContext, rotation: SecretRotationRow) {
  const secret = await context.db.selectFrom('secrets').selectAll().where('id', '=', rotation.secret_id).executeTakeFirst();
  const rotator = await findRotator(context.db, rotation.secret_id);
  return { secret, rotator };
}

/** Marks the rotation failed at its step and raises `secret.rotation_failed`; the current value is left as it is. */
async function failRotation(context: ServiceContext, actor: Actor, rotation: SecretRotationRow, secret: SecretRow, reason: string): Promise<void> {
  context.logger.warn(
    { rotationId: rotation.id, secret: secret.name, environment: secret.environment, step: rotation.state, reason },
    'secret rotation failed',
  );
  await auditedChange(context, actor, async (transaction, now) => {
    const moved = await advanceRotation(transaction, rotation.id, rotation.state, { state: 'failed', error: `${rotation.state}: ${reason}`, updated_at: now });
    if (!moved) return { result: undefined, audit: [] };
    return {
      result: undefined,
      audit: { ...secretAudit('secret.rotate', secret, { rotationId: rotation.id, step: rotation.state, reason }), outcome: 'failure' },
      events: [rotationEvent('secret.rotation_failed', secret, { rotationId: rotation.id, step: rotation.state, reason })],
    };
  });
}

/**
 * Takes one step of a rotation and records it in the same transaction as its effect:
 * pending → applied (the new value is obtained and stored staged), applied → tested (the test passed),
 * tested → current (the new value becomes the next version; the previous one is served until the grace period ends).
 */
async function takeStep(context: ServiceContext, actor: Actor, rotation: SecretRotationRow): Promise<void> {
  const { secret, rotator } = await loadRotationParts(context, rotation);
  if (!secret || !rotator) {
    await advanceRotation(context.db, rotation.id, rotation.state, {
      state: 'failed',
      error: 'the secret or its rotator was removed',
      updated_at: context.clock.now(),
    });
    return;
  }
  const config = JSON.parse(rotator.config) as RotatorConfig;
  const facts: RotationFacts = {
    rotationId: rotation.id,
    name: secret.name,
    environment: secret.environment,
    provider: secret.provider,
    version: rotation.from_version,
  };

  if (rotation.state === 'pending') {
    const sealedCurrent = await findSecretVersion(context.db, secret.id, rotation.from_version);
    let newValue: string;
    try {
      newValue = await obtainNewValue(config, openSecretValue(context.keyRing, sealedCurrent!), facts);
      validateValue(newValue);
    } catch (error) {
      return failRotation(context, actor, rotation, secret, (error as Error).message);
    }
    const sealed = encryptValue(currentEnvelopeKey(context.keyRing), stagedBinding(rotation), newValue);
    await auditedChange(context, actor, async (transaction, now) => {
      await advanceRotation(transaction, rotation.id, 'pending', {
        state: 'applied',
        staged_ciphertext: sealed.ciphertext,
        staged_wrapped_key: sealed.wrappedKey,
        staged_key_version: sealed.keyVersion,
        updated_at: now,
      });
      return { result: undefined, audit: secretAudit('secret.rotate.applied', secret, { rotationId: rotation.id }) };
    });
    return;
  }

  if (rotation.state === 'applied') {
    try {
      await testNewValue(config, openStagedValue(context, rotation), facts);
    } catch (error) {
      return failRotation(context, actor, rotation, secret, (error as Error).message);
    }
    await auditedChange(context, actor, async (transaction, now) => {
      await advanceRotation(transaction, rotation.id, 'applied', { state: 'tested', updated_at: now });
      return { result: undefined, audit: secretAudit('secret.rotate.tested', secret, { rotationId: rotation.id }) };
    });
    return;
  }

  if (rotation.state === 'tested') {
    const newValue = openStagedValue(context, rotation);
    await auditedChange(context, actor, async (transaction, now) => {
      const fresh = await requireSecret(transaction, secret.environment, secret.name);
      const version = fresh.current_version + 1;
      const sealed = sealSecretValue(context.keyRing, fresh.id, version, newValue);
      const moved = await advanceRotation(transaction, rotation.id, 'tested', {
        state: 'current',
        to_version: version,
        staged_ciphertext: null,
        staged_wrapped_key: null,
        staged_key_version: null,
        grace_ends_at: now + rotator.grace_seconds * 1000,
        updated_at: now,
      });
      if (!moved) return { result: undefined, audit: [] };
      await insertSecretVersion(transaction, { secret_id: fresh.id, version, ...sealed, created_at: now, created_by: actor.id });
      await updateSecret(transaction, fresh.id, { current_version: version, updated_at: now });
      const updated = { ...fresh, current_version: version };
      return {
        result: undefined,
        audit: secretAudit('secret.rotate', updated, { rotationId: rotation.id, previousVersion: fresh.current_version }),
        events: [rotationEvent('secret.rotated', updated, { rotationId: rotation.id, version, previousVersion: fresh.current_version })],
      };
    });
  }
}

/** Rotations this process is driving; the scheduler leaves them alone. */
const rotationsInFlight = new Set<string>();

/** Extra time past a step's timeout before another runner treats the step as interrupted by a crash. */
const interruptedAfterMs = 5000;

/** Runs a rotation from the step it reached to `current` or `failed`. */
export async function driveRotation(context: ServiceContext, actor: Actor, rotationId: string): Promise<RotationView> {
  rotationsInFlight.add(rotationId);
  try {
    for (;;) {
      const rotation = await findRotation(context.db, rotationId);
      if (!rotation) throw new TesseraError('NOT_FOUND', `rotation '${rotationId}' does not exist`);
      if (rotation.state === 'current' || rotation.state === 'failed') return toRotationView(rotation);
      context.logger.info({ rotationId, step: rotation.state }, 'secret rotation step');
      await takeStep(context, actor, rotation);
    }
  } finally {
    rotationsInFlight.delete(rotationId);
  }
}

/** Rotates a secret with its configured rotator through the staged protocol; a failed rotation is returned with its reason, not thrown. */
export async function rotateSecret(context: ServiceContext, actor: Actor, environment: string, name: string): Promise<RotationView> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.rotate' });

  const rotationId = await auditedChange(context, actor, async (transaction, now) => {
    const row = await requireSecret(transaction, environment, name);
    if (!(await findRotator(transaction, row.id))) {
      throw new TesseraError(
        'CONFLICT',
        `secret '${name}' in '${environment}' has no rotator; set one with \`tessera secret rotator ${name} --env ${environment}\``,
        {
          field: 'name',
        },
      );
    }
    const unfinished = await findUnfinishedRotation(transaction, row.id);
    if (unfinished) {
      throw new TesseraError(
        'CONFLICT',
        `secret '${name}' is already being rotated (rotation ${unfinished.id}, step ${unfinished.state}); it resumes on the next scheduler pass`,
        {
          field: 'name',
        },
      );
    }
    const id = uuidv7();
    await insertRotation(transaction, {
      id,
      secret_id: row.id,
      state: 'pending',
      from_version: row.current_version,
      to_version: null,
      staged_ciphertext: null,
      staged_wrapped_key: null,
      staged_key_version: null,
      error: null,
      started_at: now,
      updated_at: now,
      grace_ends_at: null,
      started_by: actor.id,
    });
    return { result: id, audit: secretAudit('secret.rotate.pending', row, { rotationId: id }) };
  });

  return driveRotation(context, actor, rotationId);
}

/**
 * Resumes every rotation a crash or stop interrupted, each at the step it had reached. A step is
 * taken as interrupted once it has not moved for its rotator's timeout plus a margin, because a
 * running step ends by then. So a node does not repeat a step that another node is still taking.
 */
export async function resumeRotations(context: ServiceContext, actor: Actor): Promise<RotationView[]> {
  const resumed: RotationView[] = [];
  for (const rotation of await listUnfinishedRotations(context.db)) {
    if (rotationsInFlight.has(rotation.id)) continue;
    const rotator = await findRotator(context.db, rotation.secret_id);
    const timeoutMs = rotator ? (JSON.parse(rotator.config) as RotatorConfig).timeoutSeconds * 1000 : 0;
    if (context.clock.now() - rotation.updated_at < timeoutMs + interruptedAfterMs) continue;

    context.logger.info({ rotationId: rotation.id, step: rotation.state }, 'resuming interrupted secret rotation');
    resumed.push(await driveRotation(context, actor, rotation.id));
  }
  return resumed;
}
