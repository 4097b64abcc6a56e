import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86_400;

describeEachDatabase('token summary', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let alphaReader: string;
  let auditReader: string;
  const ids: Record<string, string> = {};

  async function createToken(name: string, body: Record<string, unknown>, keyspace = 'alpha'): Promise<string> {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace, name, ...body } });
    expect(response.status).toBe(201);
    rememberSecret(response.body.secret);
    ids[name] = response.body.token.id;
    return response.body.secret;
  }

  async function changeState(name: string, change: 'revoke' | 'disable'): Promise<void> {
    const response = await server.request('POST', `/v1/tokens/${ids[name]}/${change}`, { body: { reason: 'summary test' } });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `token-summary-${target.name}` });
    const longLived = { maxLifetimeSeconds: 3650 * day, allowNoExpiry: true };
    for (const name of ['alpha', 'beta']) {
      const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name, prefix: name, policy: longLived } });
      expect(keyspace.status).toBe(201);
    }

    // Created 91 days before the others and never used, so it is stale at the end.
    await createToken('old', { owner: 'team-a', neverExpires: true });
    clock.advanceSeconds(91 * day);

    await createToken('fresh', { owner: 'team-a', neverExpires: true });
    await createToken('expires-day-0', { expiresInSeconds: 0.5 * day });
    await createToken('expires-day-3a', { expiresInSeconds: 3.5 * day });
    await createToken('expires-day-3b', { owner: 'team-b', expiresInSeconds: 3.6 * day });
    await createToken('expires-day-89', { owner: 'team-b', expiresInSeconds: 89.5 * day });
    await createToken('expires-day-120', { owner: 'team-b', expiresInSeconds: 120 * day });
    await createToken('disabled', { owner: 'team-b', neverExpires: true });
    await createToken('revoked', { owner: 'team-b', neverExpires: true });
    await createToken('expired', { owner: 'team-b', expiresInSeconds: 60 });
    await createToken('beta-ownerless', { neverExpires: true }, 'beta');
    await changeState('disabled', 'disable');
    await changeState('revoked', 'revoke');

    alphaReader = await createToken('alpha reader', { owner: 'ops', scopes: ['tokens:read'], adminKeyspaces: ['alpha'], neverExpires: true }, 'admin');
    auditReader = await createToken('audit reader', { owner: 'ops', scopes: ['audit:read'], neverExpires: true }, 'admin');
    clock.advanceSeconds(120);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('summary counts states of visible tokens', async () => {
    const response = await server.request('GET', '/v1/tokens/summary');

    expect(response.status).toBe(200);
    // Three admin tokens (the first one and the two above), ten in alpha, one in beta.
    expect(response.body.states).toEqual({ active: 11, disabled: 1, revoked: 1, expired: 1, suspended: 0 });
    expect(response.body.total).toBe(14);
    expect(response.body.generatedAt).toBe(new Date(clock.now()).toISOString());
  });

  test('summary buckets expiries by day for 90 days', async () => {
    const response = await server.request('GET', '/v1/tokens/summary');
    const timeline: { daysFromNow: number; count: number }[] = response.body.expiryTimeline;

    expect(timeline).toHaveLength(90);
    expect(timeline.map((entry) => entry.daysFromNow)).toEqual([...Array(90).keys()]);
    const nonEmpty = timeline.filter((entry) => entry.count > 0);
    expect(nonEmpty).toEqual([
      { daysFromNow: 0, count: 1 },
      { daysFromNow: 3, count: 2 },
      { daysFromNow: 89, count: 1 },
    ]);
  });

  test('summary counts ownerless and stale tokens', async () => {
    const response = await server.request('GET', '/v1/tokens/summary');
    const firstAdmin = await server.request('GET', '/v1/tokens?keyspace=admin&limit=500');
    const initial = firstAdmin.body.items.find((token: { name: string }) => token.name === 'initial admin');
    // The first admin token signs every request here, so whether it is stale depends on its recorded use.
    const staleBefore = clock.now() - 90 * day * 1000;
    const initialIsStale = (initial.lastUsedAt === null ? Date.parse(initial.createdAt) : Date.parse(initial.lastUsedAt)) < staleBefore ? 1 : 0;

    // Without owner: the first admin token, the two alpha tokens created without one, and the beta one.
    expect(response.body.ownerless).toBe(4);
    expect(response.body.stale).toBe(1 + initialIsStale);
    expect(response.body.staleAfterDays).toBe(90);
  });

  test('summary lists the soonest expiries first', async () => {
    const response = await server.request('GET', '/v1/tokens/summary');

    const names = response.body.expiringSoonest.map((token: { name: string }) => token.name);
    expect(names).toEqual(['expires-day-0', 'expires-day-3a', 'expires-day-3b', 'expires-day-89', 'expires-day-120']);
    expect(response.body.expiringSoonest[0].state).toBe('active');
  });

  test('summary of keyspace-limited token covers its keyspaces', async () => {
    const response = await server.request('GET', '/v1/tokens/summary', { token: alphaReader });

    expect(response.status).toBe(200);
    expect(response.body.states).toEqual({ active: 7, disabled: 1, revoked: 1, expired: 1, suspended: 0 });
    expect(response.body.total).toBe(10);
    expect(response.body.ownerless).toBe(2);
    expect(response.body.stale).toBe(1);
    expect(response.body.expiringSoonest.every((token: { keyspace: string }) => token.keyspace === 'alpha')).toBe(true);
  });

  test('summary without tokens:read is forbidden', async () => {
    const response = await server.request('GET', '/v1/tokens/summary', { token: auditReader });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
    expect(response.body.error.message).toContain("'tokens:read'");
  });

  test('summary without a token is unauthenticated', async () => {
    const response = await server.request('GET', '/v1/tokens/summary', { token: null });

    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  test('me describes the calling admin token', async () => {
    const limited = await server.request('GET', '/v1/me', { token: alphaReader });
    const full = await server.request('GET', '/v1/me');

    expect(limited.status).toBe(200);
    expect(limited.body).toEqual({ id: ids['alpha reader'], hint: expect.stringMatching(/^tessera_admin_…/), scopes: ['tokens:read'], keyspaces: ['alpha'] });
    expect(full.body.scopes).toEqual(['admin']);
    expect(full.body.keyspaces).toBeNull();
    expect(JSON.stringify(limited.body)).not.toContain(alphaReader);
  });

  test('me rejects a wrong token', async () => {
    const response = await server.request('GET', '/v1/me', { token: 'tessera_admin_notarealtoken' });

    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });
});
