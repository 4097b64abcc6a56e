import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';
import { startMockProvider, writeRotatorScripts, type MockProvider, type RotatorScripts } from './support/mock-provider.js';

const hour = 3_600_000;
const day = 24 * hour;

describeEachDatabase('secret rotation history and retirement', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let provider: MockProvider;
  let scripts: RotatorScripts;
  const readers = { first: '', second: '', viewer: '', outsider: '' };
  const tokenIds = new Map<string, string>();

  async function call(method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const response = await server.request(method, path, { ...(body !== undefined && { body }), ...(token !== undefined && { token }) });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function adminToken(name: string, scopes: string[]): Promise<string> {
    const issued = await call('POST', '/v1/tokens', { keyspace: 'admin', name, scopes, neverExpires: true });
    tokenIds.set(name, issued.token.id);
    return rememberSecret(issued.secret as string);
  }

  async function addRotatedSecret(name: string, rotator: 'ok' | 'fail' = 'ok', environment = 'production'): Promise<void> {
    await call('POST', '/v1/secrets', { name, environment, value: provider.initialKey });
    await call('PUT', `/v1/secrets/${environment}/${name}/rotator`, {
      kind: 'exec',
      command: scripts.rotator(rotator),
      timeoutSeconds: 10,
      gracePeriodSeconds: 86400,
    });
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: 'secret-retirement' });
    provider = await startMockProvider();
    scripts = writeRotatorScripts(provider);
    readers.first = await adminToken('billing worker', ['secrets:reveal']);
    readers.second = await adminToken('reporting job', ['secrets:reveal']);
    readers.viewer = await adminToken('auditor', ['secrets:read']);
    readers.outsider = await adminToken('token clerk', ['tokens:read']);
    await addRotatedSecret('PAYMENTS_KEY');
  });

  afterAll(async () => {
    await server?.stop();
    await provider?.close();
    scripts?.remove();
  });

  test('history before any rotation', async () => {
    const history = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/rotations');
    expect(history.items).toEqual([]);
    expect(history.nextCursor).toBeNull();
    expect(history.status).toEqual({ rotatorKind: 'exec', policy: null, nextRotationDueAt: null, lastOutcome: null });

    const response = await server.request('GET', '/v1/secrets/production/PAYMENTS_KEY/retirement');
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain('tessera secret rotate PAYMENTS_KEY --env production');
  });

  test('history lists rotation with status', async () => {
    await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', {}, readers.first);
    await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', {}, readers.second);
    clock.advance(hour);

    const rotated = await call('POST', '/v1/secrets/production/PAYMENTS_KEY/rotate');
    expect(rotated.state).toBe('current');

    const history = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/rotations', undefined, readers.viewer);
    expect(history.items).toHaveLength(1);
    const [rotation] = history.items;
    expect(rotation.id).toBe(rotated.id);
    expect(rotation.state).toBe('current');
    expect(rotation.fromVersion).toBe(1);
    expect(rotation.toVersion).toBe(2);
    expect(rotation.error).toBeNull();
    expect(rotation.startedAt).toBe(new Date(clock.now()).toISOString());
    expect(rotation.updatedAt).toBe(new Date(clock.now()).toISOString());
    expect(rotation.graceEndsAt).toBe(new Date(clock.now() + day).toISOString());
    expect(rotation.startedBy).toMatch(/^[0-9a-f-]{36}$/);
    expect(history.status.lastOutcome).toEqual({ rotationId: rotated.id, state: 'current', finishedAt: rotation.updatedAt, error: null });
  });

  test('earlier readers show as not switched', async () => {
    const report = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/retirement', undefined, readers.viewer);
    expect(report.previousVersion).toBe(1);
    expect(report.currentVersion).toBe(2);
    expect(report.previousVersionReads).toEqual({ count: 0, lastReadAt: null, readers: [] });
    const expected = [tokenIds.get('billing worker'), tokenIds.get('reporting job')].sort();
    expect(report.notSwitched.map((reader: any) => reader.actorId).sort()).toEqual(expected);
    for (const reader of report.notSwitched) {
      expect(reader.address).toBe('127.0.0.1');
      expect(reader.lastReadAt).toBe(new Date(clock.now() - hour).toISOString());
    }
    expect(report.stillInUse).toBe(true);
    expect(report.canExtendGrace).toBe(true);
  });

  test('old version read counts, new read switches', async () => {
    clock.advance(hour);
    // The first reader picks up the new value; the second still requests the old one.
    await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', {}, readers.first);
    clock.advance(60_000);
    await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', { version: 1 }, readers.second);
    await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', { version: 1 }, readers.second);

    const report = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/retirement');
    expect(report.previousVersionReads.count).toBe(2);
    expect(report.previousVersionReads.lastReadAt).toBe(new Date(clock.now()).toISOString());
    expect(report.previousVersionReads.readers).toHaveLength(1);
    const [reader] = report.previousVersionReads.readers;
    expect(reader.reads).toBe(2);
    expect(reader.address).toBe('127.0.0.1');
    expect(reader.actorId).toBe(tokenIds.get('reporting job'));
    expect(report.notSwitched).toEqual([]);
    expect(report.stillInUse).toBe(true);
  });

  test('extend grace is audited', async () => {
    const before = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/retirement');
    const extended = await call('POST', '/v1/secrets/production/PAYMENTS_KEY/retirement/extend-grace', { extendBySeconds: 6 * 3600 });
    expect(Date.parse(extended.graceEndsAt) - Date.parse(before.graceEndsAt)).toBe(6 * hour);

    const history = await call('GET', '/v1/secrets/production/PAYMENTS_KEY/rotations');
    expect(history.items[0].graceEndsAt).toBe(extended.graceEndsAt);

    const audit = await call('GET', '/v1/audit?action=secret.extend_grace');
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0].details).toMatchObject({
      name: 'PAYMENTS_KEY',
      extendBySeconds: 6 * 3600,
      graceEndsAt: extended.graceEndsAt,
      previousGraceEndsAt: before.graceEndsAt,
    });

    // The old value stays readable past the original grace end.
    clock.advance(day - hour);
    const previous = await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', { version: 1 }, readers.second);
    expect(previous.value).toBe(provider.initialKey);
  });

  test('extend grace rejects bad input', async () => {
    const cases: [unknown, number, string][] = [
      [{ extendBySeconds: 10 }, 400, 'extendBySeconds'],
      [{ extendBySeconds: '2d' }, 400, 'extendBySeconds'],
      [{}, 400, 'extendBySeconds'],
      [{ extendBySeconds: 2 * 86400 }, 422, 'extendBySeconds'],
    ];
    for (const [body, status, field] of cases) {
      const response = await server.request('POST', '/v1/secrets/production/PAYMENTS_KEY/retirement/extend-grace', { body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error.message, JSON.stringify(body)).toContain(field);
    }
  });

  test('unused predecessor cannot be extended', async () => {
    await addRotatedSecret('LEDGER_KEY');
    await call('POST', '/v1/secrets/production/LEDGER_KEY/rotate');

    const report = await call('GET', '/v1/secrets/production/LEDGER_KEY/retirement');
    expect(report.stillInUse).toBe(false);
    expect(report.canExtendGrace).toBe(false);
    const response = await server.request('POST', '/v1/secrets/production/LEDGER_KEY/retirement/extend-grace', { body: { extendBySeconds: 3600 } });
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain('let its grace period end');
  });

  test('history pages newest first', async () => {
    clock.advance(60_000);
    await call('POST', '/v1/secrets/production/LEDGER_KEY/rotate');
    clock.advance(60_000);
    const newest = await call('POST', '/v1/secrets/production/LEDGER_KEY/rotate');

    const first = await call('GET', '/v1/secrets/production/LEDGER_KEY/rotations?limit=2');
    expect(first.items.map((item: any) => item.toVersion)).toEqual([4, 3]);
    expect(first.items[0].id).toBe(newest.id);
    const second = await call('GET', `/v1/secrets/production/LEDGER_KEY/rotations?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((item: any) => item.toVersion)).toEqual([2]);
    expect(second.nextCursor).toBeNull();

    const response = await server.request('GET', '/v1/secrets/production/LEDGER_KEY/rotations?limit=501');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('limit');
  });

  test('failed rotation is last outcome', async () => {
    await addRotatedSecret('BROKEN_KEY', 'fail');
    await call('POST', '/v1/secrets/production/BROKEN_KEY/rotate');

    const history = await call('GET', '/v1/secrets/production/BROKEN_KEY/rotations');
    expect(history.items[0].state).toBe('failed');
    expect(history.items[0].toVersion).toBeNull();
    expect(history.items[0].error).toContain('exit code 3');
    expect(history.status.lastOutcome.state).toBe('failed');
    expect(history.status.lastOutcome.error).toContain('exit code 3');
  });

  test('next rotation due by policy', async () => {
    await call('POST', '/v1/policies', {
      name: 'ledger-rotation',
      secretGroups: { environments: ['production'], tags: [] },
      rules: { rotateAfterSeconds: '30d' },
    });
    const secret = await call('GET', '/v1/secrets/production/LEDGER_KEY');
    const valueCreatedAt = secret.versions.find((version: any) => version.version === secret.version).createdAt;

    const history = await call('GET', '/v1/secrets/production/LEDGER_KEY/rotations');
    expect(history.status.policy).toBe('ledger-rotation');
    expect(history.status.nextRotationDueAt).toBe(new Date(Date.parse(valueCreatedAt) + 30 * day).toISOString());
  });

  test('extensions stop at the maximum lifetime', async () => {
    await call('POST', '/v1/policies', {
      name: 'staging-lifetime',
      secretGroups: { environments: ['staging'], tags: [] },
      rules: { maxLifetimeSeconds: '36h' },
    });
    await addRotatedSecret('STAGING_KEY', 'ok', 'staging');
    const rotation = await call('POST', '/v1/secrets/staging/STAGING_KEY/rotate');
    await call('POST', '/v1/secrets/staging/STAGING_KEY/reveal', { version: 1 }, readers.second);

    const extended = await call('POST', '/v1/secrets/staging/STAGING_KEY/retirement/extend-grace', { extendBySeconds: 6 * 3600 });
    expect(Date.parse(extended.graceEndsAt) - Date.parse(rotation.graceEndsAt)).toBe(6 * hour);

    const response = await server.request('POST', '/v1/secrets/staging/STAGING_KEY/retirement/extend-grace', { body: { extendBySeconds: 12 * 3600 } });
    expect(response.status).toBe(422);
    expect(response.body.error.field).toBe('extendBySeconds');
    expect(response.body.error.message).toContain("the policy's maximum lifetime");
    const history = await call('GET', '/v1/secrets/staging/STAGING_KEY/rotations');
    expect(history.items[0].graceEndsAt).toBe(extended.graceEndsAt);
  });

  test('scopes guard history and retirement', async () => {
    const cases: [string, string, unknown, string, number][] = [
      ['GET', '/v1/secrets/production/PAYMENTS_KEY/rotations', undefined, readers.outsider, 403],
      ['GET', '/v1/secrets/production/PAYMENTS_KEY/retirement', undefined, readers.outsider, 403],
      ['POST', '/v1/secrets/production/PAYMENTS_KEY/retirement/extend-grace', { extendBySeconds: 3600 }, readers.viewer, 403],
      ['GET', '/v1/secrets/production/NO_SUCH_KEY/rotations', undefined, readers.viewer, 404],
    ];
    for (const [method, path, body, token, status] of cases) {
      const response = await server.request(method, path, { token, ...(body !== undefined && { body }) });
      expect(response.status, `${method} ${path}`).toBe(status);
    }
    const denied = await server.request('GET', '/v1/secrets/production/PAYMENTS_KEY/rotations', { token: readers.outsider });
    expect(denied.body.error.message).toContain('secrets:read');
  });

  test('CLI prints history and retirement', async () => {
    const env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    const history = await runCli(['secret', 'rotations', 'LEDGER_KEY', '--env', 'production'], { env });
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain('ledger-rotation');
    expect(history.stdout).toContain('3 -> 4');
    expect(history.stdout).toContain('1 -> 2');

    const json = await runCli(['secret', 'rotations', 'LEDGER_KEY', '--env', 'production', '--json', '--limit', '1'], { env });
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.items).toHaveLength(1);
    expect(parsed.status.rotatorKind).toBe('exec');

    const report = await runCli(['secret', 'retirement', 'PAYMENTS_KEY', '--env', 'production'], { env });
    expect(report.code, report.stderr).toBe(1);
    expect(report.stdout).toContain('reads of version 1 since the rotation');
    expect(report.stdout).toContain('127.0.0.1');

    const unused = await runCli(['secret', 'retirement', 'LEDGER_KEY', '--env', 'production'], { env });
    expect(unused.code, unused.stderr).toBe(0);
    expect(unused.stdout).toMatch(/still in use\s*│\s*no/);

    const extended = await runCli(['secret', 'retirement', 'PAYMENTS_KEY', '--env', 'production', '--extend-grace', '2h', '--json'], { env });
    expect(extended.code, extended.stderr).toBe(0);
    const audit = await call('GET', '/v1/audit?action=secret.extend_grace');
    const successes = audit.items.filter((item: any) => item.outcome === 'success' && item.details.name === 'PAYMENTS_KEY');
    expect(successes).toHaveLength(2);
    expect(JSON.parse(extended.stdout).graceEndsAt).toBe(successes[0].details.graceEndsAt);
  });

  test('CLI on data directory', async () => {
    const env = { TESSERA_DATA_DIR: server.database.dataDir, DATABASE_URL: server.database.databaseUrl };
    const history = await runCli(['secret', 'rotations', 'BROKEN_KEY', '--env', 'production', '--json'], { env });
    expect(history.code, history.stderr).toBe(0);
    const parsed = JSON.parse(history.stdout);
    expect(parsed.items).toHaveLength(1);
    expect(parsed.items[0].state).toBe('failed');
    expect(parsed.status.lastOutcome.state).toBe('failed');

    const report = await runCli(['secret', 'retirement', 'LEDGER_KEY', '--env', 'production', '--json'], { env });
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).stillInUse).toBe(false);

    const never = await runCli(['secret', 'retirement', 'BROKEN_KEY', '--env', 'production'], { env });
    expect(never.code).not.toBe(0);
    expect(never.stderr).toContain('has not been rotated');
  });

  test('CLI rotate prints short times', async () => {
    await addRotatedSecret('SEARCH_KEY');
    const env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    const rotated = await runCli(['secret', 'rotate', 'SEARCH_KEY', '--env', 'production'], { env });

    expect(rotated.code, rotated.stderr).toBe(0);
    const graceEnd = new Date(clock.now() + day).toISOString();
    const shortGraceEnd = `${graceEnd.slice(0, 10)} ${graceEnd.slice(11, 16)}Z`;
    expect(rotated.stdout).toMatch(new RegExp(`previous until\\s*│\\s*${shortGraceEnd}\\s*│`));
    expect(rotated.stdout).not.toContain(graceEnd);
  });

  test('CLI failed rotate prints one document', async () => {
    await addRotatedSecret('MAILER_KEY', 'fail');
    const env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    const json = await runCli(['--json', 'secret', 'rotate', 'MAILER_KEY', '--env', 'production'], { env });

    expect(json.code).toBe(2);
    // JSON.parse throws on a second document after the first.
    const rotation = JSON.parse(json.stdout);
    expect(rotation.state).toBe('failed');
    expect(rotation.error).toEqual(expect.any(String));
    expect(rotation.toVersion).toBeNull();
    expect(rotation).not.toHaveProperty('error.code');
    expect(json.stderr).toContain('rotation of production/MAILER_KEY failed; the current value is unchanged');

    const table = await runCli(['secret', 'rotate', 'MAILER_KEY', '--env', 'production'], { env });
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/state\s*│\s*failed/);
    expect(table.stderr).toContain('rotation of production/MAILER_KEY failed');
  });

  test('CLI retirement wording and grace flag', async () => {
    const env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    await call('POST', '/v1/secrets/production/SEARCH_KEY/reveal', { version: 1 }, readers.second);

    const report = await runCli(['secret', 'retirement', 'SEARCH_KEY', '--env', 'production'], { env });
    expect(report.code, report.stderr).toBe(1);
    expect(report.stdout).toMatch(/previous read\s*│\s*1 time since the rotation\s*│/);

    // The rotator's grace period is 1d, so one extension of 2d is too long.
    const tooLong = await runCli(['secret', 'retirement', 'SEARCH_KEY', '--env', 'production', '--extend-grace', '2d'], { env });
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("--extend-grace (extendBySeconds): one extension may add at most the rotator's grace period (1d)");
    expect(tooLong.stderr).not.toContain('--by');

    const extended = await runCli(['secret', 'retirement', 'SEARCH_KEY', '--env', 'production', '--extend-grace', '12h'], { env });
    expect(extended.code, extended.stderr).toBe(0);
    expect(extended.stdout).toMatch(/previous read\s*│\s*1 time since the rotation/);
  });
});
