import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { databaseFileName } from '../src/services/tessera.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

describeEachDatabase('secrets over HTTP', (target) => {
  let server: TestServer;
  // Every value this suite stored or sent, searched for in every place it must never appear.
  const values: string[] = [];
  // Every response body and CLI output, including errors, check and review reports.
  const outputs: string[] = [];

  function value(label: string): string {
    const generated = rememberSecret(`${label}-${randomBytes(16).toString('hex')}`);
    values.push(generated);
    return generated;
  }

  async function call(method: string, path: string, options?: Parameters<TestServer['request']>[2]) {
    const response = await server.request(method, path, options);
    // A successful reveal is the one response that carries a value by design.
    if (!(path.endsWith('/reveal') && response.status === 200)) outputs.push(JSON.stringify(response.body));
    return response;
  }

  /** Runs the CLI against the server; output is kept for the search unless the command prints a value by design. */
  async function cli(args: string[], options: { stdin?: string; printsValue?: boolean } = {}) {
    const result = await runCli(['--url', server.url, ...args], { env: { TESSERA_TOKEN: server.adminToken }, stdin: options.stdin });
    if (!options.printsValue) outputs.push(result.stdout, result.stderr);
    return result;
  }

  async function adminToken(scopes: string[]): Promise<string> {
    const issued = await call('POST', '/v1/tokens', { body: { keyspace: 'admin', name: `holder of ${scopes.join(' ')}`, scopes, neverExpires: true } });
    expect(issued.status).toBe(201);
    return rememberSecret(issued.body.secret as string);
  }

  beforeAll(async () => {
    server = await startTestServer(target, { name: `secrets-http-${target.name}` });
  });
  afterAll(async () => server?.stop());

  test('create, read, update and remove', async () => {
    const first = value('first');
    const created = await call('POST', '/v1/secrets', {
      body: {
        name: 'PAYMENTS_KEY',
        environment: 'production',
        value: first,
        owner: 'payments',
        description: 'card charges',
        tags: ['pci'],
        expiresAt: '2027-03-01',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatchObject({ name: 'PAYMENTS_KEY', version: 1, tags: ['pci'], expiresAt: '2027-03-01T00:00:00.000Z' });

    const listed = await call('GET', '/v1/secrets?environment=production');
    expect(listed.body.items.map((item: any) => item.name)).toEqual(['PAYMENTS_KEY']);

    const updated = await call('PATCH', '/v1/secrets/production/PAYMENTS_KEY', { body: { value: value('second'), owner: 'finance' } });
    expect(updated.status).toBe(200);
    expect(updated.body.secret).toMatchObject({ version: 2, owner: 'finance' });

    const shown = await call('GET', '/v1/secrets/production/PAYMENTS_KEY');
    expect(shown.body.versions.map((version: any) => version.version)).toEqual([2, 1]);

    const old = await call('POST', '/v1/secrets/production/PAYMENTS_KEY/reveal', { body: { version: 1 } });
    expect(old.body.value).toBe(first);

    const removed = await call('DELETE', '/v1/secrets/production/PAYMENTS_KEY');
    expect(removed.status).toBe(200);
    expect((await call('GET', '/v1/secrets/production/PAYMENTS_KEY')).status).toBe(404);

    const events = await call('GET', `/v1/events?subjectId=${created.body.secret.id}`);
    expect(events.body.items.map((event: any) => event.type)).toEqual(['secret.created', 'secret.updated', 'secret.removed']);
    expect(events.body.items[0].data).toMatchObject({ name: 'PAYMENTS_KEY', environment: 'production', version: 1, owner: 'payments' });
    expect(events.body.items[1].data).toMatchObject({ version: 2, newVersion: true, changed: ['owner'] });
    expect(events.body.items[0].subject).toEqual({ type: 'secret', id: created.body.secret.id });
  });

  test('bad requests get 4xx naming the field', async () => {
    const secret = value('misplaced');
    const cases: [string, string, Record<string, unknown> | undefined, number, RegExp][] = [
      ['POST', '/v1/secrets', { name: 'bad-name', environment: 'production', value: secret }, 400, /body\.name/],
      ['POST', '/v1/secrets', { name: 'OK_NAME', environment: 'production' }, 400, /body\.value: is required/],
      ['POST', '/v1/secrets', { name: 'OK_NAME', environment: 'production', value: 42 }, 400, /body\.value: must be of type string/],
      ['POST', '/v1/secrets', { name: 'OK_NAME', environment: 'production', value: secret, valeu: secret }, 400, /body\.valeu: unknown field/],
      ['POST', '/v1/secrets', { name: 'OK_NAME', environment: 'production', value: secret, expiresAt: 'soon' }, 400, /expiresAt/],
      ['PATCH', '/v1/secrets/production/MISSING', { owner: 'x' }, 404, /does not exist/],
      ['PATCH', '/v1/secrets/production/MISSING', {}, 400, /at least 1 field/],
      ['POST', '/v1/secrets/production/MISSING/reveal', undefined, 404, /does not exist/],
      ['GET', '/v1/check?failOn=sometimes', undefined, 400, /not a rule/],
      ['GET', '/v1/check?staleAfterDays=-3', undefined, 400, /staleAfterDays/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const response = await call(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.body.error.message, `${method} ${path}`).toMatch(message);
    }
  });

  test('scopes guard every route', async () => {
    await call('POST', '/v1/secrets', { body: { name: 'SCOPED', environment: 'production', value: value('scoped') } });
    const reader = await adminToken(['secrets:read']);
    const revealer = await adminToken(['secrets:reveal']);

    expect((await call('GET', '/v1/secrets/production/SCOPED', { token: reader })).status).toBe(200);
    expect((await call('POST', '/v1/secrets/production/SCOPED/reveal', { token: reader })).status).toBe(403);
    expect((await call('POST', '/v1/secrets', { token: reader, body: { name: 'NOPE', environment: 'production', value: value('nope') } })).status).toBe(403);
    expect((await call('GET', '/v1/check', { token: reader })).status).toBe(403);
    expect((await call('GET', '/v1/review', { token: reader })).status).toBe(403);
    expect((await call('GET', '/v1/secrets', { token: null })).status).toBe(401);

    const revealed = await call('POST', '/v1/secrets/production/SCOPED/reveal', { token: revealer, body: { purpose: 'deploy' } });
    expect(revealed.status).toBe(200);
    const audit = await call('GET', '/v1/audit?limit=50');
    const entry = audit.body.items.find((item: any) => item.action === 'secret.reveal' && item.details.name === 'SCOPED');
    expect(entry).toMatchObject({ sourceIp: '127.0.0.1', outcome: 'success', target: { type: 'secret' } });
    expect(entry.actor.type).toBe('token');
    const denied = audit.body.items.find((item: any) => item.action === 'secret.reveal' && item.outcome === 'denied');
    expect(denied).toBeDefined();
  });

  test('cli import reports bad lines and imports good', async () => {
    const good = [value('import-a'), value('import-b')];
    const file = join(server.database.dataDir, 'app.env');
    writeFileSync(
      file,
      [`# app settings`, `export API_KEY=${good[0]}`, 'this line is broken', `QUOTED="${good[1]}" # note`, 'EMPTY=', `UNCLOSED='${value('unclosed')}`].join(
        '\n',
      ),
    );

    const result = await cli(['secret', 'import', file, '--env', 'imported', '--owner', 'platform']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3: not an assignment`);
    expect(result.stderr).toContain(`${file}:5: EMPTY: the value is empty`);
    expect(result.stderr).toContain(`${file}:6: UNCLOSED: the ' quote is never closed`);
    expect(result.stderr).toContain('2 imported, 3 rejected');

    const got = await cli(['secret', 'get', 'QUOTED', '--env', 'imported'], { printsValue: true });
    expect(got.code).toBe(0);
    expect(got.stdout).toBe(good[1]);
  });

  test('cli add reads the value from standard input', async () => {
    const secret = value('piped');
    const added = await cli(['--json', 'secret', 'add', 'PIPED', '--env', 'staging', '--owner', 'ops'], { stdin: `${secret}\n` });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).secret.name).toBe('PIPED');

    const missing = await cli(['secret', 'add', 'EMPTY_INPUT', '--env', 'staging']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('run passes secrets to the child only', async () => {
    const secret = value('for-child');
    await call('POST', '/v1/secrets', { body: { name: 'CHILD_SECRET', environment: 'child', value: secret } });
    const script = 'process.stdout.write(JSON.stringify({ secret: process.env.CHILD_SECRET, token: process.env.TESSERA_TOKEN ?? null })); process.exit(7)';
    const result = await runCli(['--url', server.url, 'run', '--env', 'child', '--', process.execPath, '-e', script], {
      env: { TESSERA_TOKEN: server.adminToken },
    });
    expect(result.code).toBe(7);
    expect(JSON.parse(result.stdout)).toEqual({ secret, token: null });
  });

  test('check and review return reports', async () => {
    await call('POST', '/v1/secrets', { body: { name: 'ORPHAN', environment: 'review', value: value('orphan'), owner: 'former-employee' } });
    const check = await call('GET', '/v1/check?failOn=duplicate&staleAfterDays=30');
    expect(check.status).toBe(200);
    expect(check.body.policy).toMatchObject({ staleAfterDays: 30, failOn: ['duplicate'] });
    expect(check.body.summary.secrets).toBeGreaterThan(0);

    const review = await call('GET', '/v1/review?members=platform,ops,finance');
    expect(review.status).toBe(200);
    const orphan = review.body.owners.find((owner: any) => owner.owner === 'former-employee');
    expect(orphan.orphaned).toBe(true);
    expect(review.body.owners.find((owner: any) => owner.owner === 'platform').orphaned).toBe(false);

    const membersFile = join(server.database.dataDir, 'members.txt');
    writeFileSync(membersFile, '# team\nplatform\nops\n');
    for (const format of ['markdown', 'csv', 'json']) {
      const result = await cli(['review', '--members', membersFile, '--format', format]);
      expect(result.code, format).toBe(0);
      expect(result.stdout, format).toContain('former-employee');
    }
    const csv = (await cli(['review', '--members', membersFile, '--format', 'csv'])).stdout.split('\r\n');
    expect(csv[0]).toBe('owner,orphaned,type,keyspace or environment,name,scopes,last used,expires,description');
    expect(csv.find((line) => line.startsWith('former-employee,'))).toMatch(/^former-employee,yes,secret,review,ORPHAN,/);

    const invalidPolicy = await cli(['--json', 'check', '--policy', membersFile]);
    expect(invalidPolicy.code).toBe(2);

    const policyFile = join(server.database.dataDir, 'policy.yml');
    writeFileSync(policyFile, 'staleAfterDays: 30\nfailOn: [no-owner]\n');
    const remoteCheck = await cli(['--json', 'check', '--policy', policyFile]);
    expect(remoteCheck.code).toBe(1);
    const report = JSON.parse(remoteCheck.stdout);
    expect(report.policy).toMatchObject({ staleAfterDays: 30, failOn: ['no-owner'] });
    expect(report.findings.filter((finding: any) => finding.severity === 'error').every((finding: any) => finding.rule === 'no-owner')).toBe(true);
  });

  test('no value anywhere it must not be', async () => {
    const auditExport = await server.request('GET', '/v1/audit/export');
    const events = await server.request('GET', '/v1/events?limit=500');
    expect(events.body.items.filter((event: any) => event.type === 'secret.created').length).toBeGreaterThan(5);
    const places = new Map<string, Buffer>([
      ['events', Buffer.from(JSON.stringify(events.body))],
      ['responses and CLI output', Buffer.from(outputs.join('\n'))],
      ['audit log', Buffer.from(String(auditExport.body))],
      ['server log', Buffer.from(server.logLines().join('\n'))],
    ]);

    if (target.name === 'sqlite') {
      for (const suffix of ['', '-wal']) {
        const path = join(server.database.dataDir, `${databaseFileName}${suffix}`);
        if (existsSync(path)) places.set(`${databaseFileName}${suffix}`, readFileSync(path));
      }
    } else {
      const client = new pg.Client({ connectionString: server.database.databaseUrl });
      await client.connect();
      const tables = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public'");
      for (const { table_name: table } of tables.rows) {
        const rows = await client.query<{ t: string }>(`select t::text as t from "${table}" t`);
        places.set(`table ${table}`, Buffer.from(rows.rows.map((row) => row.t).join('\n')));
      }
      await client.end();
    }
    expect(places.size).toBeGreaterThan(3);

    for (const [place, bytes] of places) {
      // The values' random parts, so a label shared by several values cannot hide which one leaked.
      const leaked = values.filter((stored) => bytes.includes(Buffer.from(stored.slice(stored.lastIndexOf('-') + 1))));
      expect(
        leaked.map((stored) => stored.slice(0, stored.lastIndexOf('-'))),
        place,
      ).toEqual([]);
    }
  });
});
