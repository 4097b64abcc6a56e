import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { localOperator } from '../src/services/actor.js';
import { initialise } from '../src/services/bootstrap.js';
import { Tessera } from '../src/services/tessera.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { describeEachDatabase, startTestServer, testIf, type TestServer } from './support/fixtures.js';

describeEachDatabase('access boundaries', (target) => {
  let server: TestServer;
  let reader: { id: string; secret: string };
  let limited: { id: string; secret: string };

  async function adminToken(body: Record<string, unknown>) {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name: 'caller', ...body } });
    expect(response.status).toBe(201);
    return { id: response.body.token.id as string, secret: rememberSecret(response.body.secret as string) };
  }

  beforeAll(async () => {
    server = await startTestServer(target, { name: `access-boundaries-${target.name}` });
    for (const [name, prefix] of [
      ['billing', 'bill'],
      ['hr', 'hr'],
    ]) {
      await server.request('POST', '/v1/keyspaces', { body: { name, prefix, policy: { allowSelfRotation: true, gracePeriodSeconds: 3600 } } });
    }
    reader = await adminToken({ scopes: ['tokens:read', 'tokens:verify', 'tokens:write', 'audit:read'] });
    limited = await adminToken({ scopes: ['tokens:read', 'tokens:write', 'audit:read'], adminKeyspaces: ['billing'] });
  });
  afterAll(async () => server?.stop());

  test('admin tokens hidden without admin scope', async () => {
    const listed = await server.request('GET', '/v1/tokens?limit=500', { token: reader.secret });
    expect(listed.status).toBe(200);
    expect(listed.body.items.filter((token: { keyspace: string }) => token.keyspace === 'admin')).toEqual([]);

    const verified = await server.request('POST', '/v1/verify', { body: { token: server.adminToken }, token: reader.secret });
    expect(verified.body).toEqual({ valid: false, code: 'NOT_FOUND' });

    const asAdmin = await server.request('POST', '/v1/verify', { body: { token: reader.secret } });
    expect(asAdmin.body).toMatchObject({ valid: true, keyspace: 'admin' });
  });

  test('limit cannot name the admin keyspace', async () => {
    const response = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'sneaky', scopes: ['tokens:read'], adminKeyspaces: ['admin'] },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("adminKeyspaces: cannot name 'admin'");
  });

  test('limited token learns nothing of other keyspaces', async () => {
    const existing = await server.request('POST', '/v1/tokens', { body: { keyspace: 'hr', name: 'x' }, token: limited.secret });
    const missing = await server.request('POST', '/v1/tokens', { body: { keyspace: 'nosuch', name: 'x' }, token: limited.secret });
    expect(existing.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(missing.body.error.message.replace('nosuch', 'hr')).toBe(existing.body.error.message);
  });

  test('limited token cannot export the audit log', async () => {
    const response = await server.request('GET', '/v1/audit/export', { token: limited.secret });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');

    const remote = await runCli(['--url', server.url, 'audit', 'export'], { env: { TESSERA_TOKEN: limited.secret } });
    expect(remote.code).toBe(2);
    expect(remote.stdout).toBe('');
    expect(remote.stderr).toContain('limited to some');
  });

  test('audit export streams every entry', async () => {
    const response = await fetch(`${server.url}/v1/audit/export`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await response.text()).trim().split('\n');
    const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_seq, index) => index + 1));
  });

  test('scientific-notation audit cursor is rejected', async () => {
    for (const cursor of [Buffer.from('1e21').toString('base64url'), Buffer.from('1e308').toString('base64url'), Buffer.from('-5').toString('base64url')]) {
      const response = await server.request('GET', `/v1/audit?cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain('cursor');
    }
  });

  test('self-rotation cannot extend the grace', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'device' } });
    const secret = rememberSecret(issued.body.secret as string);
    const rotated = await server.request('POST', '/v1/tokens/self/rotate', { token: secret, body: { gracePeriodSeconds: 90 * 86400 } });
    expect(rotated.status).toBe(422);
    expect(rotated.body.error.message).toContain("gracePeriodSeconds: self-rotation allows at most the keyspace's grace period (1h)");

    const shorter = await server.request('POST', '/v1/tokens/self/rotate', { token: secret, body: { gracePeriodSeconds: 60 } });
    expect(shorter.status).toBe(201);
    rememberSecret(shorter.body.secret as string);
  });

  testIf(target.name === 'postgres')('concurrent first starts make one admin', async () => {
    const database = await target.create();
    const masterKey = randomBytes(32).toString('base64');
    const nodes = await Promise.all([0, 1].map(() => Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey, create: true })));
    try {
      const outcomes = await Promise.allSettled(nodes.map((node) => initialise(node.context, localOperator())));
      const issued = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
      for (const outcome of issued) rememberSecret(outcome.value.secret);
      expect(issued).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_INITIALISED' });
    } finally {
      for (const node of nodes) await node.close();
      await database.drop();
    }
  });
});
