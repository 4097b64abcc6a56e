import { AuditChainVerifier, type ChainBreak, type ChainedAuditEntry } from '../core/audit-chain.js';
import { listAuditRows, readAuditHead, readAuditRowsInOrder } from '../store/audit-repository.js';
import type { AuditRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { requirePermission, requireUnlimited, visibleKeyspaces } from './authorization.js';
import type { ServiceContext } from './context.js';
import { decodeSeqCursor, encodeCursor, pageSize } from './pagination.js';
import { toAuditEntry, type AuditEntry, type Page } from './views.js';

export interface AuditListInput {
  action?: string | undefined;
  targetId?: string | undefined;
  actorId?: string | undefined;
  /** `desc` (default) pages newest first; `asc` oldest first, as export reads it. */
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export async function listAuditEntries(context: ServiceContext, actor: Actor, input: AuditListInput): Promise<Page<AuditEntry>> {
  await requirePermission(context, actor, { scope: 'audit:read', action: 'audit.list' });
  const limit = pageSize(input.limit);
  const fromSeq = decodeSeqCursor(input.cursor);

  const order = input.order ?? 'desc';
  const keyspaces = visibleKeyspaces(actor) ?? undefined;
  const rows = await listAuditRows(context.db, { action: input.action, targetId: input.targetId, actorId: input.actorId, keyspaces, fromSeq, order, limit });
  const last = rows.at(-1);
  return { items: rows.map(toAuditEntry), nextCursor: rows.length === limit && last ? encodeCursor(last.seq) : null };
}

function toChained(row: AuditRow): ChainedAuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorHint: row.actor_hint,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    keyspace: row.keyspace,
    sourceIp: row.source_ip,
    outcome: row.outcome,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

const chainPageSize = 1000;

/** Yields every audit row in chain order, a page at a time, so the log never has to fit in memory. */
async function* readChain(context: ServiceContext, untilSeq: number): AsyncGenerator<AuditRow> {
  let afterSeq = 0;
  for (;;) {
    const rows = await readAuditRowsInOrder(context.db, afterSeq, chainPageSize);
    for (const row of rows) {
      if (row.seq > untilSeq) return;
      yield row;
    }
    const last = rows.at(-1);
    if (!last || rows.length < chainPageSize) return;
    afterSeq = last.seq;
  }
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBreak: ChainBreak | null;
}

/** Walks the hash chain and reports the first altered, relinked or missing entry. */
export async function verifyAuditChain(context: ServiceContext, actor: Actor): Promise<AuditVerification> {
  await requirePermission(context, actor, { scope: 'audit:read', action: 'audit.verify' });
  await requireUnlimited(context, actor, 'audit.verify');
  // The head is read first: entries appended during the walk belong to a later verification.
  const head = await readAuditHead(context.db);
  const verifier = new AuditChainVerifier();
  for await (const row of readChain(context, head.last_seq)) {
    const problem = verifier.check(toChained(row));
    if (problem) return { ok: false, checked: verifier.checked, firstBreak: problem };
  }
  const problem = verifier.checkHead({ lastSeq: head.last_seq, lastHash: head.last_hash });
  return { ok: problem === null, checked: verifier.checked, firstBreak: problem };
}

/** Yields every entry oldest first, for JSONL export. */
export async function* exportAuditEntries(context: ServiceContext, actor: Actor): AsyncGenerator<AuditEntry> {
  await requirePermission(context, actor, { scope: 'audit:read', action: 'audit.export' });
  await requireUnlimited(context, actor, 'audit.export');
  const head = await readAuditHead(context.db);
  for await (const row of readChain(context, head.last_seq)) yield toAuditEntry(row);
}
