import { findLastFinishedRotation, findRotator, listRotationPage } from '../store/rotation-repository.js';
import { findSecretVersion } from '../store/secret-repository.js';
import type { Actor } from './actor.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, pageSize } from './pagination.js';
import { toRotationView, type RotationView } from './secret-rotation.js';
import { findRotationDue } from './secret-rotation-schedule.js';
import { requireSecret } from './secrets.js';
import { isoOrNull } from './views.js';

/** The rotation state of a secret: its rotator, when policy makes it due, and the outcome of its last rotation. */
export interface RotationStatus {
  /** `exec` or `http`; null when no rotator is set, so it is never rotated. */
  rotatorKind: string | null;
  /** The policy that sets a rotate-after age for the secret's group; null when none does. */
  policy: string | null;
  /** When the current value falls due by that policy; null without such a policy or without a rotator. */
  nextRotationDueAt: string | null;
  /** The newest rotation that reached `current` or `failed`. */
  lastOutcome: { rotationId: string; state: string; finishedAt: string; error: string | null } | null;
}

export interface RotationHistory {
  status: RotationStatus;
  items: RotationView[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface RotationHistoryQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Lists a secret's rotations, newest first, with its rotation status. */
export async function listSecretRotations(
  context: ServiceContext,
  actor: Actor,
  environment: string,
  name: string,
  query: RotationHistoryQuery,
): Promise<RotationHistory> {
  await requirePermission(context, actor, { scope: 'secrets:read', action: 'secret.rotations' });
  const limit = pageSize(query.limit);
  const before = decodeCursor(query.cursor);
  const secret = await requireSecret(context.db, environment, name);

  const rows = await listRotationPage(context.db, secret.id, before, limit);
  const rotator = await findRotator(context.db, secret.id);
  const currentValue = await findSecretVersion(context.db, secret.id, secret.current_version);
  const due = await findRotationDue(context.db, { environment, tags: JSON.parse(secret.tags) as string[] }, Number(currentValue!.created_at));
  const last = await findLastFinishedRotation(context.db, secret.id);

  const status: RotationStatus = {
    rotatorKind: rotator?.kind ?? null,
    policy: due?.policy ?? null,
    nextRotationDueAt: rotator && due ? isoOrNull(due.dueAt) : null,
    lastOutcome: last ? { rotationId: last.id, state: last.state, finishedAt: new Date(last.updated_at).toISOString(), error: last.error } : null,
  };
  const lastRow = rows.at(-1);
  return { status, items: rows.map(toRotationView), nextCursor: rows.length === limit && lastRow ? encodeCursor(lastRow.id) : null };
}
