import { afterEach, beforeEach, expect, test } from 'vitest';
import { localOperator } from '../src/services/actor.js';
import { recordAudit } from '../src/services/audit-trail.js';
import { verifyAuditChain } from '../src/services/audit-log.js';
import { Tessera } from '../src/services/tessera.js';
import { findKeyspaceByName, insertKeyspace, listKeyspaces } from '../src/store/keyspace-repository.js';
import { findTokenByHash, findTokenById, insertToken, listTokens, recordLastUse } from '../src/store/token-repository.js';
import type { TokenRow } from '../src/store/schema.js';
import { describeEachDatabase } from './support/fixtures.js';
import type { TestDatabase } from './support/databases.js';
import { createTestLogger } from './support/artifacts.js';

const now = Date.parse('2026-03-01T00:00:00Z');

function tokenRow(id: string, keyspaceId: string, overrides: Partial<TokenRow> = {}): TokenRow {
  return {
    id,
    keyspace_id: keyspaceId,
    name: `token ${id}`,
    owner: 'team-a',
    description: null,
    scopes: '["a:read"]',
    hash: `hash-${id}`,
    hash_key_version: 1,
    hint: 'test_…abcd',
    state: 'active',
    created_at: now,
    updated_at: now,
    expires_at: now + 1000,
    last_used_at: null,
    last_used_ip: null,
    metadata: '{}',
    created_by: null,
    predecessor_id: null,
    successor_id: null,
    state_reason: null,
    state_changed_at: null,
    admin_keyspaces: null,
    limits: null,
    ...overrides,
  };
}

describeEachDatabase('store conformance', (target) => {
  let database: TestDatabase;
  let tessera: Tessera;

  beforeEach(async () => {
    database = await target.create();
    tessera = await Tessera.open({
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      create: true,
      logger: createTestLogger(`store-${target.name}`).logger,
    });
  });
  afterEach(async () => {
    await tessera?.close();
    await database?.drop();
  });

  test('migrations run again without change', async () => {
    await tessera.close();
    tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    expect(await listKeyspaces(tessera.context.db, { limit: 10 })).toEqual([]);
  });

  test('keyspaces page by name', async () => {
    const db = tessera.context.db;
    for (const name of ['gamma', 'alpha', 'beta']) {
      await insertKeyspace(db, { id: `id-${name}`, name, prefix: name, description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null });
    }
    const first = await listKeyspaces(db, { limit: 2 });
    expect(first.map((row) => row.name)).toEqual(['alpha', 'beta']);
    const second = await listKeyspaces(db, { limit: 2, after: 'beta' });
    expect(second.map((row) => row.name)).toEqual(['gamma']);
    expect(await listKeyspaces(db, { limit: 10, names: ['gamma'] })).toHaveLength(1);
    expect((await findKeyspaceByName(db, 'beta'))?.id).toBe('id-beta');
  });

  test('tokens round trip with keyspace name', async () => {
    const db = tessera.context.db;
    await insertKeyspace(db, { id: 'ks', name: 'billing', prefix: 'bill', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null });
    await insertToken(db, tokenRow('t1', 'ks', { expires_at: null, metadata: '{"team":"a"}' }));

    const byId = await findTokenById(db, 't1');
    expect(byId).toMatchObject({ id: 't1', keyspace_name: 'billing', expires_at: null, created_at: now, metadata: '{"team":"a"}' });
    expect(typeof byId?.created_at).toBe('number');
    expect((await findTokenByHash(db, 'hash-t1'))?.id).toBe('t1');
    expect(await findTokenByHash(db, 'hash-none')).toBeUndefined();
  });

  test('duplicate token hash is rejected', async () => {
    const db = tessera.context.db;
    await insertKeyspace(db, { id: 'ks', name: 'billing', prefix: 'bill', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null });
    await insertToken(db, tokenRow('t1', 'ks'));
    await expect(insertToken(db, tokenRow('t2', 'ks', { hash: 'hash-t1' }))).rejects.toThrow();
  });

  test('state filter treats past expiry as expired', async () => {
    const db = tessera.context.db;
    await insertKeyspace(db, { id: 'ks', name: 'billing', prefix: 'bill', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null });
    await insertToken(db, tokenRow('t1', 'ks', { expires_at: now - 1 }));
    await insertToken(db, tokenRow('t2', 'ks', { expires_at: now + 1 }));
    await insertToken(db, tokenRow('t3', 'ks', { expires_at: null }));
    await insertToken(db, tokenRow('t4', 'ks', { state: 'revoked' }));

    const ids = async (state: 'active' | 'expired' | 'revoked' | 'disabled') => (await listTokens(db, { state, now, limit: 10 })).map((row) => row.id).sort();
    expect(await ids('expired')).toEqual(['t1']);
    expect(await ids('active')).toEqual(['t2', 't3']);
    expect(await ids('revoked')).toEqual(['t4']);
    expect(await ids('disabled')).toEqual([]);
  });

  test('last use keeps the newest time', async () => {
    const db = tessera.context.db;
    await insertKeyspace(db, { id: 'ks', name: 'billing', prefix: 'bill', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null });
    await insertToken(db, tokenRow('t1', 'ks'));
    await recordLastUse(db, [{ tokenId: 't1', usedAt: now + 50, ip: '10.0.0.2' }]);
    await recordLastUse(db, [{ tokenId: 't1', usedAt: now + 10, ip: '10.0.0.1' }]);
    expect(await findTokenById(db, 't1')).toMatchObject({ last_used_at: now + 50, last_used_ip: '10.0.0.2' });
  });

  test('concurrent audit appends keep one chain', async () => {
    // On PostgreSQL a second installation on the same database plays a second node. SQLite
    // serves one process, and a second connection in the same thread would wait on itself.
    const second = target.name === 'postgres' ? await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl }) : tessera;
    try {
      const operator = localOperator();
      const appends = Array.from({ length: 40 }, (_, index) =>
        recordAudit(index % 2 === 0 ? tessera.context : second.context, operator, { action: 'test.append', outcome: 'success', details: { index } }),
      );
      await Promise.all(appends);
    } finally {
      if (second !== tessera) await second.close();
    }

    const result = await verifyAuditChain(tessera.context, localOperator());
    expect(result).toEqual({ ok: true, checked: 40, firstBreak: null });
  });
});
