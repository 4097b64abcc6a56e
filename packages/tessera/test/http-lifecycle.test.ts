import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

describeEachDatabase('token lifecycle over HTTP', (target) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(target, { name: `lifecycle-${target.name}` });
  });
  afterAll(async () => server?.stop());

  test('keyspace, issue, verify, rotate, revoke', async () => {
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write'] } });
    expect(keyspace.status).toBe(201);
    expect(keyspace.body.prefix).toBe('bill');

    const issued = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'billing', name: 'reporting', owner: 'finance', scopes: ['invoices:read'] },
    });
    expect(issued.status).toBe(201);
    const secret = rememberSecret(issued.body.secret as string);
    expect(secret.startsWith('bill_')).toBe(true);
    expect(issued.body.token.hint).toBe(`bill_…${secret.slice(-4)}`);

    const verified = await server.request('POST', '/v1/verify', { body: { token: secret, scopes: ['invoices:read'] } });
    expect(verified.body).toMatchObject({ valid: true, code: 'VALID', tokenId: issued.body.token.id, keyspace: 'billing', owner: 'finance' });

    const rotated = await server.request('POST', `/v1/tokens/${issued.body.token.id}/rotate`);
    expect(rotated.status).toBe(201);
    const successor = rememberSecret(rotated.body.secret as string);
    expect(rotated.body.token.predecessorId).toBe(issued.body.token.id);
    expect(rotated.body.predecessor.successorId).toBe(rotated.body.token.id);

    const revoked = await server.request('POST', `/v1/tokens/${rotated.body.token.id}/revoke`, { body: { reason: 'test over' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');

    const afterRevoke = await server.request('POST', '/v1/verify', { body: { token: successor } });
    expect(afterRevoke.body).toMatchObject({ valid: false, code: 'REVOKED' });
  });

  test('admin token records its last use', async () => {
    const admins = await server.request('GET', '/v1/tokens?keyspace=admin');
    const admin = (admins.body.items as { id: string; name: string }[]).find((token) => token.name === 'initial admin');
    expect(admin).toBeDefined();
    await server.tessera.context.usage.flush();

    const fetched = await server.request('GET', `/v1/tokens/${admin?.id}`);
    expect(fetched.body.lastUsedAt).not.toBeNull();
    expect(fetched.body.lastUsedIp).toBe('127.0.0.1');
  });
});
