import { v7 as uuidv7 } from 'uuid';
import { insertEventRows, listEventRows, nextEventSeq } from '../store/event-repository.js';
import type { EventRow, Executor } from '../store/schema.js';
import type { Actor } from './actor.js';
import { requirePermission, visibleKeyspaces } from './authorization.js';
import type { ServiceContext } from './context.js';
import { decodeSeqCursor, encodeCursor, pageSize } from './pagination.js';
import type { Page } from './views.js';

/**
 * The kind of an event, named `<subject>.<what happened>` (`token.created`, `token.revoked`). The
 * set grows with features, so a receiver ignores types it does not know.
 */
export type EventType = `${'token' | 'secret' | 'keyspace' | 'policy'}.${string}`;

/** A change or finding, as a service reports it. `data` contains non-secret facts only. */
export interface EventRecord {
  type: EventType;
  subject?: { type: string; id: string } | undefined;
  keyspace?: string | null | undefined;
  data?: Record<string, unknown> | undefined;
}

/** Builds the event that reports a successful audited action, about the same subject and keyspace. */
export function eventAbout(
  record: { target?: { type: string; id: string } | undefined; keyspace?: string | null | undefined },
  type: EventType,
  data: Record<string, unknown>,
): EventRecord {
  return { type, subject: record.target, keyspace: record.keyspace, data };
}

export interface TesseraEvent {
  seq: number;
  id: string;
  type: string;
  occurredAt: string;
  subject: { type: string | null; id: string | null };
  keyspace: string | null;
  actorId: string | null;
  data: Record<string, unknown>;
}

/** Writes events to the outbox. The caller's transaction must lock the audit head first, because that lock orders them. */
export async function appendEvents(executor: Executor, actor: Actor, records: readonly EventRecord[], now: number): Promise<void> {
  if (records.length === 0) return;
  const first = await nextEventSeq(executor);
  const rows: EventRow[] = records.map((record, index) => ({
    seq: first + index,
    id: uuidv7(),
    type: record.type,
    occurred_at: now,
    subject_type: record.subject?.type ?? null,
    subject_id: record.subject?.id ?? null,
    keyspace: record.keyspace ?? null,
    actor_id: actor.id,
    data: JSON.stringify(record.data ?? {}),
  }));
  await insertEventRows(executor, rows);
}

export function toEvent(row: EventRow): TesseraEvent {
  return {
    seq: row.seq,
    id: row.id,
    type: row.type,
    occurredAt: new Date(row.occurred_at).toISOString(),
    subject: { type: row.subject_type, id: row.subject_id },
    keyspace: row.keyspace,
    actorId: row.actor_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

export interface EventListInput {
  /** Comma-separated event types. */
  type?: string | undefined;
  subjectId?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Lists events oldest first; a reader that keeps `nextCursor` (or the last seq) follows the outbox as it grows. */
export async function listEvents(context: ServiceContext, actor: Actor, input: EventListInput): Promise<Page<TesseraEvent>> {
  await requirePermission(context, actor, { scope: 'audit:read', action: 'event.list' });
  const limit = pageSize(input.limit);
  const afterSeq = decodeSeqCursor(input.cursor) ?? 0;

  const types = input.type
    ?.split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
  const keyspaces = visibleKeyspaces(actor) ?? undefined;
  const rows = await listEventRows(context.db, { afterSeq, types, subjectId: input.subjectId, keyspaces, limit });
  const last = rows.at(-1);
  // Unlike a listing that ends, the outbox grows: the cursor after the last event is always returned.
  return { items: rows.map(toEvent), nextCursor: last ? encodeCursor(last.seq) : (input.cursor ?? null) };
}
