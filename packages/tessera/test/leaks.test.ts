import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { freePort, runCli, startServe, type ServeProcess } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

// Leak response over HTTP on both stores, and from `tessera scan --on-leak` as a user runs it,
// on a data directory and against a server on loopback.

const where = { source: 'partner', path: 'https://gist.example.invalid/abc', line: 3 } as const;

/** A fake clock that can move one millisecond on every read, so that two transactions never share a time. */
class TickingClock extends FakeClock {
  ticking = false;

  override now(): number {
    const time = super.now();
    if (this.ticking) this.advance(1);
    return time;
  }
}

describeEachDatabase('POST /v1/leaks', (target) => {
  const clock = new TickingClock();
  let server: TestServer;
  let reporterToken: string;
  let responderToken: string;
  let counter = 0;

  async function issue(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const response = await server.request('POST', '/v1/tokens', { body: { name: `leak-fixture-${++counter}`, ...body } });
    expect(response.status).toBe(201);
    return { id: response.body.token.id, secret: rememberSecret(response.body.secret as string) };
  }

  async function verify(secret: string): Promise<string> {
    const response = await server.request('POST', '/v1/verify', { body: { token: secret } });
    expect(response.status).toBe(200);
    return response.body.code;
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `leaks-${target.name}` });
    expect((await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } })).status).toBe(201);
    expect((await server.request('POST', '/v1/keyspaces', { body: { name: 'other', prefix: 'oth' } })).status).toBe(201);
    reporterToken = (await issue({ keyspace: 'admin', scopes: ['leaks:report'] })).secret;
    responderToken = (await issue({ keyspace: 'admin', scopes: ['leaks:report', 'tokens:write'], adminKeyspaces: ['billing'] })).secret;
  });

  afterAll(async () => {
    await server.stop();
  });

  test('lookup reports live token without changing it', async () => {
    const leaked = await issue({ keyspace: 'billing', owner: 'team-pay', scopes: [] });
    const response = await server.request('POST', '/v1/leaks', { token: reporterToken, body: { token: leaked.secret, where, response: 'none' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      found: true,
      live: true,
      tokenId: leaked.id,
      keyspace: 'billing',
      owner: 'team-pay',
      state: 'active',
      action: 'none',
    });
    expect(await verify(leaked.secret)).toBe('VALID');
  });

  test('revoke ends the token and records where it leaked', async () => {
    const leaked = await issue({ keyspace: 'billing', scopes: [] });
    const response = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response: 'revoke' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ found: true, live: true, action: 'revoked', state: 'revoked' });
    expect(await verify(leaked.secret)).toBe('REVOKED');

    const audit = await server.request('GET', `/v1/audit?targetId=${leaked.id}&limit=50`);
    const leakedEntry = audit.body.items.find((entry: any) => entry.action === 'token.leaked');
    expect(leakedEntry.details).toEqual({ hint: `bill_…${leaked.secret.slice(-4)}`, where, response: 'revoke', action: 'revoked' });
    expect(JSON.stringify(audit.body)).not.toContain(leaked.secret);

    const events = await server.request('GET', `/v1/events?type=token.leaked&subjectId=${leaked.id}`);
    expect(events.status).toBe(200);
    expect(events.body.items).toEqual([
      expect.objectContaining({
        type: 'token.leaked',
        subject: { type: 'token', id: leaked.id },
        keyspace: 'billing',
        data: { hint: `bill_…${leaked.secret.slice(-4)}`, where, response: 'revoke', action: 'revoked' },
      }),
    ]);
    expect(JSON.stringify(events.body)).not.toContain(leaked.secret);

    const again = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response: 'revoke' } });
    expect(again.body).toMatchObject({ live: false, action: 'inactive' });
  });

  test('response and leak record commit together', async () => {
    for (const response of ['revoke', 'rotate'] as const) {
      const leaked = await issue({ keyspace: 'billing', scopes: [] });
      // Every clock read is a new millisecond, and a transaction reads the time once for all its entries.
      clock.ticking = true;
      const reported = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response } });
      clock.ticking = false;
      expect(reported.status).toBe(200);

      const events = await server.request('GET', `/v1/events?subjectId=${leaked.id}&limit=50`);
      const [ended, recorded] = events.body.items.slice(-2);
      expect([ended.type, recorded.type]).toEqual([response === 'revoke' ? 'token.revoked' : 'token.rotated', 'token.leaked']);
      expect(recorded.seq).toBe(ended.seq + 1);
      expect(recorded.occurredAt).toBe(ended.occurredAt);
    }
  });

  test('rotate expires the token at once and returns a successor', async () => {
    const leaked = await issue({ keyspace: 'billing', scopes: ['invoices:read'] });
    const response = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response: 'rotate' } });
    expect(response.status).toBe(200);
    expect(response.body.action).toBe('rotated');
    const successor = rememberSecret(response.body.successor.secret);
    expect(await verify(leaked.secret)).toBe('EXPIRED');
    expect(await verify(successor)).toBe('VALID');
  });

  test('rotate ends a predecessor in grace', async () => {
    const leaked = await issue({ keyspace: 'billing', scopes: [] });
    const rotated = await server.request('POST', `/v1/tokens/${leaked.id}/rotate`, { body: { gracePeriodSeconds: 3600 } });
    expect(rotated.status).toBe(201);
    const successor = rememberSecret(rotated.body.secret as string);
    expect(await verify(leaked.secret)).toBe('VALID');

    const response = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response: 'rotate' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ live: true, action: 'revoked', state: 'revoked' });
    expect(response.body.successor).toBeUndefined();
    expect(await verify(leaked.secret)).toBe('REVOKED');
    expect(await verify(successor)).toBe('VALID');
  });

  test('alert records without a state change', async () => {
    const leaked = await issue({ keyspace: 'billing', scopes: [] });
    const response = await server.request('POST', '/v1/leaks', { token: reporterToken, body: { token: leaked.secret, where } });
    expect(response.body).toMatchObject({ response: 'alert', action: 'recorded' });
    expect(await verify(leaked.secret)).toBe('VALID');
  });

  test('revoke needs tokens:write', async () => {
    const leaked = await issue({ keyspace: 'billing', scopes: [] });
    const response = await server.request('POST', '/v1/leaks', { token: reporterToken, body: { token: leaked.secret, where, response: 'revoke' } });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain("lacks the 'tokens:write' scope");
    expect(await verify(leaked.secret)).toBe('VALID');
  });

  test('token outside the caller keyspaces reads as not found', async () => {
    const leaked = await issue({ keyspace: 'other', scopes: [] });
    const response = await server.request('POST', '/v1/leaks', { token: responderToken, body: { token: leaked.secret, where, response: 'revoke' } });
    expect(response.body).toMatchObject({ found: false, tokenId: null, action: 'none' });
    expect(await verify(leaked.secret)).toBe('VALID');
  });

  test('unknown token is not found', async () => {
    const unknown = rememberSecret(generateToken('bill'));
    const response = await server.request('POST', '/v1/leaks', { token: reporterToken, body: { token: unknown, where } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ found: false, live: false });
  });

  test.each([
    ['not a token', { token: 'hello', where }, 'token: not a Tessera token'],
    ['missing where', { token: rememberSecret(generateToken('bill')) }, 'body.where: is required'],
    ['bad source', { token: rememberSecret(generateToken('bill')), where: { ...where, source: 'email' } }, 'where.source'],
    ['bad response', { token: rememberSecret(generateToken('bill')), where, response: 'delete' }, 'response'],
    ['unknown field', { token: rememberSecret(generateToken('bill')), where, extra: 1 }, 'extra'],
  ])('%s is a 400 naming the field', async (_name, body, message) => {
    const response = await server.request('POST', '/v1/leaks', { token: reporterToken, body });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain(message);
    if (typeof body.token === 'string') expect(JSON.stringify(response.body)).not.toContain(body.token);
  });

  test('no scope is 403', async () => {
    const plain = await issue({ keyspace: 'admin', scopes: ['tokens:read'] });
    const response = await server.request('POST', '/v1/leaks', { token: plain.secret, body: { token: rememberSecret(generateToken('bill')), where } });
    expect(response.status).toBe(403);
  });
});

describe('tessera scan --on-leak', () => {
  const folders: string[] = [];
  let serve: ServeProcess | undefined;

  afterAll(async () => {
    await serve?.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  function newFolder(): string {
    const folder = mkdtempSync(join(tmpdir(), 'tessera-leak-'));
    folders.push(folder);
    return folder;
  }

  async function setUp(folder: string, env: Record<string, string> = {}): Promise<{ id: string; secret: string }> {
    const dataDir = join(folder, 'data');
    const base = ['--data-dir', dataDir];
    expect((await runCli([...base, 'init', '--json'], { env })).code).toBe(0);
    expect((await runCli([...base, 'keyspace', 'create', 'billing', '--prefix', 'bill'], { env })).code).toBe(0);
    const created = await runCli([...base, '--json', 'token', 'create', '--keyspace', 'billing', '--name', 'ci', '--owner', 'team-pay'], { env });
    const issued = JSON.parse(created.stdout);
    rememberSecret(issued.secret);
    writeFileSync(join(folder, 'deploy.env'), `# deploy\nBILLING_TOKEN=${issued.secret}\n`);
    return { id: issued.token.id, secret: issued.secret };
  }

  test('revoke on the data directory makes verify answer REVOKED', async () => {
    const folder = newFolder();
    const { id, secret } = await setUp(folder);
    const dataDir = ['--data-dir', join(folder, 'data')];

    const lookup = await runCli([...dataDir, 'scan', 'deploy.env'], { cwd: folder });
    expect(lookup.code).toBe(1);
    expect(lookup.stdout).toContain(`registry: LIVE token ${id} in keyspace billing, owner team-pay`);

    const revoked = await runCli([...dataDir, 'scan', 'deploy.env', '--on-leak', 'revoke', '--json'], { cwd: folder });
    expect(revoked.code).toBe(1);
    expect(JSON.parse(revoked.stdout).findings[0].registry).toMatchObject({ found: true, live: true, action: 'revoked', tokenId: id });
    expect(revoked.stdout + revoked.stderr).not.toContain(secret);

    const verify = await runCli([...dataDir, '--json', 'token', 'verify', '-'], { stdin: secret });
    expect(JSON.parse(verify.stdout).code).toBe('REVOKED');
  });

  test('rotate writes the successor to a private file', async () => {
    const folder = newFolder();
    const { secret } = await setUp(folder);
    const successorFile = join(folder, 'successors.jsonl');
    const result = await runCli(['--data-dir', join(folder, 'data'), 'scan', 'deploy.env', '--on-leak', 'rotate', '--successor-file', successorFile], {
      cwd: folder,
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(secret);
    const successor = JSON.parse(readFileSync(successorFile, 'utf8'));
    rememberSecret(successor.secret);
    expect(result.stdout).not.toContain(successor.secret);
    expect(statSync(successorFile).mode & 0o777).toBe(0o600);
    const verify = await runCli(['--data-dir', join(folder, 'data'), '--json', 'token', 'verify', successor.secret]);
    expect(JSON.parse(verify.stdout).code).toBe('VALID');
  });

  test('on-leak without a registry exits 2', async () => {
    const folder = newFolder();
    writeFileSync(join(folder, 'a.env'), `T=${rememberSecret(generateToken('bill'))}\n`);
    const result = await runCli(['--data-dir', join(folder, 'none'), 'scan', 'a.env', '--on-leak', 'revoke'], { cwd: folder });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--on-leak needs a registry');
  });

  test('revoke through a server with --url', async () => {
    const folder = newFolder();
    const port = await freePort();
    serve = await startServe({ name: 'leak-url', args: ['--data-dir', join(folder, 'data'), 'serve', '--port', String(port)], port });
    const adminToken = await serve.waitForAdminToken();
    const env = { TESSERA_TOKEN: adminToken };
    const remote = ['--url', serve.url];
    expect((await runCli([...remote, 'keyspace', 'create', 'billing', '--prefix', 'bill'], { env })).code).toBe(0);
    const issued = JSON.parse((await runCli([...remote, '--json', 'token', 'create', '--keyspace', 'billing', '--name', 'ci'], { env })).stdout);
    rememberSecret(issued.secret);
    writeFileSync(join(folder, 'ci.log'), `step 3: curl -H "Authorization: Bearer ${issued.secret}"\n`);

    const result = await runCli([...remote, 'scan', '--stdin', '--on-leak', 'revoke', '--json'], { env, stdin: readFileSync(join(folder, 'ci.log'), 'utf8') });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings[0].registry).toMatchObject({ action: 'revoked', keyspace: 'billing' });
    const verify = await runCli([...remote, '--json', 'token', 'verify', '-'], { env, stdin: issued.secret });
    expect(JSON.parse(verify.stdout).code).toBe('REVOKED');

    // A responder that may report but not revoke: each finding is still listed, each failure named, and the exit code is 2.
    const reporter = JSON.parse(
      (await runCli([...remote, '--json', 'token', 'create', '--keyspace', 'admin', '--name', 'reporter', '--scope', 'leaks:report'], { env })).stdout,
    );
    rememberSecret(reporter.secret);
    const second = JSON.parse((await runCli([...remote, '--json', 'token', 'create', '--keyspace', 'billing', '--name', 'deploy'], { env })).stdout);
    rememberSecret(second.secret);
    const third = JSON.parse((await runCli([...remote, '--json', 'token', 'create', '--keyspace', 'billing', '--name', 'report'], { env })).stdout);
    rememberSecret(third.secret);
    const log = `a ${second.secret}\nb ${third.secret}\n`;
    const failed = await runCli([...remote, 'scan', '--stdin', '--on-leak', 'revoke', '--json'], { env: { TESSERA_TOKEN: reporter.secret }, stdin: log });
    expect(failed.code).toBe(2);
    expect(JSON.parse(failed.stdout).findings).toHaveLength(2);
    expect(failed.stderr.match(/error: --on-leak revoke failed for \(stdin\):\d+: .*tokens:write/g)).toHaveLength(2);
    expect(failed.stdout + failed.stderr).not.toContain(second.secret.slice(5));
  });
});
