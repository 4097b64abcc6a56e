import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86_400;

describeEachDatabase('token list search and expiry filters', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  const hints: Record<string, string> = {};

  async function createToken(name: string, body: Record<string, unknown>): Promise<void> {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'shop', name, ...body } });
    expect(response.status).toBe(201);
    rememberSecret(response.body.secret);
    hints[name] = response.body.token.hint;
  }

  async function listNames(query: string): Promise<string[]> {
    const response = await server.request('GET', `/v1/tokens?keyspace=shop&limit=500&${query}`);
    expect(response.status).toBe(200);
    return response.body.items.map((token: { name: string }) => token.name).sort();
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `token-list-filters-${target.name}` });
    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'shop', prefix: 'shop', policy: { maxLifetimeSeconds: 3650 * day, allowNoExpiry: true } },
    });
    expect(keyspace.status).toBe(201);

    await createToken('Invoice Sync', { owner: 'Team-Billing', expiresInSeconds: 2 * day });
    await createToken('report job', { expiresInSeconds: 10 * day });
    await createToken('50%_off', { owner: 'marketing', expiresInSeconds: 40 * day });
    await createToken('50x off', { owner: 'marketing', neverExpires: true });
    await createToken('a_b', { neverExpires: true });
    await createToken('axb', { neverExpires: true });
    await createToken('short-lived', { expiresInSeconds: 60 });
    clock.advanceSeconds(120);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('search ignores case in name and owner', async () => {
    expect(await listNames('search=INVOICE')).toEqual(['Invoice Sync']);
    expect(await listNames('search=team-billing')).toEqual(['Invoice Sync']);
    expect(await listNames('search=market')).toEqual(['50%_off', '50x off']);
  });

  test('search finds a token by its hint', async () => {
    const hint = hints['report job']!;

    expect(await listNames(`search=${encodeURIComponent(hint)}`)).toEqual(['report job']);
  });

  test('search matches LIKE wildcards literally', async () => {
    expect(await listNames(`search=${encodeURIComponent('50%')}`)).toEqual(['50%_off']);
    expect(await listNames('search=a_b')).toEqual(['a_b']);
    expect(await listNames(`search=${encodeURIComponent('\\')}`)).toEqual([]);
  });

  test('expiring within days includes passed expiries', async () => {
    expect(await listNames('expiringWithinDays=7')).toEqual(['Invoice Sync', 'short-lived']);
    expect(await listNames('expiringWithinDays=30')).toEqual(['Invoice Sync', 'report job', 'short-lived']);
    expect(await listNames('expiringWithinDays=30&state=active')).toEqual(['Invoice Sync', 'report job']);
    expect(await listNames('expiringWithinDays=0&state=expired')).toEqual(['short-lived']);
  });

  test('search and expiry filters combine', async () => {
    // '50%' rather than '50', which a random id or hint of another token may contain.
    expect(await listNames(`expiringWithinDays=60&search=${encodeURIComponent('50%')}`)).toEqual(['50%_off']);
  });

  test('invalid filter values are rejected', async () => {
    const negative = await server.request('GET', '/v1/tokens?expiringWithinDays=-1');
    const fraction = await server.request('GET', '/v1/tokens?expiringWithinDays=1.5');
    const tooLong = await server.request('GET', `/v1/tokens?search=${'x'.repeat(201)}`);

    for (const response of [negative, fraction, tooLong]) {
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(negative.body.error.message).toContain('expiringWithinDays');
    expect(tooLong.body.error.message).toContain('search');
  });
});
