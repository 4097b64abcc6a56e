import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { freePort, startServe, type ServeProcess } from './support/cli.js';
import { databaseTargets, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';

const redisUrl = process.env['TESSERA_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const postgres = databaseTargets.find((target) => target.name === 'postgres')!;

/** Returns a function that calls one server process with the admin token. */
function clientOf(server: ServeProcess, adminToken: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
}

/** Counts the connections listening for token changes on the database at `url`. */
async function listeners(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(
      `select count(*)::int as count from pg_stat_activity where datname = current_database() and query = 'listen tessera_token_changes'`,
    );
    return result.rows[0].count as number;
  } finally {
    await client.end();
  }
}

async function serveNode(name: string, database: TestDatabase, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const databaseArgs = database.databaseUrl ? ['--database-url', database.databaseUrl] : [];
  return startServe({ name, args: ['serve', '--data-dir', database.dataDir, ...databaseArgs, '--port', String(port), ...extraArgs], port, env });
}

describe.skipIf(!postgres.available)('two nodes on one PostgreSQL', () => {
  let database: TestDatabase;
  let nodeA: ServeProcess;
  let nodeB: ServeProcess;
  let adminToken: string;
  const redisPrefix = `tessera-test-${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    database = await postgres.create();
    const env = { REDIS_URL: redisUrl, TESSERA_REDIS_PREFIX: redisPrefix };
    nodeA = await serveNode('cluster-a', database, env);
    adminToken = await nodeA.waitForAdminToken();
    nodeB = await serveNode('cluster-b', database, env);
  });
  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await database?.drop();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('revoke on one node reaches the other within a second', async () => {
    const onA = clientOf(nodeA, adminToken);
    const onB = clientOf(nodeB, adminToken);
    expect((await onA('POST', '/v1/keyspaces', { name: 'orders', prefix: 'ord' })).status).toBe(201);
    const issued = await onA('POST', '/v1/tokens', { keyspace: 'orders', name: 'shop', scopes: [] });
    const secret = rememberSecret(issued.body.secret);

    // Node B caches the token as valid.
    for (let call = 0; call < 3; call += 1) expect((await onB('POST', '/v1/verify', { token: secret })).body.code).toBe('VALID');

    const revokedAt = performance.now();
    expect((await onA('POST', `/v1/tokens/${issued.body.token.id}/revoke`, { reason: 'leaked' })).status).toBe(200);
    let code = 'VALID';
    while (code === 'VALID' && performance.now() - revokedAt < 5_000) {
      code = (await onB('POST', '/v1/verify', { token: secret })).body.code;
      if (code === 'VALID') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(code).toBe('REVOKED');
    expect(performance.now() - revokedAt).toBeLessThan(1_000);
  });

  test('rotation and disablement reach the other node', async () => {
    const onA = clientOf(nodeA, adminToken);
    const onB = clientOf(nodeB, adminToken);
    const issued = await onA('POST', '/v1/tokens', { keyspace: 'orders', name: 'rotated', scopes: [] });
    const secret = rememberSecret(issued.body.secret);
    expect((await onB('POST', '/v1/verify', { token: secret })).body.code).toBe('VALID');

    const rotated = await onA('POST', `/v1/tokens/${issued.body.token.id}/rotate`, { gracePeriodSeconds: 0 });
    rememberSecret(rotated.body.secret);
    await expect.poll(async () => (await onB('POST', '/v1/verify', { token: secret })).body.code, { timeout: 1_000, interval: 20 }).toBe('EXPIRED');

    const disabled = await onA('POST', '/v1/tokens', { keyspace: 'orders', name: 'disabled', scopes: [] });
    const disabledSecret = rememberSecret(disabled.body.secret);
    expect((await onB('POST', '/v1/verify', { token: disabledSecret })).body.code).toBe('VALID');
    await onA('POST', `/v1/tokens/${disabled.body.token.id}/disable`, {});
    await expect.poll(async () => (await onB('POST', '/v1/verify', { token: disabledSecret })).body.code, { timeout: 1_000, interval: 20 }).toBe('DISABLED');
  });

  test('listener reconnects after its connection drops', async () => {
    const onA = clientOf(nodeA, adminToken);
    const onB = clientOf(nodeB, adminToken);
    const admin = new pg.Client({ connectionString: database.databaseUrl });
    await admin.connect();
    try {
      const terminated = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = 'listen tessera_token_changes'`,
      );
      expect(terminated.rowCount).toBe(2);
    } finally {
      await admin.end();
    }

    const issued = await onA('POST', '/v1/tokens', { keyspace: 'orders', name: 'after reconnect', scopes: [] });
    const secret = rememberSecret(issued.body.secret);
    // Each node reconnects after a second; notices arrive again once both listen.
    await expect.poll(async () => listeners(database.databaseUrl!), { timeout: 5_000, interval: 100 }).toBe(2);
    expect((await onB('POST', '/v1/verify', { token: secret })).body.code).toBe('VALID');

    await onA('POST', `/v1/tokens/${issued.body.token.id}/revoke`, { reason: 'leaked' });
    await expect.poll(async () => (await onB('POST', '/v1/verify', { token: secret })).body.code, { timeout: 1_000, interval: 20 }).toBe('REVOKED');
  });

  test('a rate limit holds across nodes sharing Redis', async () => {
    const onA = clientOf(nodeA, adminToken);
    const onB = clientOf(nodeB, adminToken);
    const limit = 20;
    const issued = await onA('POST', '/v1/tokens', { keyspace: 'orders', name: 'limited', scopes: [], limits: { rateLimits: [{ limit, windowSeconds: 1 }] } });
    const secret = rememberSecret(issued.body.secret);

    // Start early in a second, so the burst rarely crosses into the next window.
    while (Date.now() % 1000 > 100) await new Promise((resolve) => setTimeout(resolve, 5));
    const calls = Array.from({ length: 4 * limit }, (_, index) => (index % 2 ? onA : onB)('POST', '/v1/verify', { token: secret }));
    const codes = (await Promise.all(calls)).map((response) => response.body.code);
    const admitted = codes.filter((code) => code === 'VALID').length;

    expect(codes.filter((code) => code !== 'VALID' && code !== 'RATE_LIMITED')).toEqual([]);
    expect(admitted).toBeGreaterThanOrEqual(limit);
    // A burst that crosses a window boundary may get up to limit × (share of the next window
    // reached) more. Two nodes that each counted alone would admit 2 × limit.
    expect(admitted).toBeLessThanOrEqual(limit * 1.5);
  });

  test('servers log where limit counters live', () => {
    const started = nodeA
      .logLines()
      .map((line) => JSON.parse(line))
      .find((line) => line.msg === 'tessera listening');
    expect(started.limitCounters).toBe('redis');
  });
});

describeEachDatabase('usage across a crash', (target) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await target.create();
  });
  afterAll(async () => database?.drop());

  let server: ServeProcess | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  /** Starts a node that flushes only when asked, issues a token, and returns helpers. */
  async function startWithToken(name: string, adminToken?: string) {
    server = await serveNode(name, database, {}, ['--usage-flush-interval', '3600']);
    const admin = adminToken ?? (await server.waitForAdminToken());
    const call = clientOf(server, admin);
    return { call, admin };
  }

  test('a kill loses only unflushed usage, a clean stop none', async () => {
    const first = await startWithToken(`crash-${target.name}`);
    expect((await first.call('POST', '/v1/keyspaces', { name: 'feeds', prefix: 'feed' })).status).toBe(201);
    const issued = await first.call('POST', '/v1/tokens', { keyspace: 'feeds', name: 'reader', scopes: [] });
    const secret = rememberSecret(issued.body.secret);
    const id = issued.body.token.id;
    const verifyTimes = async (count: number) => {
      for (let call = 0; call < count; call += 1)
        expect((await first.call('POST', '/v1/verify', { token: secret, ip: '203.0.113.8' })).body.code).toBe('VALID');
    };

    await verifyTimes(30);
    // Reading usage writes this node's pending usage first, so these 30 are flushed.
    expect((await first.call('GET', `/v1/usage/${id}?step=day`)).body.buckets.at(-1).total).toBe(30);
    await verifyTimes(20);
    await server!.kill();

    const second = await startWithToken(`crash-restart-${target.name}`, first.admin);
    const totals = async () => {
      const result: number[] = [];
      for (const step of ['minute', 'hour', 'day']) {
        const usage = (await second.call('GET', `/v1/usage/${id}?step=${step}`)).body;
        result.push(usage.buckets.reduce((sum: number, bucket: { total: number }) => sum + bucket.total, 0));
      }
      return result;
    };
    // The 20 unflushed uses are lost; minute, hour and day counters still agree.
    expect(await totals()).toEqual([30, 30, 30]);

    const again = clientOf(server!, first.admin);
    for (let call = 0; call < 15; call += 1) await again('POST', '/v1/verify', { token: secret, ip: '203.0.113.8' });
    await server!.stop();

    const third = await startWithToken(`clean-restart-${target.name}`, first.admin);
    const usage = (await third.call('GET', `/v1/usage/${id}?step=hour`)).body;
    expect(usage.buckets.reduce((sum: number, bucket: { total: number }) => sum + bucket.total, 0)).toBe(45);
  });
});
