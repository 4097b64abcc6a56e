import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

describeEachDatabase('CLI webhooks, alerts and retirement', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let env: Record<string, string> = {};
  let tokenId = '';

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: 'cli-alerting', scheduler: {} });
    env = { TESSERA_URL: server.url, TESSERA_TOKEN: server.adminToken };
    await server.request('POST', '/v1/keyspaces', { body: { name: 'crm', prefix: 'crm' } });
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'crm', name: 'sync', scopes: [], expiresInSeconds: 2 * 86400 } });
    rememberSecret(issued.body.secret);
    tokenId = issued.body.token.id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('webhook create prints the secret once', async () => {
    const created = await runCli(['webhook', 'create', 'ops', '--endpoint', 'http://127.0.0.1:9/hooks', '--event', 'token.*'], { env });
    expect(created.code).toBe(0);
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(created.stdout)?.[0] ?? '';
    rememberSecret(secret);
    expect(secret).toHaveLength(50);

    const listed = await runCli(['--json', 'webhook', 'list'], { env });
    expect(listed.code).toBe(0);
    const [webhook] = JSON.parse(listed.stdout);
    expect(webhook.name).toBe('ops');
    expect(webhook.eventTypes).toEqual(['token.*']);
    expect(listed.stdout).not.toContain(secret.slice(6));
  });

  test('webhook create with bad input exits 2', async () => {
    const result = await runCli(['webhook', 'create', 'bad', '--endpoint', 'ftp://127.0.0.1/hooks'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('tessera: url: must use http or https');
  });

  test('alert list exits 1 with open alerts', async () => {
    clock.advance(60_000);
    await server.scheduler!.runDueJobs();
    clock.advance(5_000);
    await server.scheduler!.runDueJobs();

    const listed = await runCli(['--json', 'alert', 'list'], { env });
    expect(listed.code).toBe(1);
    const [alert] = JSON.parse(listed.stdout);
    expect(alert.type).toBe('token.expiring');
    expect(alert.subject.id).toBe(tokenId);

    const acknowledged = await runCli(['alert', 'ack', alert.id], { env });
    expect(acknowledged.code).toBe(0);
    const after = await runCli(['--json', 'alert', 'list'], { env });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  test('retirement of unrotated token exits 2', async () => {
    const result = await runCli(['token', 'retirement', tokenId], { env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`tessera: token '${tokenId}' has not been rotated, so it has no predecessor grace period; rotate it first`);
  });
});
