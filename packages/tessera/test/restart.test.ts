import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { keyFileName } from '../src/services/key-file.js';
import { rememberSecret } from './support/artifacts.js';
import { postgresAdminUrl, type TestDatabase } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer, testIf } from './support/fixtures.js';

const day = 86400;

describeEachDatabase('restart keeps state', (target) => {
  const clock = new FakeClock();
  const startedAt = clock.now();
  let database: TestDatabase;
  let server: TestServer;
  let adminToken = '';
  let keyFileBefore = '';

  // Everything recorded on the first server, to compare with what the second one serves.
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const verifiedBefore = new Map<string, { code: string; tokenId?: string }>();
  let tokensBefore: any[] = [];
  let keyspacesBefore: any[] = [];
  let auditBefore: any[] = [];

  /** Sends a request with the first server's admin token, because a restarted server creates no new one. */
  async function call(method: string, path: string, body?: unknown, token = adminToken): Promise<any> {
    const response = await server.request(method, path, { token, ...(body === undefined ? {} : { body }) });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function issue(label: string, body: Record<string, unknown>): Promise<void> {
    const issued = await call('POST', '/v1/tokens', body);
    secrets[label] = rememberSecret(issued.secret);
    ids[label] = issued.token.id;
  }

  async function verify(label: string, ip?: string): Promise<{ code: string; tokenId?: string }> {
    const result = await call('POST', '/v1/verify', ip === undefined ? { token: secrets[label] } : { token: secrets[label], ip });
    return { code: result.code, tokenId: result.tokenId };
  }

  async function readAll(path: string): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page: any = await call('GET', `${path}${separator}limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }

  function withoutLastUse(token: any): any {
    const rest = { ...token };
    delete rest.lastUsedAt;
    delete rest.lastUsedIp;
    return rest;
  }

  beforeAll(async () => {
    database = await target.create();
    server = await startTestServer(target, { database, clock, name: `restart-first-${target.name}` });
    adminToken = server.adminToken;
    expect(adminToken).not.toBe('');
    keyFileBefore = readFileSync(join(database.dataDir, keyFileName), 'utf8');

    await call('POST', '/v1/keyspaces', { name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write'], policy: { gracePeriodSeconds: 3600 } });
    await call('POST', '/v1/keyspaces', { name: 'deploys', prefix: 'dep', policy: { allowSelfRotation: true, gracePeriodSeconds: 3600 } });

    // At the start time: every kind of token, then the state changes.
    const billing = { keyspace: 'billing', owner: 'finance', scopes: ['invoices:read'], expiresInSeconds: 30 * day };
    await issue('active', { ...billing, name: 'active', metadata: { env: 'prod' } });
    await issue('disabled', { ...billing, name: 'disabled' });
    await issue('revoked', { ...billing, name: 'revoked' });
    await issue('rotated', { ...billing, name: 'rotated', scopes: ['invoices:read', 'invoices:write'] });
    await issue('short', { ...billing, name: 'short', expiresInSeconds: 600 });
    await issue('bot', { keyspace: 'deploys', name: 'deploy bot', scopes: ['deploys:run'], expiresInSeconds: 7 * day });
    await issue('auditor', { keyspace: 'admin', name: 'auditor', scopes: ['audit:read', 'tokens:read'], adminKeyspaces: ['billing'], neverExpires: true });
    await call('POST', `/v1/tokens/${ids['disabled']}/disable`, { reason: 'paused for the audit' });
    await call('POST', `/v1/tokens/${ids['revoked']}/revoke`, { reason: 'leaked in a ticket' });

    // One minute later: an admin rotation and a self-rotation, both leaving the predecessor in its grace period.
    clock.advanceSeconds(60);
    const rotated = await call('POST', `/v1/tokens/${ids['rotated']}/rotate`);
    secrets['rotated successor'] = rememberSecret(rotated.secret);
    ids['rotated successor'] = rotated.token.id;
    const selfRotated = await call('POST', '/v1/tokens/self/rotate', undefined, secrets['bot']);
    secrets['bot successor'] = rememberSecret(selfRotated.secret);
    ids['bot successor'] = selfRotated.token.id;

    // Sixteen minutes in: the short token has expired and the predecessors are still in grace. Every
    // token is verified, and the valid ones get this time as their last use.
    clock.advanceSeconds(900);
    secrets['malformed'] = rememberSecret(`${secrets['active']!.slice(0, -1)}${secrets['active']!.endsWith('0') ? '1' : '0'}`);
    secrets['never issued'] = rememberSecret(generateToken('bill'));
    // Admin tokens can be verified like any token, and a valid verification records their last use.
    secrets['initial admin'] = adminToken;
    for (const label of Object.keys(secrets)) verifiedBefore.set(label, await verify(label, label === 'active' ? '127.0.0.3' : undefined));
    // The auditor, an admin token, is used as a bearer, which does not record a last use.
    expect((await server.request('GET', '/v1/audit?limit=1', { token: secrets['auditor'] })).status).toBe(200);

    tokensBefore = await readAll('/v1/tokens');
    keyspacesBefore = await readAll('/v1/keyspaces');
    auditBefore = await readAll('/v1/audit?order=asc');

    await server.stop();
    server = await startTestServer(target, { database, clock, name: `restart-second-${target.name}` });
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  test('scenario covers every state', () => {
    const states = Object.fromEntries(tokensBefore.map((token) => [token.name, token.state]));
    expect(tokensBefore).toHaveLength(10);
    expect(states).toMatchObject({ active: 'active', disabled: 'disabled', revoked: 'revoked', short: 'expired', auditor: 'active' });
    const verifiedCodes = Object.fromEntries([...verifiedBefore].map(([label, result]) => [label, result.code]));
    expect(verifiedCodes).toEqual({
      active: 'VALID',
      disabled: 'DISABLED',
      revoked: 'REVOKED',
      rotated: 'VALID',
      short: 'EXPIRED',
      bot: 'VALID',
      auditor: 'VALID',
      'rotated successor': 'VALID',
      'bot successor': 'VALID',
      malformed: 'MALFORMED',
      'never issued': 'NOT_FOUND',
      'initial admin': 'VALID',
    });
  });

  test('restart reuses installation', () => {
    expect(server.initialAdminToken).toBeNull();
    expect(server.tessera.keyFileCreated).toBe(false);
    expect(readFileSync(join(database.dataDir, keyFileName), 'utf8')).toBe(keyFileBefore);
  });

  test('tokens and lineage survive', async () => {
    const tokensAfter = await readAll('/v1/tokens');
    expect(tokensAfter.map(withoutLastUse)).toEqual(tokensBefore.map(withoutLastUse));

    const byId = new Map(tokensAfter.map((token) => [token.id, token]));
    const predecessor = byId.get(ids['rotated']!);
    const successor = byId.get(ids['rotated successor']!);
    expect(predecessor.successorId).toBe(successor.id);
    expect(successor.predecessorId).toBe(predecessor.id);
    expect(successor.scopes).toEqual(['invoices:read', 'invoices:write']);
    expect(predecessor.expiresAt).toBe(new Date(startedAt + 60_000 + 3600_000).toISOString());
    expect(byId.get(ids['bot']!).successorId).toBe(ids['bot successor']);
    expect(byId.get(ids['bot successor']!).predecessorId).toBe(ids['bot']);
    expect(byId.get(ids['disabled']!)).toMatchObject({ state: 'disabled', stateReason: 'paused for the audit' });
    expect(byId.get(ids['revoked']!)).toMatchObject({ state: 'revoked', stateReason: 'leaked in a ticket' });
    expect(byId.get(ids['active']!).metadata).toEqual({ env: 'prod' });
    expect(byId.get(ids['auditor']!).adminKeyspaces).toEqual(['billing']);
  });

  test('last use flushed on stop', async () => {
    const labelsById = new Map(Object.entries(ids).map(([label, id]) => [id, label]));
    labelsById.set(tokensBefore.find((token) => token.name === 'initial admin').id, 'initial admin');

    const tokensAfter = await readAll('/v1/tokens');
    const lastUse = Object.fromEntries(tokensAfter.map((token) => [labelsById.get(token.id), { at: token.lastUsedAt, ip: token.lastUsedIp }]));
    const verifiedAt = new Date(clock.now()).toISOString();
    const never = { at: null, ip: null };
    expect(lastUse).toEqual({
      active: { at: verifiedAt, ip: '127.0.0.3' },
      disabled: never,
      revoked: never,
      rotated: { at: verifiedAt, ip: null },
      short: never,
      bot: { at: verifiedAt, ip: null },
      // Admin tokens record their own requests too, which come from the test's loopback address.
      auditor: { at: verifiedAt, ip: '127.0.0.1' },
      'rotated successor': { at: verifiedAt, ip: null },
      'bot successor': { at: verifiedAt, ip: null },
      'initial admin': { at: verifiedAt, ip: '127.0.0.1' },
    });
  });

  test('keyspaces survive', async () => {
    expect(keyspacesBefore.map((keyspace) => keyspace.name).sort()).toEqual(['admin', 'billing', 'deploys']);
    expect(await readAll('/v1/keyspaces')).toEqual(keyspacesBefore);
  });

  test('audit log survives and verifies', async () => {
    const auditAfter = await readAll('/v1/audit?order=asc');
    expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
    // Presenting the revoked and expired tokens raised anomaly findings, written at the usage flush on stop.
    const findings = auditAfter.slice(auditBefore.length);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) expect([finding.action, finding.actor.id]).toEqual(['token.anomaly', 'system:anomaly-response']);
    expect(auditBefore.map((entry) => entry.action)).toEqual([
      'keyspace.create',
      'token.create',
      'keyspace.create',
      'keyspace.create',
      ...Array(7).fill('token.create'),
      'token.disable',
      'token.revoke',
      'token.rotate',
      'token.self_rotate',
    ]);

    const verification = await call('GET', '/v1/audit/verify');
    expect(verification).toEqual({ ok: true, checked: auditAfter.length, firstBreak: null });
  });

  test('every token verifies the same', async () => {
    for (const [label, before] of verifiedBefore) {
      const result = await call('POST', '/v1/verify', { token: secrets[label] });
      expect({ code: result.code, tokenId: result.tokenId }, label).toEqual(before);
    }
  });

  testIf(target.name === 'postgres')('server outlives dropped connections', async () => {
    // PostgreSQL ends idle connections on a restart, a failover or pg_terminate_backend, and the server must reconnect instead of crashing.
    const databaseName = new URL(database.databaseUrl!).pathname.slice(1);
    const client = new pg.Client({ connectionString: postgresAdminUrl });
    await client.connect();
    try {
      const activity = 'select count(*)::int as count from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()';
      expect((await client.query<{ count: number }>(activity, [databaseName])).rows[0]!.count).toBeGreaterThan(0);
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [databaseName]);
      const remaining = async () => (await client.query<{ count: number }>(activity, [databaseName])).rows[0]!.count;
      for (let attempt = 0; attempt < 250 && (await remaining()) > 0; attempt += 1) await setTimeout(20);
      expect(await remaining()).toBe(0);
    } finally {
      await client.end();
    }
    // The termination notices reach the server's idle connections through the event loop, so wait for the pool to report them.
    const warned = () => server.logLines().some((line) => line.includes('PostgreSQL closed an idle connection'));
    for (let attempt = 0; attempt < 250 && !warned(); attempt += 1) await setTimeout(20);
    expect(warned()).toBe(true);

    expect((await server.request('GET', '/readyz', { token: null })).status).toBe(200);
    expect((await call('POST', '/v1/verify', { token: secrets['active'] })).code).toBe('VALID');
  });

  test('grace period ends after restart', async () => {
    clock.advanceSeconds(3600);
    expect((await call('POST', '/v1/verify', { token: secrets['rotated'] })).code).toBe('EXPIRED');
    expect((await call('POST', '/v1/verify', { token: secrets['bot'] })).code).toBe('EXPIRED');
    expect((await call('POST', '/v1/verify', { token: secrets['rotated successor'] })).code).toBe('VALID');
    expect((await call('POST', '/v1/verify', { token: secrets['bot successor'] })).code).toBe('VALID');
  });
});
