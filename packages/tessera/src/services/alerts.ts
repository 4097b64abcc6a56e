import { v7 as uuidv7 } from 'uuid';
import { TesseraError } from '../core/errors.js';
import { alertSeverity, resolvingEventTypes, summariseEvent } from '../core/event-types.js';
import { findAlert, findOpenAlert, findOpenAlertsAbout, insertAlert, listAlerts as listAlertRows, updateAlert } from '../store/alert-repository.js';
import { listEventRows } from '../store/event-repository.js';
import { yieldToEventLoop, type Pace } from '../scheduler/pacer.js';
import { readCursor, writeCursor } from '../store/scheduler-repository.js';
import type { AlertRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { requirePermission, visibleKeyspaces } from './authorization.js';
import type { ServiceContext } from './context.js';
import { toEvent } from './events.js';
import { decodeCursor, encodeCursor, pageSize } from './pagination.js';
import { isoOrNull, type Page } from './views.js';

import type { AlertStatus } from '../core/alert-status.js';
export { alertStatuses, type AlertStatus } from '../core/alert-status.js';

export interface Alert {
  id: string;
  type: string;
  severity: string;
  status: AlertStatus;
  summary: string;
  subject: { type: string | null; id: string | null };
  keyspace: string | null;
  /** Events that raised or repeated the alert; a repeated finding updates the open alert instead of adding one. */
  eventCount: number;
  firstEventId: string;
  lastEventId: string;
  raisedAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    type: row.type,
    severity: row.severity,
    status: row.status as AlertStatus,
    summary: row.summary,
    subject: { type: row.subject_type, id: row.subject_id },
    keyspace: row.keyspace,
    eventCount: row.event_count,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    raisedAt: new Date(row.raised_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    acknowledgedAt: isoOrNull(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
  };
}

const alertConsumer = 'alerts';
const eventsPerPass = 500;

/**
 * Raises alerts from new outbox events and moves the stored cursor in the same transaction, so
 * each event is considered once. A repeated finding about a subject updates its open alert of the
 * same type. A rotation or revocation resolves the open alerts about its token. Each page of
 * events waits for `pace` first (see scheduler/pacer.ts).
 */
export async function raiseAlertsFromEvents(context: ServiceContext, pace: Pace = yieldToEventLoop): Promise<number> {
  let raised = 0;
  for (;;) {
    await pace();
    const outcome = await context.db.transaction().execute(async (transaction) => {
      const afterSeq = await readCursor(transaction, alertConsumer);
      const rows = await listEventRows(transaction, { afterSeq, limit: eventsPerPass });
      const now = context.clock.now();
      let added = 0;

      for (const event of rows.map(toEvent)) {
        if (resolvingEventTypes.includes(event.type) && event.subject.id !== null) {
          for (const open of await findOpenAlertsAbout(transaction, event.subject.id))
            await updateAlert(transaction, open.id, { status: 'resolved', updated_at: now });
          continue;
        }
        const severity = alertSeverity(event.type, event.data);
        if (severity === null) continue;

        const summary = summariseEvent(event).slice(0, 500);
        const open = await findOpenAlert(transaction, event.type, event.subject.id);
        if (open) {
          await updateAlert(transaction, open.id, { summary, severity, last_event_id: event.id, event_count: open.event_count + 1, updated_at: now });
          continue;
        }
        await insertAlert(transaction, {
          id: uuidv7(),
          type: event.type,
          subject_type: event.subject.type,
          subject_id: event.subject.id,
          keyspace: event.keyspace,
          status: 'open',
          severity,
          summary,
          first_event_id: event.id,
          last_event_id: event.id,
          event_count: 1,
          raised_at: now,
          updated_at: now,
          acknowledged_at: null,
          acknowledged_by: null,
        });
        added += 1;
      }

      if (rows.length > 0) await writeCursor(transaction, { consumer: alertConsumer, last_seq: Number(rows.at(-1)!.seq), updated_at: now });
      return { events: rows.length, added };
    });
    raised += outcome.added;
    if (outcome.events < eventsPerPass) return raised;
  }
}

export interface AlertListInput {
  status?: AlertStatus | 'all' | undefined;
  type?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Lists alerts newest first: the open ones, unless `status` names another status. */
export async function listAlerts(context: ServiceContext, actor: Actor, input: AlertListInput): Promise<Page<Alert>> {
  await requirePermission(context, actor, { scope: 'alerts:read', action: 'alert.list' });
  const limit = pageSize(input.limit);
  const status = input.status ?? 'open';
  const rows = await listAlertRows(context.db, {
    status: status === 'all' ? undefined : status,
    type: input.type,
    keyspaces: visibleKeyspaces(actor) ?? undefined,
    before: decodeCursor(input.cursor),
    limit,
  });
  const last = rows.at(-1);
  return { items: rows.map(toAlert), nextCursor: rows.length === limit && last ? encodeCursor(last.id) : null };
}

async function loadVisibleAlert(context: ServiceContext, actor: Actor, id: string, scope: 'alerts:read' | 'alerts:write', action: string): Promise<AlertRow> {
  const row = await findAlert(context.db, id);
  const visible = visibleKeyspaces(actor);
  // An alert of a keyspace the actor cannot see reads as absent, like a token would.
  if (!row || (visible !== null && (row.keyspace === null || !visible.includes(row.keyspace)))) {
    throw new TesseraError('NOT_FOUND', `alert '${id.slice(0, 80)}' does not exist; list alerts to find its id`, { field: 'id' });
  }
  await requirePermission(context, actor, { scope, keyspace: row.keyspace ?? undefined, action, target: { type: 'alert', id } });
  return row;
}

export async function getAlert(context: ServiceContext, actor: Actor, id: string): Promise<Alert> {
  return toAlert(await loadVisibleAlert(context, actor, id, 'alerts:read', 'alert.read'));
}

/** Acknowledges an open alert: someone is on it. A later finding of the same kind opens a new alert. */
export async function acknowledgeAlert(context: ServiceContext, actor: Actor, id: string): Promise<Alert> {
  const row = await loadVisibleAlert(context, actor, id, 'alerts:write', 'alert.acknowledge');
  return auditedChange(context, actor, async (transaction, now) => {
    const current = (await findAlert(transaction, id)) ?? row;
    if (current.status !== 'open') throw new TesseraError('CONFLICT', `alert '${id}' is ${current.status}; only open alerts can be acknowledged`);
    const changes = { status: 'acknowledged', acknowledged_at: now, acknowledged_by: actor.id, updated_at: now };
    await updateAlert(transaction, id, changes);
    const audit = {
      action: 'alert.acknowledge',
      target: { type: 'alert', id },
      keyspace: current.keyspace,
      outcome: 'success',
      details: { type: current.type, subjectId: current.subject_id },
    } as const;
    return { result: toAlert({ ...current, ...changes }), audit };
  });
}
