import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import type { TestDatabase } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86_400_000;

describeEachDatabase('scheduler expiry warnings', (target) => {
  const clock = new FakeClock();
  const issuedAt = clock.now();
  let database: TestDatabase;
  let server: TestServer;
  let adminToken = '';
  let tokenId = '';

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await server.request(method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function eventsOfToken(type: string): Promise<any[]> {
    return (await call('GET', `/v1/events?type=${type}&subjectId=${tokenId}&limit=500`)).items;
  }

  /** Moves the fake clock to `days` after issuance and runs every job that is due then. */
  async function runAt(days: number): Promise<void> {
    clock.advance(issuedAt + days * day - clock.now());
    await server.scheduler!.runDueJobs();
  }

  async function restart(): Promise<void> {
    await server.stop();
    server = await startTestServer(target, { clock, database, name: 'scheduler-expiry-restarted', scheduler: {} });
  }

  beforeAll(async () => {
    database = await target.create();
    server = await startTestServer(target, { clock, database, name: 'scheduler-expiry', scheduler: {} });
    adminToken = server.adminToken;
    await call('POST', '/v1/keyspaces', { name: 'billing', prefix: 'bill' });
    const issued = await call('POST', '/v1/tokens', { keyspace: 'billing', name: 'invoice-sync', scopes: [], expiresInSeconds: 20 * 86400 });
    rememberSecret(issued.secret);
    tokenId = issued.token.id;
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  test('token with 20 days gets 14, 3, 1 day warnings once', async () => {
    await runAt(1);
    expect(await eventsOfToken('token.expiring')).toHaveLength(0);

    await runAt(6.5);
    await runAt(6.6);
    const first = await eventsOfToken('token.expiring');
    expect(first.map((event) => event.data.daysLeft)).toEqual([14]);

    await restart();
    await server.scheduler!.runDueJobs();
    expect(await eventsOfToken('token.expiring')).toHaveLength(1);

    await runAt(17.5);
    await restart();
    await runAt(17.6);
    expect((await eventsOfToken('token.expiring')).map((event) => event.data.daysLeft)).toEqual([14, 3]);

    await runAt(19.5);
    await restart();
    await runAt(19.9);
    const warnings = await eventsOfToken('token.expiring');
    expect(warnings.map((event) => event.data.daysLeft)).toEqual([14, 3, 1]);
    expect(warnings.map((event) => event.data.thresholdSeconds)).toEqual([14 * 86400, 3 * 86400, 86400]);
    expect(await eventsOfToken('token.expired')).toHaveLength(0);
  });

  test('token past expiry is marked expired once', async () => {
    await runAt(20.1);
    await restart();
    await runAt(20.2);

    const expired = await eventsOfToken('token.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0].data.reason).toBe('lifetime_ended');
    const token = await call('GET', `/v1/tokens/${tokenId}`);
    expect(token.state).toBe('expired');
    expect(token.stateReason).toBe('lifetime_ended');
    expect((await eventsOfToken('token.expiring')).map((event) => event.data.daysLeft)).toEqual([14, 3, 1]);
  });

  test('warnings and expiry raise alerts', async () => {
    await server.scheduler!.runDueJobs();
    const alerts = (await call('GET', '/v1/alerts')).items.filter((alert: any) => alert.subject.id === tokenId);
    const byType = Object.fromEntries(alerts.map((alert: any) => [alert.type, alert]));
    expect(Object.keys(byType).sort()).toEqual(['token.expired', 'token.expiring']);
    expect(byType['token.expiring'].eventCount).toBe(3);
    expect(byType['token.expiring'].severity).toBe('warning');
    expect(byType['token.expired'].summary).toContain('invoice-sync');

    const acknowledged = await call('POST', `/v1/alerts/${byType['token.expired'].id}/acknowledge`);
    expect(acknowledged.status).toBe('acknowledged');
    const open = (await call('GET', '/v1/alerts')).items.filter((alert: any) => alert.subject.id === tokenId);
    expect(open.map((alert: any) => alert.type)).toEqual(['token.expiring']);

    const again = await server.request('POST', `/v1/alerts/${byType['token.expired'].id}/acknowledge`, { token: adminToken });
    expect(again.status).toBe(409);
  });

  test('scheduler jobs record their runs', async () => {
    const rows = await server.tessera.context.db.selectFrom('scheduler_jobs').selectAll().orderBy('name').execute();
    expect(rows.map((row) => row.name)).toEqual(['event-dispatch', 'secret-rotation', 'token-lifecycle']);
    for (const row of rows) expect(row.last_outcome).toBe('success');
  });
});
