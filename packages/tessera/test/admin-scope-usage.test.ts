import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

// An admin token's requests count as use of the scope that permitted them, so that `tessera check`
// reports only the scopes it never needed.

describeEachDatabase('scopes used by admin tokens', (target) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(target, { name: 'admin-scope-usage' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function issueAdmin(name: string, scopes: string[]): Promise<{ id: string; secret: string }> {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name, scopes, owner: 'platform', description: 'check fixture' } });
    expect(issued.status).toBe(201);
    return { id: issued.body.token.id, secret: rememberSecret(issued.body.secret as string) };
  }

  async function unusedScopesMessage(tokenName: string): Promise<string | undefined> {
    await server.tessera.context.usage.flush();
    const report = await server.request('GET', '/v1/check');
    expect(report.status).toBe(200);
    const finding = report.body.findings.find((entry: any) => entry.rule === 'unused-scopes' && entry.subject.name === tokenName);
    return finding?.message;
  }

  test('scope used by a request counts', async () => {
    const reader = await issueAdmin('ci reader', ['tokens:read', 'tokens:write']);
    expect((await server.request('GET', '/v1/tokens', { token: reader.secret })).status).toBe(200);

    const message = await unusedScopesMessage('ci reader');
    expect(message).toContain('never used: tokens:write;');
    expect(message).not.toContain('tokens:read');
  });

  test('admin scope counts when it permitted', async () => {
    const operator = await issueAdmin('operator', ['admin']);
    expect((await server.request('GET', '/v1/tokens', { token: operator.secret })).status).toBe(200);

    expect(await unusedScopesMessage('operator')).toBeUndefined();
  });

  test('verify caller scope counts', async () => {
    const service = await issueAdmin('checkout service', ['tokens:verify', 'tokens:read']);
    const verified = await server.request('POST', '/v1/verify', { token: service.secret, body: { token: service.secret } });
    expect(verified.status).toBe(200);

    const message = await unusedScopesMessage('checkout service');
    expect(message).toContain('never used: tokens:read;');
    expect(message).not.toContain('tokens:verify');
  });

  test('denied request counts no scope', async () => {
    const viewer = await issueAdmin('viewer', ['secrets:read']);
    expect((await server.request('GET', '/v1/tokens', { token: viewer.secret })).status).toBe(403);
    expect(await unusedScopesMessage('viewer')).toContain('never used: secrets:read;');
  });
});
