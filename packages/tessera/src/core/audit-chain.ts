import { createHash } from 'node:crypto';

/** The hashed content of one audit entry, in the order the hash covers it. */
export interface AuditEntryContent {
  seq: number;
  id: string;
  occurredAt: number;
  actorType: string;
  actorId: string | null;
  actorHint: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  keyspace: string | null;
  sourceIp: string | null;
  outcome: string;
  details: string;
}

export interface ChainedAuditEntry extends AuditEntryContent {
  prevHash: string;
  hash: string;
}

export const genesisHash = '0'.repeat(64);

/** SHA-256 over the previous hash and the entry, so changing or removing any entry breaks every later link. */
export function computeAuditHash(prevHash: string, entry: AuditEntryContent): string {
  const fields = [
    prevHash,
    entry.seq,
    entry.id,
    entry.occurredAt,
    entry.actorType,
    entry.actorId,
    entry.actorHint,
    entry.action,
    entry.targetType,
    entry.targetId,
    entry.keyspace,
    entry.sourceIp,
    entry.outcome,
    entry.details,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export interface ChainBreak {
  seq: number;
  reason: 'altered' | 'missing' | 'relinked';
  message: string;
}

/** Checks entries in sequence order, page by page; `check` returns the first break it meets. */
export class AuditChainVerifier {
  private expectedSeq = 1;
  private previousHash = genesisHash;
  checked = 0;

  check(entry: ChainedAuditEntry): ChainBreak | null {
    if (entry.seq !== this.expectedSeq) {
      return { seq: this.expectedSeq, reason: 'missing', message: `entry ${this.expectedSeq} is missing (next present is ${entry.seq})` };
    }
    if (entry.prevHash !== this.previousHash) {
      return { seq: entry.seq, reason: 'relinked', message: `entry ${entry.seq} does not link to the entry before it` };
    }
    if (computeAuditHash(entry.prevHash, entry) !== entry.hash) {
      return { seq: entry.seq, reason: 'altered', message: `entry ${entry.seq} was altered after it was written` };
    }
    this.expectedSeq += 1;
    this.previousHash = entry.hash;
    this.checked += 1;
    return null;
  }

  /** Compares the end of the chain with the recorded head, which catches removal of the newest entries. */
  checkHead(head: { lastSeq: number; lastHash: string }): ChainBreak | null {
    if (head.lastSeq !== this.expectedSeq - 1 || head.lastHash !== this.previousHash) {
      return {
        seq: this.expectedSeq,
        reason: 'missing',
        message: `the chain ends at entry ${this.expectedSeq - 1} but the head records entry ${head.lastSeq}`,
      };
    }
    return null;
  }
}
