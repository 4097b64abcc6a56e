import { afterAll, beforeAll, expect, test } from 'vitest';
import { defaultRetention } from '../src/core/usage-buckets.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { createPrometheusMetrics } from '../src/services/metrics.js';
import { issueToken } from '../src/services/tokens.js';
import { getTokenUsage, scopesUsedByToken } from '../src/services/usage.js';
import { UsageRecorder } from '../src/services/usage-recorder.js';
import { verifyToken } from '../src/services/verifier.js';
import { findUsageCounts } from '../src/store/usage-repository.js';
import { createTestLogger, rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, startTestServer, type TestInstallation, type TestServer } from './support/fixtures.js';

const everyKeyspace = { keyspaces: null, adminKeyspace: true };
const minute = 60_000;
const hour = 60 * minute;

describeEachDatabase('usage recording', (target) => {
  const clock = new FakeClock(Date.parse('2026-03-02T10:00:00Z'));
  let installation: TestInstallation;

  beforeAll(async () => {
    installation = await openInstallation(target, { clock, name: `usage-${target.name}` });
    await createKeyspace(installation.tessera.context, installation.operator, { name: 'mail', prefix: 'mail', scopes: ['mail:send', 'mail:read'] });
  });
  afterAll(async () => installation?.close());

  async function issue(): Promise<{ id: string; secret: string }> {
    const issued = await issueToken(installation.tessera.context, installation.operator, {
      keyspace: 'mail',
      name: 'sender',
      scopes: ['mail:send', 'mail:read'],
    });
    return { id: issued.token.id, secret: rememberSecret(issued.secret) };
  }

  async function verify(secret: string, ip: string | null, scopes: string[] = []): Promise<string> {
    return (await verifyToken(installation.tessera.context, { token: secret, ip, scopes }, everyKeyspace)).code;
  }

  test('counts by code, network and scope', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issue();
    await verify(secret, '203.0.113.5', ['mail:send']);
    await verify(secret, '203.0.113.77', ['mail:send']);
    await verify(secret, '2001:db8:1:2::9', ['mail:read']);
    await verify(secret, null, ['admin:all']);
    clock.advance(minute);
    await verify(secret, '198.51.100.1', ['mail:send']);
    await context.usage.flush();

    const usage = await getTokenUsage(context, installation.operator, id, { step: 'minute', from: '2026-03-02T09:59:00Z', to: '2026-03-02T10:02:00Z' });
    expect(usage.buckets.map((bucket) => bucket.total)).toEqual([0, 4, 1]);
    expect(usage.buckets[1]).toEqual({
      start: '2026-03-02T10:00:00.000Z',
      total: 4,
      codes: { VALID: 3, INSUFFICIENT_SCOPE: 1 },
      networks: { '203.0.113.0/24': 2, '2001:db8:1::/48': 1 },
      scopes: { 'mail:send': 2, 'mail:read': 1 },
    });
    expect(usage.lastUsedAt).toBe('2026-03-02T10:01:00.000Z');
    expect(usage.lastUsedIp).toBe('198.51.100.1');

    const hourly = await getTokenUsage(context, installation.operator, id, { step: 'hour', from: '2026-03-02T10:00:00Z', to: '2026-03-02T11:00:00Z' });
    expect(hourly.buckets).toHaveLength(1);
    expect(hourly.buckets[0]!.codes).toEqual({ VALID: 4, INSUFFICIENT_SCOPE: 1 });
    expect(hourly.buckets[0]!.networks).toEqual({ '203.0.113.0/24': 2, '2001:db8:1::/48': 1, '198.51.100.0/24': 1 });
    const daily = await getTokenUsage(context, installation.operator, id, { step: 'day', from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' });
    expect(daily.buckets[0]!.total).toBe(5);
    expect(daily.buckets[0]!.scopes).toEqual({ 'mail:send': 3, 'mail:read': 1 });
  });

  test('roll-ups agree after many flushes', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issue();
    const from = clock.now() - (clock.now() % hour);
    for (let step = 0; step < 12; step += 1) {
      for (let call = 0; call <= step; call += 1) await verify(secret, `192.0.2.${call}`);
      clock.advance(7 * minute);
      if (step % 3 === 0) await context.usage.flush();
    }
    await context.usage.flush();

    const db = context.db;
    const sum = (rows: { dimension: string; count: number }[], dimension: string) =>
      rows.filter((row) => row.dimension === dimension).reduce((total, row) => total + Number(row.count), 0);
    const minutes = await findUsageCounts(db, { tokenId: id, step: 'minute', from, to: clock.now() });
    const hours = await findUsageCounts(db, { tokenId: id, step: 'hour', from, to: clock.now() });
    const days = await findUsageCounts(db, { tokenId: id, step: 'day', from: from - 24 * hour, to: clock.now() });
    expect(sum(minutes, 'code')).toBe(78);
    expect(sum(hours, 'code')).toBe(78);
    expect(sum(days, 'code')).toBe(78);
    expect(sum(hours, 'network')).toBe(78);
  });

  test('scopes used by a token', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issue();
    expect(await scopesUsedByToken(context, id)).toBeUndefined();

    await verify(secret, null, ['mail:read']);
    await verify(secret, null, ['mail:nope']);
    await context.usage.flush();
    expect(await scopesUsedByToken(context, id)).toEqual(new Set(['mail:read']));
  });

  test('retention deletes old buckets', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issue();
    const oldMinute = clock.now() - (clock.now() % minute);
    await verify(secret, null);
    await context.usage.flush();

    // Past minute retention (2 days) but within hour retention; the prune runs at most hourly.
    clock.advance(3 * 24 * hour);
    await verify(secret, null);
    await context.usage.flush();

    expect(await findUsageCounts(context.db, { tokenId: id, step: 'minute', from: oldMinute, to: oldMinute + minute })).toEqual([]);
    const hours = await findUsageCounts(context.db, { tokenId: id, step: 'hour', from: oldMinute - hour, to: oldMinute + hour });
    expect(hours.map((row) => [row.value, Number(row.count)])).toEqual([['VALID', 1]]);
  });

  test('buffer drops uses past twice its bound', async () => {
    const context = installation.tessera.context;
    const { logger } = createTestLogger(`usage-bound-${target.name}`);
    const metrics = await createPrometheusMetrics();
    const recorder = new UsageRecorder(context.db, logger, clock, metrics, {
      flushIntervalMilliseconds: 3_600_000,
      maxPending: 3,
      retention: defaultRetention,
    });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => issue()));
    const at = clock.now();

    // The third use starts a flush, which takes the buffer; six more fit while it runs, the tenth is dropped.
    for (const token of tokens) recorder.record({ tokenId: token.id, at, code: 'VALID', ip: null, scopes: [] });
    expect(recorder.droppedUses).toBe(1);
    expect(recorder.queueDepth).toBe(6);
    await recorder.close();
    expect(recorder.queueDepth).toBe(0);

    const written = await Promise.all(
      tokens.map((token) => findUsageCounts(context.db, { tokenId: token.id, step: 'minute', from: at - minute, to: at + minute })),
    );
    expect(written.map((rows) => rows.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect((await metrics.render())!.body).toMatch(/^tessera_usage_dropped_total 1$/m);
  });
});

describeEachDatabase('usage API', (target) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(target, { name: `usage-api-${target.name}` });
    await server.request('POST', '/v1/keyspaces', { body: { name: 'mail', prefix: 'mail', scopes: ['mail:send'] } });
  });
  afterAll(async () => server?.stop());

  test('usage needs usage:read', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'mail', name: 'sender', scopes: ['mail:send'] } });
    rememberSecret(issued.body.secret);
    const reader = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name: 'reader', scopes: ['tokens:read'] } });
    const readerToken = rememberSecret(reader.body.secret);

    const denied = await server.request('GET', `/v1/usage/${issued.body.token.id}`, { token: readerToken });
    expect(denied.status).toBe(403);
    const allowed = await server.request('GET', `/v1/usage/${issued.body.token.id}?step=day`);
    expect(allowed.status).toBe(200);
    // 30 days back from now, aligned down to whole days: 30 whole days plus today so far.
    expect(allowed.body.buckets).toHaveLength(31);
  });

  test('bad ranges name the field', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'mail', name: 'sender', scopes: ['mail:send'] } });
    rememberSecret(issued.body.secret);
    const id = issued.body.token.id;
    const cases: [string, number, RegExp][] = [
      [`from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z`, 400, /from: must be before to/],
      [`step=minute&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`, 400, /from: .*more than 1440; use a coarser step/],
      [`step=week`, 400, /step/],
      [`from=yesterday`, 400, /from/],
      [`limit=5`, 400, /limit/],
    ];
    for (const [query, status, message] of cases) {
      const response = await server.request('GET', `/v1/usage/${id}?${query}`);
      expect(response.status, query).toBe(status);
      expect(response.body.error.message, query).toMatch(message);
    }
    const missing = await server.request('GET', '/v1/usage/no-such-token');
    expect(missing.status).toBe(404);
  });
});
