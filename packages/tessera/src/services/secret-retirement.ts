import { formatDuration } from '../core/duration.js';
import { defaultPolicy } from '../core/policy.js';
import { TesseraError, validationError } from '../core/errors.js';
import { groupSecretReveals, type RevealGroup } from '../store/audit-repository.js';
import { advanceRotation, findLatestCompletedRotation, findRotator } from '../store/rotation-repository.js';
import type { Executor, SecretRotationRow, SecretRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { findSecretPolicy } from './secret-rotation-schedule.js';
import { requireSecret, secretAudit } from './secrets.js';
import { isoOrNull } from './views.js';

/** Readers who read the secret in this long before a rotation are expected to read it again after. */
export const readerLookbackMs = 30 * 86_400_000;

/** One reader of a secret: an actor at one address (over HTTP) or host (the CLI on the data directory). */
export interface SecretReader {
  actorId: string | null;
  actorHint: string | null;
  address: string | null;
  host: string | null;
  reads: number;
  lastReadAt: string;
}

/** Whether the value a rotation replaced is still read, so it can be left to expire at the grace end. */
export interface SecretRetirementReport {
  name: string;
  environment: string;
  rotationId: string;
  rotatedAt: string;
  previousVersion: number;
  currentVersion: number;
  graceEndsAt: string | null;
  /** Reads of the previous version since the rotation, per reader, latest first. */
  previousVersionReads: { count: number; lastReadAt: string | null; readers: SecretReader[] };
  /** Readers of the 30 days before the rotation who have not read the secret since, so they still hold the previous value. */
  notSwitched: SecretReader[];
  stillInUse: boolean;
  /** Whether the grace period may be extended now: only while its end is ahead and the previous value is in use. */
  canExtendGrace: boolean;
}

interface RevealDetails {
  revealedVersion?: number;
  host?: string;
}

function readerKey(group: RevealGroup, details: RevealDetails): string {
  return JSON.stringify([group.actor_id, group.source_ip, details.host ?? null]);
}

/** Merges reveal groups into one entry per reader, keeping only the groups `keep` accepts. */
function mergeReaders(groups: RevealGroup[], keep: (details: RevealDetails) => boolean): Map<string, SecretReader & { lastReadMs: number }> {
  const readers = new Map<string, SecretReader & { lastReadMs: number }>();
  for (const group of groups) {
    const details = JSON.parse(group.details) as RevealDetails;
    if (!keep(details)) continue;
    const key = readerKey(group, details);
    const reader = readers.get(key) ?? {
      actorId: group.actor_id,
      actorHint: group.actor_hint,
      address: group.source_ip,
      host: details.host ?? null,
      reads: 0,
      lastReadAt: '',
      lastReadMs: 0,
    };
    reader.reads += group.reads;
    reader.lastReadMs = Math.max(reader.lastReadMs, group.last_read_at);
    reader.lastReadAt = new Date(reader.lastReadMs).toISOString();
    readers.set(key, reader);
  }
  return readers;
}

function latestFirst(readers: Iterable<SecretReader & { lastReadMs: number }>): SecretReader[] {
  return [...readers].sort((left, right) => right.lastReadMs - left.lastReadMs).map(({ lastReadMs: _lastReadMs, ...reader }) => reader);
}

async function loadRotated(executor: Executor, environment: string, name: string): Promise<{ secret: SecretRow; rotation: SecretRotationRow }> {
  const secret = await requireSecret(executor, environment, name);
  const rotation = await findLatestCompletedRotation(executor, secret.id);
  if (!rotation) {
    throw new TesseraError(
      'CONFLICT',
      `secret '${name}' in '${environment}' has not been rotated, so no previous value is being retired; rotate it with \`tessera secret rotate ${name} --env ${environment}\``,
      { field: 'name' },
    );
  }
  return { secret, rotation };
}

async function buildReport(executor: Executor, secret: SecretRow, rotation: SecretRotationRow, now: number): Promise<SecretRetirementReport> {
  // A rotation's updated_at is the time it became current, because `current` is its last step.
  const rotatedAt = rotation.updated_at;
  const before = await groupSecretReveals(executor, secret.id, rotatedAt - readerLookbackMs, rotatedAt);
  const since = await groupSecretReveals(executor, secret.id, rotatedAt, now + 1);

  const previousReaders = latestFirst(mergeReaders(since, (details) => details.revealedVersion === rotation.from_version).values());
  const readersSince = mergeReaders(since, () => true);
  const notSwitched = [...mergeReaders(before, () => true)].filter(([key]) => !readersSince.has(key)).map(([, reader]) => reader);

  const count = previousReaders.reduce((sum, reader) => sum + reader.reads, 0);
  const stillInUse = previousReaders.length > 0 || notSwitched.length > 0;
  return {
    name: secret.name,
    environment: secret.environment,
    rotationId: rotation.id,
    rotatedAt: new Date(rotatedAt).toISOString(),
    previousVersion: rotation.from_version,
    currentVersion: rotation.to_version!,
    graceEndsAt: isoOrNull(rotation.grace_ends_at),
    previousVersionReads: { count, lastReadAt: previousReaders[0]?.lastReadAt ?? null, readers: previousReaders },
    notSwitched: latestFirst(notSwitched),
    stillInUse,
    canExtendGrace: stillInUse && rotation.grace_ends_at !== null && rotation.grace_ends_at > now,
  };
}

/** Reports whether the value the latest rotation replaced is still read, which readers read it and from where, from the audit log's reveal entries. */
export async function getSecretRetirement(context: ServiceContext, actor: Actor, environment: string, name: string): Promise<SecretRetirementReport> {
  await requirePermission(context, actor, { scope: 'secrets:read', action: 'secret.retirement' });
  const { secret, rotation } = await loadRotated(context.db, environment, name);
  return buildReport(context.db, secret, rotation, context.clock.now());
}

/**
 * Moves the grace end of the latest rotation later while the previous value is still in use, so a
 * reader that has not switched keeps working. One extension adds at most the rotator's grace period.
 */
export async function extendSecretGrace(
  context: ServiceContext,
  actor: Actor,
  environment: string,
  name: string,
  input: { extendBySeconds: number },
): Promise<SecretRetirementReport> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.extend_grace' });
  if (!Number.isInteger(input.extendBySeconds) || input.extendBySeconds < 60)
    throw validationError('extendBySeconds', 'must be a whole number of seconds, at least 60');

  return auditedChange(context, actor, async (transaction, now) => {
    const { secret, rotation } = await loadRotated(transaction, environment, name);
    const report = await buildReport(transaction, secret, rotation, now);
    if (rotation.grace_ends_at === null || rotation.grace_ends_at <= now) {
      throw new TesseraError(
        'CONFLICT',
        `the grace period of version ${rotation.from_version} of '${name}' ended at ${isoOrNull(rotation.grace_ends_at)}, so it can no longer be read or extended`,
      );
    }
    if (!report.stillInUse) {
      throw new TesseraError(
        'CONFLICT',
        `nobody has read version ${rotation.from_version} of '${name}' since the rotation, and every earlier reader has switched; let its grace period end`,
      );
    }
    const rotator = await findRotator(transaction, secret.id);
    const maxSeconds = rotator?.grace_seconds ?? 0;
    if (input.extendBySeconds > maxSeconds) {
      throw new TesseraError(
        'POLICY_VIOLATION',
        `extendBySeconds: one extension may add at most the rotator's grace period (${formatDuration(maxSeconds)}); extend again later if needed`,
        { field: 'extendBySeconds' },
      );
    }

    // Repeated extensions stop at the rotation plus the policy's maximum lifetime, as a token's do.
    const graceEndsAt = rotation.grace_ends_at + input.extendBySeconds * 1000;
    const policy = await findSecretPolicy(transaction, { environment: secret.environment, tags: JSON.parse(secret.tags) as string[] });
    const latest = rotation.updated_at + (policy?.rules.maxLifetimeSeconds ?? defaultPolicy.maxLifetimeSeconds) * 1000;
    if (graceEndsAt > latest) {
      throw new TesseraError(
        'POLICY_VIOLATION',
        `extendBySeconds: the grace period cannot end after ${new Date(latest).toISOString()}, the policy's maximum lifetime after the rotation`,
        { field: 'extendBySeconds' },
      );
    }
    await advanceRotation(transaction, rotation.id, 'current', { grace_ends_at: graceEndsAt });
    const audit = secretAudit('secret.extend_grace', secret, {
      rotationId: rotation.id,
      previousVersion: rotation.from_version,
      extendBySeconds: input.extendBySeconds,
      graceEndsAt: isoOrNull(graceEndsAt),
      previousGraceEndsAt: isoOrNull(rotation.grace_ends_at),
    });
    return { result: { ...report, graceEndsAt: isoOrNull(graceEndsAt) }, audit };
  });
}
