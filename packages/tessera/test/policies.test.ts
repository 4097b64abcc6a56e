import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86400;

describeEachDatabase('named policies', (target) => {
  let server: TestServer;

  async function call(method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const response = await server.request(method, path, { ...(body === undefined ? {} : { body }), ...(token === undefined ? {} : { token }) });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function adminTokenWith(scopes: string[], adminKeyspaces?: string[]): Promise<string> {
    const issued = await call('POST', '/v1/tokens', {
      keyspace: 'admin',
      name: `limited-${scopes.join('-')}`,
      scopes,
      ...(adminKeyspaces && { adminKeyspaces }),
    });
    return rememberSecret(issued.secret);
  }

  beforeAll(async () => {
    server = await startTestServer(target, { name: 'policies' });
    await call('POST', '/v1/keyspaces', { name: 'payments', prefix: 'pay', policy: { maxLifetimeSeconds: 60 * day } });
    await call('POST', '/v1/keyspaces', { name: 'search', prefix: 'srch' });
    await call('POST', '/v1/keyspaces', { name: 'reports', prefix: 'rep' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('default policy fills what inline policy does not set', async () => {
    const created = await call('POST', '/v1/policies', { name: 'baseline', default: true, rules: { staleAfterSeconds: '30d', maxLifetimeSeconds: '10d' } });
    expect(created.default).toBe(true);
    expect(created.rules).toEqual({ staleAfterSeconds: 30 * day, maxLifetimeSeconds: 10 * day });

    const effective = await call('GET', '/v1/keyspaces/payments/policy');
    expect(effective.staleAfterSeconds).toBe(30 * day);
    // The keyspace's inline maximum lifetime beats the default policy.
    expect(effective.maxLifetimeSeconds).toBe(60 * day);
    expect(effective.warnBeforeExpirySeconds).toEqual([14 * day, 3 * day, day]);
    expect(effective.source).toEqual({ attached: null, default: 'baseline' });
  });

  test('attached policy beats inline policy', async () => {
    await call('POST', '/v1/policies', {
      name: 'strict',
      keyspaces: ['payments'],
      secretGroups: { environments: ['production'], tags: ['pci'] },
      rules: { maxLifetimeSeconds: '30d', requiredFields: ['owner'], allowedScopes: ['charges:read'], warnBeforeExpirySeconds: ['1d', '7d', '7d'] },
    });
    const effective = await call('GET', '/v1/keyspaces/payments/policy');
    expect(effective.maxLifetimeSeconds).toBe(30 * day);
    expect(effective.warnBeforeExpirySeconds).toEqual([7 * day, day]);
    expect(effective.source).toEqual({ attached: 'strict', default: 'baseline' });
    const stored = await call('GET', '/v1/policies/strict');
    expect(stored.secretGroups).toEqual({ environments: ['production'], tags: ['pci'] });
  });

  test('issuance enforces the attached policy', async () => {
    const base = { keyspace: 'payments', name: 'charge-reader', scopes: ['charges:read'] };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base }, 'owner'],
      [{ ...base, owner: 'billing-team', scopes: ['refunds:write'] }, 'scopes'],
      [{ ...base, owner: 'billing-team', expiresInSeconds: 31 * day }, 'expiresInSeconds'],
    ];
    for (const [body, field] of cases) {
      const response = await server.request('POST', '/v1/tokens', { body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.error.code).toBe('POLICY_VIOLATION');
      expect(response.body.error.field).toBe(field);
    }
    const issued = await call('POST', '/v1/tokens', { ...base, owner: 'billing-team' });
    rememberSecret(issued.secret);
    expect(Date.parse(issued.token.expiresAt) - Date.parse(issued.token.createdAt)).toBe(30 * day * 1000);
  });

  test('conflicting attachments get 409', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'strict' }, 'name'],
      [{ name: 'second-default', default: true }, 'default'],
      [{ name: 'also-payments', keyspaces: ['payments'] }, 'keyspaces'],
    ];
    for (const [body, field] of cases) {
      const response = await server.request('POST', '/v1/policies', { body });
      expect(response.status, JSON.stringify(body)).toBe(409);
      expect(response.body.error.field).toBe(field);
    }
  });

  test('invalid policies get 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'Bad Name' }, 'name'],
      [{ name: 'x', rules: { staleAfterSeconds: 'forever' } }, 'rules.staleAfterSeconds'],
      [{ name: 'x', rules: { maxLifetimeSeconds: null } }, 'rules.maxLifetimeSeconds'],
      [{ name: 'x', rules: { requiredFields: ['manager'] } }, 'rules.requiredFields[0]'],
      [{ name: 'x', rules: { allowedScopes: ['Not A Scope'] } }, 'rules.allowedScopes[0]'],
      [{ name: 'x', rules: { rotationWindow: { startHour: 25, endHour: 3 } } }, 'body.rules.rotationWindow.startHour'],
      [{ name: 'x', rules: { warnBeforeExpirySeconds: ['2y'] } }, 'rules.warnBeforeExpirySeconds[0]'],
      [{ name: 'x', keyspaces: ['missing'] }, 'keyspaces[0]'],
      [{ name: 'x', secretGroups: { tags: ['has space'] } }, 'secretGroups.tags[0]'],
      [{ name: 'x', rules: { unknownRule: 1 } }, 'body.rules'],
      [{ name: 'x', owner: 'me' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await server.request('POST', '/v1/policies', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message, JSON.stringify(body)).toContain(field);
    }
    expect((await call('GET', '/v1/policies')).items.map((policy: any) => policy.name)).toEqual(['baseline', 'strict']);
  });

  test('replace and delete change the effective policy', async () => {
    const replaced = await call('PUT', '/v1/policies/strict', { keyspaces: ['payments'], rules: { maxLifetimeSeconds: '20d' } });
    expect(replaced.rules).toEqual({ maxLifetimeSeconds: 20 * day });
    expect((await call('GET', '/v1/keyspaces/payments/policy')).requiredFields).toEqual([]);

    const deleted = await server.request('DELETE', '/v1/policies/strict');
    expect(deleted.status).toBe(204);
    const effective = await call('GET', '/v1/keyspaces/payments/policy');
    expect(effective.maxLifetimeSeconds).toBe(60 * day);
    expect(effective.source.attached).toBeNull();
    expect((await server.request('GET', '/v1/policies/strict')).status).toBe(404);
  });

  test('policy writes need the right scope and reach', async () => {
    const reader = await adminTokenWith(['policies:read']);
    const denied = await server.request('POST', '/v1/policies', { body: { name: 'x' }, token: reader });
    expect(denied.status).toBe(403);
    expect((await server.request('GET', '/v1/policies', { token: reader })).status).toBe(200);

    const limited = await adminTokenWith(['policies:write'], ['search']);
    expect((await server.request('POST', '/v1/policies', { body: { name: 'mine', keyspaces: ['search'] }, token: limited })).status).toBe(201);
    expect((await server.request('POST', '/v1/policies', { body: { name: 'theirs', keyspaces: ['reports'] }, token: limited })).status).toBe(403);
    expect((await server.request('PUT', '/v1/policies/baseline', { body: { default: true }, token: limited })).status).toBe(403);
  });

  test('policy apply loads a YAML file', async () => {
    const file = join(server.database.dataDir, 'policies.yaml');
    writeFileSync(
      file,
      [
        'policies:',
        '  - name: reporting',
        '    keyspaces: [reports]',
        '    rules:',
        '      rotateAfterSeconds: 45d',
        '      warnBeforeExpirySeconds: [7d]',
        '',
      ].join('\n'),
    );
    const env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    const applied = await runCli(['--json', 'policy', 'apply', '-f', file], { env });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)[0].rules).toEqual({ rotateAfterSeconds: 45 * day, warnBeforeExpirySeconds: [7 * day] });

    writeFileSync(file, 'policies:\n  - name: reporting\n    rules:\n      staleAfterSeconds: soon\n');
    const invalid = await runCli(['policy', 'apply', '-f', file], { env });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim()).toBe('tessera: policies[0].rules.staleAfterSeconds: must be a whole number of seconds or a duration such as 90d, 24h or 30m');
    expect((await call('GET', '/v1/policies/reporting')).rules.rotateAfterSeconds).toBe(45 * day);
  });
});
