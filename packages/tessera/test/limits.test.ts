import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideLimits, rateLimitRetryAfter, slidingWindowEstimate, type EffectiveLimits } from '../src/core/limits.js';
import { TesseraError } from '../src/core/errors.js';
import { localOperator } from '../src/services/actor.js';
import { initialise } from '../src/services/bootstrap.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { InProcessCounters } from '../src/services/limit-counters.js';
import { Tessera } from '../src/services/tessera.js';
import { issueToken } from '../src/services/tokens.js';
import { verifyToken } from '../src/services/verifier.js';
import { createTestLogger, rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { databaseTargets } from './support/databases.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const windowStart = Date.parse('2026-01-15T12:00:00Z');

describe('sliding window counter', () => {
  test('estimate weights the previous window', () => {
    expect(slidingWindowEstimate({ previous: 10, current: 2 }, 1000, windowStart)).toBe(12);
    expect(slidingWindowEstimate({ previous: 10, current: 2 }, 1000, windowStart + 250)).toBe(9.5);
    expect(slidingWindowEstimate({ previous: 10, current: 2 }, 1000, windowStart + 999)).toBeCloseTo(2.01);
  });

  test('retry after reaches room for one call', () => {
    const rateLimit = { limit: 10, windowSeconds: 1 };
    // Current window full: the next window starts with 10 decaying, room for one more at 10 %.
    expect(rateLimitRetryAfter({ previous: 0, current: 10 }, rateLimit, windowStart + 400)).toBe(600 + 100);
    // Previous window full, current empty: 9 fit once 10 × (1 - f) ≤ 9, at f = 0.1.
    expect(rateLimitRetryAfter({ previous: 10, current: 0 }, rateLimit, windowStart)).toBe(100);
    const counts = { previous: 10, current: 0 };
    const after = windowStart + rateLimitRetryAfter(counts, rateLimit, windowStart);
    expect(slidingWindowEstimate(counts, 1000, after) + 1).toBeLessThanOrEqual(rateLimit.limit);
  });

  test('every rate limit and the quota must have room', () => {
    const limits: EffectiveLimits = {
      rateLimits: [
        { limit: 5, windowSeconds: 1 },
        { limit: 100, windowSeconds: 86400 },
      ],
      quota: { uses: 3, refillSeconds: 60 },
      allowedNetworks: null,
    };
    const empty = { previous: 0, current: 0 };
    expect(decideLimits(limits, [empty, empty], 0, windowStart)).toEqual({ code: 'VALID' });
    expect(decideLimits(limits, [{ previous: 0, current: 5 }, empty], 0, windowStart).code).toBe('RATE_LIMITED');
    expect(decideLimits(limits, [empty, { previous: 0, current: 100 }], 0, windowStart).code).toBe('RATE_LIMITED');
    expect(decideLimits(limits, [empty, empty], 3, windowStart + 15_000)).toEqual({ code: 'QUOTA_EXCEEDED', retryAfterMilliseconds: 45_000 });
    expect(decideLimits({ ...limits, quota: { uses: 3 } }, [empty, empty], 3, windowStart)).toEqual({ code: 'QUOTA_EXCEEDED', retryAfterMilliseconds: null });
  });

  test('in-process counters count admitted uses only', () => {
    const counters = new InProcessCounters();
    const limits: EffectiveLimits = { rateLimits: [{ limit: 3, windowSeconds: 10 }], quota: { uses: 5 }, allowedNetworks: null };
    const codes = Array.from({ length: 6 }, () => counters.consume('token-a', limits, windowStart + 1000).code);
    expect(codes).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);

    // Two windows later the rate has room again; the quota has 2 uses left, because rejected calls used none.
    const later = Array.from({ length: 3 }, () => counters.consume('token-a', limits, windowStart + 25_000).code);
    expect(later).toEqual(['VALID', 'VALID', 'QUOTA_EXCEEDED']);
    expect(counters.consume('token-b', limits, windowStart + 25_000).code).toBe('VALID');
  });
});

describeEachDatabase('limits over HTTP', (target) => {
  let server: TestServer;
  const clock = new FakeClock();

  beforeAll(async () => {
    server = await startTestServer(target, { name: `limits-${target.name}`, clock });
    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'maps', prefix: 'maps', scopes: ['tiles:read'], policy: { limits: { rateLimits: [{ limit: 3, windowSeconds: 10 }] } } },
    });
    expect(keyspace.status).toBe(201);
  });
  afterAll(async () => server?.stop());

  async function issue(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'maps', name: 'tiles', scopes: ['tiles:read'], ...body } });
    expect(issued.status).toBe(201);
    return { id: issued.body.token.id, secret: rememberSecret(issued.body.secret) };
  }

  async function verify(secret: string, ip?: string): Promise<any> {
    const response = await server.request('POST', '/v1/verify', { body: ip === undefined ? { token: secret } : { token: secret, ip } });
    expect(response.status).toBe(200);
    return response.body;
  }

  test('keyspace rate limit applies with retry time', async () => {
    const { secret } = await issue();
    const codes = [];
    for (let call = 0; call < 4; call += 1) codes.push((await verify(secret)).code);
    expect(codes).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED']);

    const limited = await verify(secret);
    expect(limited).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(20);

    clock.advanceSeconds(limited.retryAfterSeconds);
    expect((await verify(secret)).code).toBe('VALID');
  });

  test('token quota with refill', async () => {
    const { secret } = await issue({ limits: { rateLimits: [], quota: { uses: 2, refillSeconds: 3600 } } });
    expect((await verify(secret)).code).toBe('VALID');
    expect((await verify(secret)).code).toBe('VALID');
    const exceeded = await verify(secret);
    expect(exceeded.code).toBe('QUOTA_EXCEEDED');
    expect(exceeded.retryAfterSeconds).toBeGreaterThan(0);

    clock.advanceSeconds(exceeded.retryAfterSeconds);
    expect((await verify(secret)).code).toBe('VALID');
  });

  test('allowlist admits listed networks only', async () => {
    const { secret } = await issue({ limits: { rateLimits: [], allowedNetworks: ['203.0.113.0/24', '2001:db8:5::/48'] } });
    expect((await verify(secret, '203.0.113.9')).code).toBe('VALID');
    expect((await verify(secret, '::ffff:203.0.113.10')).code).toBe('VALID');
    expect((await verify(secret, '2001:db8:5:1::7')).code).toBe('VALID');
    expect((await verify(secret, '203.0.114.9')).code).toBe('IP_NOT_ALLOWED');
    expect((await verify(secret, '2001:db8:6::1')).code).toBe('IP_NOT_ALLOWED');
    // Without the address the list cannot be checked, so the token is refused.
    expect((await verify(secret)).code).toBe('IP_NOT_ALLOWED');

    const malformed = await server.request('POST', '/v1/verify', { body: { token: secret, ip: '203.0.113' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/ip/);
  });

  test('limits change through update and reach verify', async () => {
    const { id, secret } = await issue({ limits: { allowedNetworks: ['198.51.100.0/24'] } });
    expect((await verify(secret, '203.0.113.1')).code).toBe('IP_NOT_ALLOWED');

    const updated = await server.request('PATCH', `/v1/tokens/${id}`, { body: { limits: { allowedNetworks: ['203.0.113.0/24'], rateLimits: [] } } });
    expect(updated.status).toBe(200);
    expect(updated.body.limits).toEqual({ allowedNetworks: ['203.0.113.0/24'], rateLimits: [] });
    expect((await verify(secret, '203.0.113.1')).code).toBe('VALID');

    const rotated = await server.request('POST', `/v1/tokens/${id}/rotate`);
    const successor = rememberSecret(rotated.body.secret);
    expect(rotated.body.token.limits).toEqual({ allowedNetworks: ['203.0.113.0/24'], rateLimits: [] });
    expect((await verify(successor, '198.51.100.1')).code).toBe('IP_NOT_ALLOWED');

    const cleared = await server.request('PATCH', `/v1/tokens/${id}`, { body: { limits: null } });
    expect(cleared.body.limits).toBeNull();
    expect((await verify(secret, '198.51.100.1')).code).toBe('VALID');
  });

  test('rejected tokens use no quota', async () => {
    const { id, secret } = await issue({ limits: { rateLimits: [], quota: { uses: 1 } } });
    await server.request('POST', `/v1/tokens/${id}/disable`);
    expect((await verify(secret)).code).toBe('DISABLED');
    await server.request('POST', `/v1/tokens/${id}/enable`);
    expect((await verify(secret)).code).toBe('VALID');
    expect((await verify(secret)).code).toBe('QUOTA_EXCEEDED');
  });

  test('invalid limits are rejected with the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ allowedNetworks: ['10.0.0.0/33'] }, /limits\.allowedNetworks\[0\].*not an address or CIDR block/],
      [{ allowedNetworks: ['example.com'] }, /limits\.allowedNetworks\[0\]/],
      [{ rateLimits: [{ limit: 0, windowSeconds: 1 }] }, /limit/],
      [
        {
          rateLimits: [
            { limit: 5, windowSeconds: 1 },
            { limit: 9, windowSeconds: 1 },
          ],
        },
        /same windowSeconds/,
      ],
      [{ quota: { uses: 5, refill: 60 } }, /refill/],
    ];
    for (const [limits, message] of cases) {
      const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'maps', name: 'bad', scopes: [], limits } });
      expect(response.status, JSON.stringify(limits)).toBe(400);
      expect(response.body.error.message).toMatch(message);
    }

    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'bad-policy', prefix: 'badp', policy: { anomaly: { rateSpike: { factor: 0.5 } } } },
    });
    expect(keyspace.status).toBe(400);
    expect(keyspace.body.error.message).toMatch(/policy\.anomaly\.rateSpike\.factor: must be greater than 1/);
  });
});

describe('limits in Redis', () => {
  test('unreachable Redis fails closed with 503', async () => {
    const database = await databaseTargets[0]!.create();
    // Port 1 on loopback has no listener, so every connection attempt is refused at once.
    const tessera = await Tessera.open({
      dataDir: database.dataDir,
      create: true,
      redisUrl: 'redis://127.0.0.1:1',
      logger: createTestLogger('redis-down').logger,
    });
    try {
      const operator = localOperator();
      rememberSecret((await initialise(tessera.context, operator)).secret);
      await createKeyspace(tessera.context, operator, { name: 'maps', prefix: 'maps', policy: { limits: { rateLimits: [{ limit: 5, windowSeconds: 1 }] } } });
      const issued = await issueToken(tessera.context, operator, { keyspace: 'maps', name: 'tiles', scopes: [] });
      const failure = await verifyToken(tessera.context, { token: rememberSecret(issued.secret) }, { keyspaces: null, adminKeyspace: true }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(TesseraError);
      expect((failure as TesseraError).status).toBe(503);
      expect((failure as Error).message).toMatch(/Redis are unreachable; check REDIS_URL/);
    } finally {
      await tessera.close();
      await database.drop();
    }
  });
});
