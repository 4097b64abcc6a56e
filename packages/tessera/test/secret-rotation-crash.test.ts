import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { databaseFileName } from '../src/services/tessera.js';
import { freePort, startServe, type ServeProcess } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';
import { startMockProvider, writeRotatorScripts, type HoldPoint, type MockProvider, type RotatorScripts } from './support/mock-provider.js';

// Each case kills the server while a rotation waits at one point, then restarts it. The first two
// points are in the pending step (before and after the provider issued a key), the last two in the
// applied step (before and after the test program activated the new key).
const killPoints: { point: HoldPoint; step: string }[] = [
  { point: 'rotate', step: 'pending' },
  { point: 'issued', step: 'pending' },
  { point: 'test', step: 'applied' },
  { point: 'activated', step: 'applied' },
];

/**
 * Keeps a rotation at `tested` (the test program passed, the new value is not current yet): any
 * update of a rotation to `current` fails. The step from `tested` to `current` runs at once, with
 * no program to hold, so a trigger in the database keeps it there. The statement lists are for SQLite and PostgreSQL.
 */
const holdAtTested = {
  sqlite: [
    `create trigger hold_at_tested before update of state on secret_rotations when new.state = 'current'
     begin select raise(abort, 'rotation held at tested by the crash test'); end`,
  ],
  postgres: [
    `create function hold_at_tested() returns trigger language plpgsql as $$
     begin raise exception 'rotation held at tested by the crash test'; end $$`,
    `create trigger hold_at_tested before update of state on secret_rotations for each row when (new.state = 'current')
     execute function hold_at_tested()`,
  ],
};
const releaseAtTested = {
  sqlite: ['drop trigger hold_at_tested'],
  postgres: ['drop trigger hold_at_tested on secret_rotations', 'drop function hold_at_tested'],
};

/** Runs statements on the installation's database beside the server and returns the rows of the last one. */
async function runSql(database: TestDatabase, statements: { sqlite: string[]; postgres: string[] }, parameters: unknown[] = []): Promise<unknown[]> {
  if (database.databaseUrl) {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      let rows: unknown[] = [];
      for (const [index, statement] of statements.postgres.entries()) {
        rows = (await client.query(statement, index === statements.postgres.length - 1 ? parameters : [])).rows;
      }
      return rows;
    } finally {
      await client.end();
    }
  }
  const sqlite = new Sqlite(join(database.dataDir, databaseFileName), { fileMustExist: true, timeout: 5000 });
  try {
    let rows: unknown[] = [];
    for (const [index, statement] of statements.sqlite.entries()) {
      const prepared = sqlite.prepare(statement);
      const values = index === statements.sqlite.length - 1 ? parameters : [];
      if (prepared.reader) rows = prepared.all(...values);
      else prepared.run(...values);
    }
    return rows;
  } finally {
    sqlite.close();
  }
}

/** Returns the states of the rotations of a secret, oldest first. */
async function rotationStates(database: TestDatabase, name: string): Promise<string[]> {
  const query = 'select state from secret_rotations where secret_id = (select id from secrets where name = $1) order by started_at, id';
  const rows = await runSql(database, { sqlite: [query.replace('$1', '?')], postgres: [query] }, [name]);
  return rows.map((row) => (row as { state: string }).state);
}

describeEachDatabase('secret rotation crash', (target) => {
  let database: TestDatabase;
  let provider: MockProvider;
  let scripts: RotatorScripts;
  let server: ServeProcess | undefined;
  let adminToken: string;

  async function serve(): Promise<ServeProcess> {
    const port = await freePort();
    const databaseArgs = database.databaseUrl ? ['--database-url', database.databaseUrl] : [];
    return startServe({
      name: `rotation-crash-${target.name}`,
      args: ['serve', '--data-dir', database.dataDir, ...databaseArgs, '--port', String(port)],
      port,
    });
  }

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Waits until the restarted server has finished the rotation, then checks that exactly the new value is current and valid. */
  async function expectRotatedOnce(name: string, before: string): Promise<void> {
    // The scheduler resumes the rotation once the interrupted step is older than its timeout and margin.
    await expect.poll(async () => (await call('POST', `/v1/secrets/production/${name}/reveal`, {})).body.version, { timeout: 60_000, interval: 500 }).toBe(2);
    const current = (await call('POST', `/v1/secrets/production/${name}/reveal`, {})).body;
    expect(current.value).not.toBe(before);
    expect(provider.validKeys()).toEqual([current.value]);

    const previous = (await call('POST', `/v1/secrets/production/${name}/reveal`, { version: 1 })).body;
    expect(previous.value).toBe(before);

    const details = (await call('GET', `/v1/secrets/production/${name}`)).body;
    expect(details.versions.map((version: { version: number }) => version.version)).toEqual([2, 1]);
    expect(server!.stdout()).not.toContain(current.value);
  }

  beforeAll(async () => {
    database = await target.create();
    provider = await startMockProvider();
    scripts = writeRotatorScripts(provider);
    server = await serve();
    adminToken = await server.waitForAdminToken();
  });
  afterAll(async () => {
    await server?.stop();
    await provider?.close();
    scripts?.remove();
    await database?.drop();
  });

  for (const [index, { point, step }] of killPoints.entries()) {
    test(`SIGKILL in ${step} at ${point} resumes`, { timeout: 120_000 }, async () => {
      const name = `KILLED_${index}`;
      const before = provider.validKeys();
      expect(before).toHaveLength(1);
      expect((await call('POST', '/v1/secrets', { name, environment: 'production', value: before[0] })).status).toBe(201);
      const rotator = { kind: 'exec', command: scripts.rotator(), testCommand: scripts.test(), timeoutSeconds: 5, gracePeriodSeconds: 3600 };
      expect((await call('PUT', `/v1/secrets/production/${name}/rotator`, rotator)).status).toBe(200);

      scripts.hold(point);
      void call('POST', `/v1/secrets/production/${name}/rotate`).catch(() => undefined);
      await expect.poll(() => scripts.reached(point), { timeout: 10_000 }).toBe(true);
      await server!.kill();

      scripts.release(point);
      server = await serve();

      await expectRotatedOnce(name, before[0]!);
    });
  }

  test('SIGKILL in tested resumes', { timeout: 120_000 }, async () => {
    const name = 'KILLED_TESTED';
    const before = provider.validKeys();
    expect(before).toHaveLength(1);
    expect((await call('POST', '/v1/secrets', { name, environment: 'production', value: before[0] })).status).toBe(201);
    const rotator = { kind: 'exec', command: scripts.rotator(), testCommand: scripts.test(), timeoutSeconds: 5, gracePeriodSeconds: 3600 };
    expect((await call('PUT', `/v1/secrets/production/${name}/rotator`, rotator)).status).toBe(200);

    // The request ends with an error once the step to current fails. By then the test program has
    // activated the new key at the provider, which revoked the old one.
    await runSql(database, holdAtTested);
    await call('POST', `/v1/secrets/production/${name}/rotate`);
    expect(await rotationStates(database, name)).toEqual(['tested']);
    expect(provider.validKeys()).toHaveLength(1);
    expect(provider.validKeys()).not.toEqual(before);
    await server!.kill();

    await runSql(database, releaseAtTested);
    server = await serve();
    await expectRotatedOnce(name, before[0]!);
    expect(await rotationStates(database, name)).toEqual(['current']);
  });
});
