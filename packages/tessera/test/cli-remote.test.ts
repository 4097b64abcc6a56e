import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { freePort, runCli, startServe, type CliOptions, type CliResult, type ServeProcess } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';

// End-to-end tests of `tessera serve` as a child process, and of the CLI in remote mode (--url or
// TESSERA_URL) against it over loopback.

const adminTokenPattern = /tessera_admin_[0-9A-Za-z]{49}/g;
const stackFramePattern = /^\s+at /m;

function parseLogLines(serve: ServeProcess): { msg?: string; signal?: string; level: number }[] {
  return serve.logLines().map((line) => JSON.parse(line));
}

function parseJson(result: CliResult): any {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

async function expectCleanStop(serve: ServeProcess): Promise<void> {
  const exit = await serve.stop();
  expect(exit).toEqual({ code: 0, signal: null });

  // Work that finishes during shutdown (a usage flush that detects an anomaly) may log between the two.
  const messages = parseLogLines(serve).map((line) => line.msg);
  expect(messages.at(-1)).toBe('tessera stopped');
  expect(messages.indexOf('stopping')).toBeGreaterThanOrEqual(0);
  expect(messages.indexOf('stopping')).toBeLessThan(messages.length - 1);
  expect(parseLogLines(serve).find((line) => line.msg === 'stopping')?.signal).toBe('SIGTERM');
}

describe('tessera serve', () => {
  const dirs: string[] = [];
  const running: ServeProcess[] = [];
  const newDataDir = (): string => {
    const parent = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
    dirs.push(parent);
    return join(parent, 'data');
  };
  const serve = async (options: Parameters<typeof startServe>[0]): Promise<ServeProcess> => {
    const started = await startServe(options);
    running.push(started);
    return started;
  };

  afterEach(async () => {
    for (const started of running.splice(0)) await started.stop();
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('cold start reaches ready', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    const server = await serve({ name: 'cold-start', args: ['serve', '--data-dir', dataDir, '--port', String(port)], port });
    console.log(`tessera serve: cold start on an empty data directory ready after ${server.readyAfterMs.toFixed(0)} ms`);

    const readiness = await fetch(`${server.url}/readyz`);
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toEqual({ status: 'ready' });
    const adminToken = await server.waitForAdminToken();
    expect(adminToken).toMatch(/^tessera_admin_/);

    await expectCleanStop(server);
  });

  test('first start prints token once', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    const first = await serve({ name: 'first-start', args: ['serve', '--data-dir', dataDir, '--port', String(port)], port });
    const adminToken = await first.waitForAdminToken();
    await expectCleanStop(first);

    // After exit both pipes are closed, so the full output is known.
    expect(first.stderr().match(adminTokenPattern)).toEqual([adminToken]);
    expect(first.stderr()).toContain('Admin token (shown once');
    expect(first.stdout()).not.toContain(adminToken);
    for (const line of first.logLines()) expect(() => JSON.parse(line)).not.toThrow();
    expect(parseLogLines(first).some((line) => line.msg === 'tessera listening')).toBe(true);

    const second = await serve({ name: 'second-start', args: ['serve', '--data-dir', dataDir, '--port', String(port)], port });
    await expectCleanStop(second);
    expect(second.stderr()).not.toMatch(adminTokenPattern);
    expect(second.stdout()).not.toContain(adminToken);

    // The token printed by the first start is the one the installation accepts.
    const third = await serve({ name: 'third-start', args: ['serve', '--data-dir', dataDir, '--port', String(port)], port });
    const listed = await runCli(['keyspace', 'list', '--json'], { env: { TESSERA_URL: third.url, TESSERA_TOKEN: adminToken } });
    expect(parseJson(listed).map((keyspace: { name: string }) => keyspace.name)).toEqual(['admin']);
  });

  test('TESSERA_PORT sets the port', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    const server = await serve({ name: 'env-port', args: ['serve', '--data-dir', dataDir], port, env: { TESSERA_PORT: String(port) } });
    await server.waitForAdminToken();

    const readiness = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(readiness.status).toBe(200);
    const listening = parseLogLines(server).find((line) => line.msg === 'tessera listening') as { port?: number } | undefined;
    expect(listening?.port).toBe(port);
  });

  test('bad TESSERA_PORT exits 2', async () => {
    const result = await runCli(['serve', '--data-dir', newDataDir()], { env: { TESSERA_PORT: 'eighty' } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'eighty' is not a port");
  });
});

describeEachDatabase('tessera CLI remote mode', (target) => {
  let database: TestDatabase;
  let server: ServeProcess;
  let adminToken: string;
  let url: string;
  const remote = (args: string[], options: CliOptions = {}): Promise<CliResult> =>
    runCli(['--url', url, ...args], { ...options, env: { TESSERA_TOKEN: adminToken, ...options.env } });

  beforeAll(async () => {
    database = await target.create();
    const port = await freePort();
    const databaseArgs = database.databaseUrl ? ['--database-url', database.databaseUrl] : [];
    server = await startServe({
      name: `remote-${target.name}`,
      args: ['serve', '--data-dir', database.dataDir, ...databaseArgs, '--port', String(port)],
      port,
    });
    adminToken = await server.waitForAdminToken();
    url = server.url;

    const keyspace = await remote(['keyspace', 'create', 'billing', '--prefix', 'bill', '--scope', 'invoices:read,invoices:write', '--json']);
    expect(parseJson(keyspace)).toMatchObject({ name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write'] });
  });

  afterAll(async () => {
    if (server) await expectCleanStop(server);
    await database?.drop();
  });

  test('keyspace list over --url', async () => {
    const json = parseJson(await remote(['keyspace', 'list', '--json']));
    expect(json.map((keyspace: { name: string }) => keyspace.name).sort()).toEqual(['admin', 'billing']);

    const table = await remote(['keyspace', 'list']);
    expect(table.code).toBe(0);
    for (const value of ['billing', 'bill', 'invoices:read invoices:write', 'tessera_admin']) expect(table.stdout).toContain(value);
  });

  test('token lifecycle over TESSERA_URL', async () => {
    const env = { TESSERA_URL: url, TESSERA_TOKEN: adminToken };

    const created = parseJson(
      await runCli(['token', 'create', '--keyspace', 'billing', '--name', 'remote', '--owner', 'finance', '--scope', 'invoices:read', '--json'], { env }),
    );
    const secret = rememberSecret(created.secret as string);
    expect(secret).toMatch(/^bill_[0-9A-Za-z]{49}$/);
    expect(created.token).toMatchObject({ keyspace: 'billing', name: 'remote', owner: 'finance', scopes: ['invoices:read'], state: 'active' });

    const verified = parseJson(await runCli(['token', 'verify', secret, '--scope', 'invoices:read', '--json'], { env }));
    expect(verified).toMatchObject({ valid: true, code: 'VALID', tokenId: created.token.id, keyspace: 'billing', owner: 'finance' });

    const fromStdin = parseJson(await runCli(['token', 'verify', '--json'], { env, stdin: secret }));
    expect(fromStdin).toMatchObject({ valid: true, tokenId: created.token.id });

    const shown = parseJson(await runCli(['token', 'show', created.token.id, '--json'], { env }));
    expect(shown).toEqual(expect.objectContaining({ id: created.token.id, hint: created.token.hint }));

    const rotated = parseJson(await runCli(['token', 'rotate', created.token.id, '--grace-period', '5m', '--json'], { env }));
    const successor = rememberSecret(rotated.secret as string);
    expect(successor).not.toBe(secret);
    expect(rotated.token.predecessorId).toBe(created.token.id);
    expect(rotated.predecessor.successorId).toBe(rotated.token.id);

    const successorValid = parseJson(await runCli(['token', 'verify', successor, '--json'], { env }));
    expect(successorValid).toMatchObject({ valid: true, tokenId: rotated.token.id });

    const revoked = parseJson(await runCli(['token', 'revoke', rotated.token.id, '--reason', 'remote test over', '--json'], { env }));
    expect(revoked).toMatchObject({ id: rotated.token.id, state: 'revoked', stateReason: 'remote test over' });

    const afterRevoke = await runCli(['token', 'verify', successor, '--json'], { env });
    expect(afterRevoke.code).toBe(1);
    expect(JSON.parse(afterRevoke.stdout)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect(afterRevoke.stderr).not.toContain(successor);

    const listed = parseJson(await runCli(['token', 'list', '--keyspace', 'billing', '--json'], { env })) as { id: string; state: string }[];
    expect(listed.find((token) => token.id === rotated.token.id)?.state).toBe('revoked');
  });

  test('disable and enable over --url', async () => {
    const created = parseJson(await remote(['token', 'create', '--keyspace', 'billing', '--name', 'paused', '--json']));
    const secret = rememberSecret(created.secret as string);

    const disabled = await remote(['token', 'disable', created.token.id, '--reason', 'maintenance']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toContain('disabled (maintenance)');

    const whileDisabled = await remote(['token', 'verify', secret]);
    expect(whileDisabled.code).toBe(1);
    expect(whileDisabled.stdout).toContain('DISABLED');

    const enabled = parseJson(await remote(['token', 'enable', created.token.id, '--json']));
    expect(enabled.state).toBe('active');
    expect((await remote(['token', 'verify', secret])).code).toBe(0);
  });

  test('audit verify and export', async () => {
    const exported = await remote(['audit', 'export']);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('');
    const entries = exported.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_entry, index) => index + 1));
    expect(entries.some((entry) => entry.action === 'keyspace.create' && entry.details.name === 'billing' && entry.actor.type === 'token')).toBe(true);
    expect(exported.stdout).not.toContain(adminToken);

    const verified = await remote(['audit', 'verify', '--json']);
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.stdout);
    expect(result.ok).toBe(true);
    expect(result.firstBreak).toBeNull();
    // Exporting is audited too, so the chain may have grown since the export above.
    expect(result.checked).toBeGreaterThanOrEqual(entries.length);

    const text = await remote(['audit', 'verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Audit log intact: \d+ entries checked\.\n$/);
  });

  test('missing TESSERA_TOKEN exits 2', async () => {
    const result = await runCli(['--url', url, 'keyspace', 'list']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TESSERA_TOKEN is not set');
    expect(result.stderr).not.toMatch(stackFramePattern);
    expect(result.stdout).toBe('');
  });

  test('wrong token exits 2', async () => {
    // Well-formed, so the server looks it up, but never issued.
    const wrongToken = rememberSecret(generateToken('tessera_admin'));
    const result = await runCli(['--url', url, 'token', 'list'], { env: { TESSERA_TOKEN: wrongToken } });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/authentication failed/i);
    expect(result.stderr).toContain(url);
    expect(result.stderr).not.toContain(wrongToken);
    expect(result.stderr).not.toMatch(stackFramePattern);
  });

  test('revoked admin token exits 2', async () => {
    const created = parseJson(await remote(['token', 'create', '--keyspace', 'admin', '--name', 'short-lived admin', '--scope', 'tokens:read', '--json']));
    const secondAdmin = rememberSecret(created.secret as string);
    expect((await runCli(['--url', url, 'token', 'list'], { env: { TESSERA_TOKEN: secondAdmin } })).code).toBe(0);

    expect((await remote(['token', 'revoke', created.token.id, '--reason', 'rotated out'])).code).toBe(0);

    const result = await runCli(['--url', url, 'token', 'list'], { env: { TESSERA_TOKEN: secondAdmin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/authentication failed/i);
    expect(result.stderr).not.toContain(secondAdmin);
  });

  test('token from another keyspace exits 2', async () => {
    const created = parseJson(await remote(['token', 'create', '--keyspace', 'billing', '--name', 'not an admin', '--json']));
    const billingToken = rememberSecret(created.secret as string);

    const result = await runCli(['--url', url, 'keyspace', 'list'], { env: { TESSERA_TOKEN: billingToken } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/authentication failed/i);
    expect(result.stderr).not.toContain(billingToken);
  });

  test('unknown token id exits 2', async () => {
    const id = '01a242a6-0000-7000-8000-000000000002';
    const result = await remote(['token', 'show', id]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`token '${id}' does not exist`);
    expect(result.stderr).not.toMatch(stackFramePattern);
  });
});

describe('remote mode without a server', () => {
  test('unreachable server exits 2', async () => {
    // Nothing listens on a port that was free a moment ago.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const adminToken = rememberSecret(generateToken('tessera_admin'));
    const result = await runCli(['keyspace', 'list'], { env: { TESSERA_URL: url, TESSERA_TOKEN: adminToken } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot reach the Tessera server at ${url}`);
    expect(result.stderr).not.toContain(adminToken);
    expect(result.stderr).not.toMatch(stackFramePattern);
    expect(result.stdout).toBe('');
  });
});
