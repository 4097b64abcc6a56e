import { v7 as uuidv7 } from 'uuid';
import { computeAuditHash, type AuditEntryContent } from '../core/audit-chain.js';
import { appendAuditRow, lockAuditHead } from '../store/audit-repository.js';
import type { Executor, Schema } from '../store/schema.js';
import type { Transaction } from 'kysely';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { appendEvents, type EventRecord } from './events.js';

export interface AuditRecord {
  action: string;
  target?: { type: string; id: string } | undefined;
  /** The keyspace of the target, which decides who may read the entry. */
  keyspace?: string | null | undefined;
  outcome: 'success' | 'denied' | 'failure';
  /** Non-secret facts about the action: names, reasons, hints; never a token or secret. */
  details?: Record<string, unknown> | undefined;
}

/** Appends one entry to the hash chain; the caller's transaction must have called `lockAuditHead` first. */
async function appendAuditEntry(
  executor: Executor,
  head: { last_seq: number; last_hash: string },
  actor: Actor,
  record: AuditRecord,
  now: number,
): Promise<{ last_seq: number; last_hash: string }> {
  const content: AuditEntryContent = {
    seq: head.last_seq + 1,
    id: uuidv7(),
    occurredAt: now,
    actorType: actor.type,
    actorId: actor.id,
    actorHint: actor.hint,
    action: record.action,
    targetType: record.target?.type ?? null,
    targetId: record.target?.id ?? null,
    keyspace: record.keyspace ?? null,
    sourceIp: actor.ip,
    outcome: record.outcome,
    details: JSON.stringify(record.details ?? {}),
  };
  const hash = computeAuditHash(head.last_hash, content);
  await appendAuditRow(executor, {
    seq: content.seq,
    id: content.id,
    occurred_at: content.occurredAt,
    actor_type: content.actorType,
    actor_id: content.actorId,
    actor_hint: content.actorHint,
    action: content.action,
    target_type: content.targetType,
    target_id: content.targetId,
    keyspace: content.keyspace,
    source_ip: content.sourceIp,
    outcome: content.outcome,
    details: content.details,
    prev_hash: head.last_hash,
    hash,
  });
  return { last_seq: content.seq, last_hash: hash };
}

/** The outcome of a change: its result, the audit entries to append, and the events to put in the outbox. */
export interface ChangeOutcome<T> {
  result: T;
  audit: AuditRecord | AuditRecord[];
  events?: EventRecord[] | undefined;
}

/**
 * Runs a change, its audit entries and its events in one transaction, so an action is never
 * recorded without happening or done without being recorded, and no event is lost or invented.
 */
export async function auditedChange<T>(
  context: ServiceContext,
  actor: Actor,
  change: (transaction: Transaction<Schema>, now: number) => Promise<ChangeOutcome<T>>,
): Promise<T> {
  return context.db.transaction().execute(async (transaction) => {
    let head: { last_seq: number; last_hash: string } = await lockAuditHead(transaction, context.clock.now());
    // Read after the lock, so that entry times follow their sequence numbers when changes queue.
    const now = context.clock.now();
    const { result, audit, events } = await change(transaction, now);
    for (const record of Array.isArray(audit) ? audit : [audit]) head = await appendAuditEntry(transaction, head, actor, record, now);
    await appendEvents(transaction, actor, events ?? [], now);
    return result;
  });
}

/** Records an action that changed nothing, such as a denied request or a failed sign-in. */
export async function recordAudit(context: ServiceContext, actor: Actor, record: AuditRecord): Promise<void> {
  await auditedChange(context, actor, async () => ({ result: undefined, audit: record }));
}
