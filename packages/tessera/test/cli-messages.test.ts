import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { cliPath, runCli } from './support/cli.js';
import { databaseTargets, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

describe('messages a new user meets', () => {
  let server: TestServer;
  let database: TestDatabase;

  beforeAll(async () => {
    server = await startTestServer(sqlite, { name: 'cli-messages' });
    database = server.database;
    await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } });
  });
  afterAll(async () => server?.stop());

  test('misspelt field suggests the right one', async () => {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'job', expiresIn: 3600 } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe("body.expiresIn: unknown field; did you mean 'expiresInSeconds'?");
  });

  test('unrelated field says remove it', async () => {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'job', colour: 'blue' } });
    expect(response.body.error.message).toBe('body.colour: unknown field; remove it (see /openapi.json)');
  });

  test('keyspace name rule in words', async () => {
    const response = await server.request('POST', '/v1/keyspaces', { body: { name: 'Billing', prefix: 'billing' } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      "body.name: use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters",
    );
  });

  test('policy error names the CLI option', async () => {
    const result = await runCli(['--data-dir', database.dataDir, 'token', 'create', '--keyspace', 'billing', '--name', 'long', '--expires-in', '365d']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--expires-in (expiresInSeconds): the keyspace policy allows a lifetime of at most 90d');
  });

  test('extend-grace error names --by', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'nightly export', expiresInSeconds: 86400 } });
    expect(issued.status).toBe(201);
    const oldSecret = rememberSecret(issued.body.secret);
    const rotated = await server.request('POST', `/v1/tokens/${issued.body.token.id}/rotate`, { body: {} });
    expect(rotated.status).toBe(201);
    rememberSecret(rotated.body.secret);
    // Presented after the rotation, so the request gets as far as the length check.
    const verified = await server.request('POST', '/v1/verify', { body: { token: oldSecret } });
    expect(verified.body.code).toBe('VALID');

    const result = await runCli(['--url', server.url, 'token', 'extend-grace', issued.body.token.id, '--by', '30d'], {
      env: { TESSERA_TOKEN: server.adminToken },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--by (extendBySeconds): one extension may add at most the policy's grace period");
  });

  test('url without scheme is explained', async () => {
    const result = await runCli(['--url', server.url.replace('http://', ''), 'token', 'list'], { env: { TESSERA_TOKEN: server.adminToken } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no scheme; use e.g. http://127.0.0.1:8470');
  });

  test('verify with empty input is a usage error', async () => {
    const result = await runCli(['--data-dir', database.dataDir, 'token', 'verify', '-'], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no token given');
  });

  test('output closed early ends quietly', async () => {
    // Enough entries that the export outgrows a pipe buffer (64 KiB), so writing goes on after the reader closed.
    for (let index = 0; index < 150; index++) {
      const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: `job ${index}` } });
      rememberSecret(issued.body.secret as string);
    }
    // A shell pipe into `head -c 10`: the reader takes a few bytes and closes its end.
    const child = spawn(`"${process.execPath}" "${cliPath}" --data-dir "${database.dataDir}" audit export | head -c 10 > /dev/null; echo "\${PIPESTATUS[0]}"`, {
      shell: '/bin/bash',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('0');
  });

  test('port in use is explained', async () => {
    const port = new URL(server.url).port;
    const secondDataDir = `${database.dataDir}-second`;
    const result = await runCli(['--data-dir', secondDataDir, 'serve', '--port', port]);
    rmSync(secondDataDir, { recursive: true, force: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use; stop the other process or pass --port`);
  });
});
