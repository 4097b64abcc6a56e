import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli, type CliResult } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const hour = 3_600_000;
const day = 24 * hour;

// One more than the CLI's default --limit of 100, so the default run leaves exactly one token out.
const tokenCount = 101;

/** Returns the cursor the "more tokens match" note on standard error names, or null without a note. */
function noteCursor(result: CliResult): string | null {
  return /--cursor (\S+)/.exec(result.stderr)?.[1] ?? null;
}

describeEachDatabase('CLI token list paging and expiry filter', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  const createdIds: string[] = [];

  function remote(args: string[]): Promise<CliResult> {
    return runCli(['--url', server.url, ...args], { env: { TESSERA_TOKEN: server.adminToken } });
  }

  function local(args: string[]): Promise<CliResult> {
    return runCli(['--data-dir', server.database.dataDir, ...args], { env: { DATABASE_URL: server.database.databaseUrl } });
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `cli-token-list-${target.name}` });
    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'fleet', prefix: 'flt', policy: { maxLifetimeSeconds: 3650 * 86400 } },
    });
    expect(keyspace.status).toBe(201);

    // Token i expires an hour before day i + 1, so no expiry falls exactly on a whole-day boundary.
    for (let index = 0; index < tokenCount; index += 1) {
      const body = { keyspace: 'fleet', name: `worker ${index}`, expiresInSeconds: ((index + 1) * day - hour) / 1000 };
      const response = await server.request('POST', '/v1/tokens', { body });
      expect(response.status).toBe(201);
      rememberSecret(response.body.secret);
      createdIds.push(response.body.token.id);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('default limit notes the next page', async () => {
    const first = await remote(['--json', 'token', 'list', '--keyspace', 'fleet']);
    expect(first.code, first.stderr).toBe(0);
    const firstPage = JSON.parse(first.stdout);
    expect(Array.isArray(firstPage)).toBe(true);
    expect(firstPage).toHaveLength(100);
    const cursor = noteCursor(first);
    expect(cursor, first.stderr).not.toBeNull();
    expect(first.stderr).toContain('more tokens match');

    const second = await remote(['--json', 'token', 'list', '--keyspace', 'fleet', '--cursor', cursor!]);
    expect(second.code, second.stderr).toBe(0);
    const secondPage = JSON.parse(second.stdout);
    expect(secondPage).toHaveLength(1);
    expect(noteCursor(second)).toBeNull();
    expect(second.stderr).toBe('');

    const listed = [...firstPage, ...secondPage].map((token: { id: string }) => token.id);
    expect(new Set(listed).size).toBe(tokenCount);
    expect([...listed].sort()).toEqual([...createdIds].sort());
  });

  test('cursor pages locally in tables', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (const expectedRows of [40, 40, 21]) {
      const result: CliResult = await local([
        'token',
        'list',
        '--keyspace',
        'fleet',
        '--sort',
        'expiresAt',
        '--limit',
        '40',
        ...(cursor ? ['--cursor', cursor] : []),
      ]);
      expect(result.code, result.stderr).toBe(0);
      const rows = createdIds.filter((id) => result.stdout.includes(id));
      expect(rows).toHaveLength(expectedRows);
      seen.push(...rows);
      cursor = noteCursor(result);
      if (expectedRows === 40) expect(result.stderr).toContain('for the next 40, run the same command with --cursor');
    }

    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(tokenCount);
  });

  test('exact limit prints no note', async () => {
    const result = await remote(['--json', 'token', 'list', '--keyspace', 'fleet', '--limit', String(tokenCount)]);

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(tokenCount);
    expect(result.stderr).toBe('');
  });

  test('expiring within filters by days', async () => {
    const result = await remote(['--json', 'token', 'list', '--keyspace', 'fleet', '--state', 'active', '--expiring-within', '10d', '--sort', 'expiresAt']);

    expect(result.code, result.stderr).toBe(0);
    const names = JSON.parse(result.stdout).map((token: { name: string }) => token.name);
    expect(names).toEqual(Array.from({ length: 10 }, (_, index) => `worker ${index}`));

    const weeks = await remote(['--json', 'token', 'list', '--keyspace', 'fleet', '--expiring-within', '2w']);
    expect(weeks.code, weeks.stderr).toBe(0);
    expect(JSON.parse(weeks.stdout)).toHaveLength(14);
  });

  test('expiring within rejects bare numbers', async () => {
    for (const value of ['14', '36h', '3651d']) {
      const result = await remote(['token', 'list', '--expiring-within', value]);
      expect(result.code, value).toBe(2);
      expect(result.stderr, value).toContain(`'${value}' is not a duration in whole days`);
    }
  });
});
