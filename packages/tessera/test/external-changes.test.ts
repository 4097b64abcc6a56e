import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { databaseTargets } from './support/databases.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

async function verifyUntil(server: TestServer, secret: string, code: string, deadlineMilliseconds: number): Promise<string> {
  const deadline = Date.now() + deadlineMilliseconds;
  let last = '';
  while (Date.now() < deadline) {
    const response = await server.request('POST', '/v1/verify', { body: { token: secret } });
    last = response.body.code as string;
    if (last === code) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

describe('changes by another process [sqlite]', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(sqlite, { name: 'external-changes' });
    await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } });
  });
  afterAll(async () => server?.stop());

  test('CLI revoke reaches the running server', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'job' } });
    const secret = rememberSecret(issued.body.secret as string);
    const first = await server.request('POST', '/v1/verify', { body: { token: secret } });
    expect(first.body.code).toBe('VALID');

    const revoked = await runCli(['--data-dir', server.database.dataDir, 'token', 'revoke', issued.body.token.id, '--reason', 'leaked', '--json']);
    expect(revoked.code).toBe(0);

    // The server checks for commits by other processes every second; five seconds is ample.
    expect(await verifyUntil(server, secret, 'REVOKED', 5_000)).toBe('REVOKED');
  });

  test('own writes keep the cache', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'steady' } });
    const secret = rememberSecret(issued.body.secret as string);
    await server.request('POST', '/v1/verify', { body: { token: secret } });
    const missesBefore = server.tessera.context.cache.misses;

    await server
      .request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'another' } })
      .then((response) => rememberSecret(response.body.secret as string));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await server.request('POST', '/v1/verify', { body: { token: secret } });
    // Both lookups of this request, the admin token and the verified one, came from the cache.
    expect(server.tessera.context.cache.misses).toBe(missesBefore);
  });

  // Last, because the new key version changes what the server can read.
  test('newer master key is logged with the fix', async () => {
    const added = await server.request('POST', '/v1/secrets', { body: { name: 'LEDGER_KEY', environment: 'production', value: `ledger-${Date.now()}` } });
    expect(added.status).toBe(201);
    const rotated = await runCli(['--data-dir', server.database.dataDir, 'keys', 'rotate', '--json']);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout).addedVersion).toBe(2);

    const deadline = Date.now() + 5_000;
    const warned = () => server.logLines().some((line) => line.includes('newer master key version') && line.includes('"newestKeyVersion":2'));
    while (!warned() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warned()).toBe(true);
    expect(server.logLines().filter((line) => line.includes('newer master key version'))).toHaveLength(1);

    // The secret is now wrapped under version 2, which this process has not loaded: the server, not the client, must change.
    const revealed = await server.request('POST', '/v1/secrets/production/LEDGER_KEY/reveal', { body: {} });
    expect(revealed.status).toBe(503);
    expect(revealed.body.error.code).toBe('CONFIGURATION_INVALID');
    expect(revealed.body.error.message).toContain('restart this process');
  });
});
