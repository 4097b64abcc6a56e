import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withJobLock } from '../src/scheduler/job-lock.js';
import { rememberSecret } from './support/artifacts.js';
import { databaseTargets, type TestDatabase } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { startTestServer, type TestServer } from './support/fixtures.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const postgres = databaseTargets.find((target) => target.name === 'postgres')!;

describe.skipIf(!postgres.available)('two servers on one PostgreSQL database', () => {
  const clock = new FakeClock();
  const receiver = new WebhookReceiver(() => clock.now());
  let database: TestDatabase;
  let first: TestServer;
  let second: TestServer;

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await first.request(method, path, body === undefined ? {} : { body });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function jobRuns(): Promise<Record<string, number>> {
    const rows = await first.tessera.context.db.selectFrom('scheduler_jobs').select(['name', 'run_count']).execute();
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.run_count)]));
  }

  /** Both nodes wake up at the same moment, as their timers would, several times over. */
  async function runBothNodes(times: number): Promise<string[]> {
    const outcomes: string[] = [];
    for (let round = 0; round < times; round += 1) {
      const [a, b] = await Promise.all([first.scheduler!.runDueJobs(), second.scheduler!.runDueJobs()]);
      outcomes.push(a['token-lifecycle'] ?? 'missing', b['token-lifecycle'] ?? 'missing');
    }
    return outcomes;
  }

  beforeAll(async () => {
    database = await postgres.create();
    first = await startTestServer(postgres, { clock, database, name: 'two-nodes-first', scheduler: {} });
    second = await startTestServer(postgres, { clock, database, name: 'two-nodes-second', scheduler: {} });
    await receiver.start();
    const webhook = await call('POST', '/v1/webhooks', { name: 'ops', url: receiver.url, eventTypes: ['token.*'] });
    rememberSecret(webhook.secret);
    await call('POST', '/v1/keyspaces', { name: 'shipping', prefix: 'ship' });
    for (let index = 0; index < 30; index += 1) {
      const issued = await call('POST', '/v1/tokens', { keyspace: 'shipping', name: `carrier-${index}`, scopes: [], expiresInSeconds: 10 * 86400 });
      rememberSecret(issued.secret);
    }
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await receiver.stop();
    await database?.drop();
  });

  test('each due job runs on one node only', async () => {
    await runBothNodes(1);
    const before = await jobRuns();

    clock.advance(60_000);
    const outcomes = await runBothNodes(3);

    expect(outcomes.filter((outcome) => outcome === 'ran')).toHaveLength(1);
    const after = await jobRuns();
    expect(after['token-lifecycle']).toBe(before['token-lifecycle']! + 1);
    expect(after['event-dispatch']).toBe(before['event-dispatch']! + 1);
  });

  test('expiry warnings are sent once', async () => {
    clock.advance(60_000);
    await runBothNodes(2);
    const warnings = await call('GET', '/v1/events?type=token.expiring&limit=500');
    expect(warnings.items).toHaveLength(30);
  });

  test('webhook receives each event once', async () => {
    for (let round = 0; round < 3; round += 1) {
      clock.advance(5000);
      await runBothNodes(1);
    }
    const ids = receiver.received.map((delivery) => delivery.id);
    // 30 token.created and 30 token.expiring events.
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });

  test('a held lock keeps the other node out', async () => {
    let locked = false;
    let release: () => void = () => {};
    const held = withJobLock(first.tessera.context, 'token-lifecycle', async () => {
      locked = true;
      await new Promise<void>((resolve) => (release = resolve));
    });
    while (!locked) await setTimeout(10);

    clock.advance(60_000);
    const lifecycle = second.scheduler!.jobs.find((job) => job.name === 'token-lifecycle')!;
    expect(await second.scheduler!.runIfDue(lifecycle)).toBe('locked');
    release();
    await held;
    expect(await second.scheduler!.runIfDue(lifecycle)).toBe('ran');
  });
});
