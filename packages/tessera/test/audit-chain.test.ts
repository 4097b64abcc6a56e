import { describe, expect, test } from 'vitest';
import { AuditChainVerifier, computeAuditHash, genesisHash, type AuditEntryContent, type ChainedAuditEntry } from '../src/core/audit-chain.js';

function buildChain(length: number): ChainedAuditEntry[] {
  const entries: ChainedAuditEntry[] = [];
  let prevHash = genesisHash;
  for (let seq = 1; seq <= length; seq++) {
    const content: AuditEntryContent = {
      seq,
      id: `entry-${seq}`,
      occurredAt: 1_700_000_000_000 + seq,
      actorType: 'token',
      actorId: 'actor-1',
      actorHint: 'tessera_admin_…abcd',
      action: 'token.create',
      targetType: 'token',
      targetId: `token-${seq}`,
      keyspace: 'billing',
      sourceIp: '127.0.0.1',
      outcome: 'success',
      details: JSON.stringify({ n: seq }),
    };
    const hash = computeAuditHash(prevHash, content);
    entries.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

function firstBreak(entries: ChainedAuditEntry[], head: { lastSeq: number; lastHash: string }) {
  const verifier = new AuditChainVerifier();
  for (const entry of entries) {
    const problem = verifier.check(entry);
    if (problem) return problem;
  }
  return verifier.checkHead(head);
}

describe('audit chain', () => {
  const chain = buildChain(5);
  const head = { lastSeq: 5, lastHash: chain[4]!.hash };

  test('intact chain verifies', () => {
    expect(firstBreak(chain, head)).toBeNull();
  });

  test('altered field is reported at its entry', () => {
    const altered = chain.map((entry) => (entry.seq === 3 ? { ...entry, outcome: 'denied' } : entry));
    expect(firstBreak(altered, head)).toMatchObject({ seq: 3, reason: 'altered' });
  });

  test('rehashed entry breaks the next link', () => {
    const forged = chain.map((entry) => {
      if (entry.seq !== 2) return entry;
      const changed = { ...entry, action: 'token.revoke' };
      return { ...changed, hash: computeAuditHash(changed.prevHash, changed) };
    });
    expect(firstBreak(forged, head)).toMatchObject({ seq: 3, reason: 'relinked' });
  });

  test('deleted middle entry is missing', () => {
    expect(
      firstBreak(
        chain.filter((entry) => entry.seq !== 4),
        head,
      ),
    ).toMatchObject({ seq: 4, reason: 'missing' });
  });

  test('deleted newest entry is caught by the head', () => {
    expect(firstBreak(chain.slice(0, 4), head)).toMatchObject({ seq: 5, reason: 'missing' });
  });

  test('hash covers every field', () => {
    const base = chain[0]!;
    const fields: (keyof AuditEntryContent)[] = [
      'seq',
      'id',
      'occurredAt',
      'actorType',
      'actorId',
      'actorHint',
      'action',
      'targetType',
      'targetId',
      'keyspace',
      'sourceIp',
      'outcome',
      'details',
    ];
    for (const field of fields) {
      const changed = { ...base, [field]: typeof base[field] === 'number' ? (base[field] as number) + 1 : `${String(base[field])}x` };
      expect(computeAuditHash(genesisHash, changed), field).not.toBe(base.hash);
    }
  });
});
