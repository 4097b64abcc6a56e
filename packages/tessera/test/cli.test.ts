import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli, type CliOptions, type CliResult } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';

// End-to-end tests of the built binary in local mode: every command opens the data directory
// (and, for PostgreSQL, the database) itself, as an operator on the server's host would.

const stackFramePattern = /^\s+at /m;
const tokenShapePattern = /[a-z][a-z0-9_]*_[0-9A-Za-z]{49}/;

function temporaryDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-cli-'));
}

function parseJson(result: CliResult): any {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

function expectRuntimeError(result: CliResult, message: string | RegExp): void {
  expect(result.code).toBe(2);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(stackFramePattern);
}

describe('tessera init', () => {
  const dirs: string[] = [];
  const newDataDir = (): string => {
    const parent = temporaryDir();
    dirs.push(parent);
    return join(parent, 'data');
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('init --json prints only the token', async () => {
    const dataDir = newDataDir();
    const result = await runCli(['init', '--data-dir', dataDir, '--json']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(['adminToken']);
    const adminToken = rememberSecret(output['adminToken'] as string);
    expect(adminToken).toMatch(/^tessera_admin_[0-9A-Za-z]{49}$/);
  });

  test('init creates a private key file', async () => {
    const dataDir = newDataDir();
    const result = await runCli(['init', '--data-dir', dataDir, '--json']);
    rememberSecret(JSON.parse(result.stdout).adminToken as string);

    expect(result.code).toBe(0);
    const keyFile = join(dataDir, 'master.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'tessera.db'))).toBe(true);
  });

  test('init without --json prints guidance', async () => {
    const dataDir = newDataDir();
    const result = await runCli(['init', '--data-dir', dataDir]);
    const adminToken = rememberSecret(/tessera_admin_[0-9A-Za-z]{49}/.exec(result.stdout)?.[0] ?? '');

    expect(result.code).toBe(0);
    expect(adminToken).not.toBe('');
    expect(result.stdout).toContain(`Initialised Tessera in ${dataDir}.`);
    expect(result.stdout).toContain('export TESSERA_TOKEN=');
  });

  test('second init exits 2', async () => {
    const dataDir = newDataDir();
    const first = await runCli(['init', '--data-dir', dataDir, '--json']);
    const adminToken = rememberSecret(JSON.parse(first.stdout).adminToken as string);
    const keyBefore = readFileSync(join(dataDir, 'master.key'), 'utf8');

    const second = await runCli(['init', '--data-dir', dataDir]);

    expectRuntimeError(second, 'Tessera is already initialised');
    expect(second.stdout).toBe('');
    expect(second.stderr).not.toContain(adminToken);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toBe(keyBefore);
  });

  test('second init --json prints one document', async () => {
    const dataDir = newDataDir();
    const first = await runCli(['init', '--data-dir', dataDir, '--json']);
    const adminToken = rememberSecret(JSON.parse(first.stdout).adminToken as string);

    const second = await runCli(['init', '--data-dir', dataDir, '--json']);

    expectRuntimeError(second, 'tessera: Tessera is already initialised');
    // The same form as every command's errors in JSON mode: one error document on standard output, the message on standard error.
    const parsed = JSON.parse(second.stdout);
    expect(parsed.error.code).toBe('ALREADY_INITIALISED');
    expect(parsed.error.message).toContain('Tessera is already initialised');
    expect(second.stdout).not.toContain(adminToken);
  });

  test('TESSERA_DATA_DIR replaces --data-dir', async () => {
    const dataDir = newDataDir();
    const env = { TESSERA_DATA_DIR: dataDir };

    const init = await runCli(['init', '--json'], { env });
    rememberSecret(JSON.parse(init.stdout).adminToken as string);
    expect(init.code).toBe(0);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(true);

    const created = await runCli(['keyspace', 'create', 'env-ks', '--prefix', 'envks', '--json'], { env });
    expect(parseJson(created).name).toBe('env-ks');

    const listed = parseJson(await runCli(['keyspace', 'list', '--json'], { env })) as { name: string }[];
    expect(listed.map((keyspace) => keyspace.name).sort()).toEqual(['admin', 'env-ks']);
  });

  test('--data-dir overrides TESSERA_DATA_DIR', async () => {
    const flagDir = newDataDir();
    const envDir = newDataDir();

    const init = await runCli(['init', '--data-dir', flagDir, '--json'], { env: { TESSERA_DATA_DIR: envDir } });
    rememberSecret(JSON.parse(init.stdout).adminToken as string);

    expect(init.code).toBe(0);
    expect(existsSync(join(flagDir, 'master.key'))).toBe(true);
    expect(existsSync(envDir)).toBe(false);
  });
});

describe('usage and runtime errors', () => {
  let dataDir: string;
  let parent: string;
  const cli = (args: string[], options: CliOptions = {}) => runCli(['--data-dir', dataDir, ...args], options);

  beforeAll(async () => {
    parent = temporaryDir();
    dataDir = join(parent, 'data');
    const init = await runCli(['init', '--data-dir', dataDir, '--json']);
    rememberSecret(JSON.parse(init.stdout).adminToken as string);
    const keyspace = await cli(['keyspace', 'create', 'errors', '--prefix', 'err']);
    expect(keyspace.code).toBe(0);
  });
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  test('unknown command exits 2', async () => {
    const result = await cli(['frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stdout).toBe('');
  });

  test('missing required option exits 2', async () => {
    const result = await cli(['keyspace', 'create', 'no-prefix']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--prefix <prefix>' not specified");
  });

  test('missing revoke reason exits 2', async () => {
    const result = await cli(['token', 'revoke', '01a242a6-0000-7000-8000-000000000000']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--reason <text>' not specified");
  });

  test('bad duration exits 2', async () => {
    const result = await cli(['token', 'create', '--keyspace', 'errors', '--name', 'bad-expiry', '--expires-in', '3x']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'3x' is not a duration");
    expect(result.stdout).toBe('');

    const listed = parseJson(await cli(['token', 'list', '--keyspace', 'errors', '--json'])) as unknown[];
    expect(listed).toEqual([]);
  });

  test('unknown token id exits 2', async () => {
    const id = '01a242a6-0000-7000-8000-000000000000';
    const result = await cli(['token', 'show', id]);

    expectRuntimeError(result, `token '${id}' does not exist`);
    expect(result.stdout).toBe('');
  });

  test('unknown token id with --json', async () => {
    const id = '01a242a6-0000-7000-8000-000000000000';
    const result = await cli(['token', 'disable', id, '--json']);

    expectRuntimeError(result, `token '${id}' does not exist`);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining(id) } });
  });

  test('unknown keyspace exits 2', async () => {
    const result = await cli(['token', 'create', '--keyspace', 'nowhere', '--name', 'lost']);

    expectRuntimeError(result, "--keyspace (keyspace): 'nowhere' does not exist");
  });

  test('uninitialised data directory exits 2', async () => {
    const missing = join(parent, 'never-initialised');
    const result = await runCli(['token', 'list', '--data-dir', missing]);

    expectRuntimeError(result, `no Tessera database in ${missing}`);
    expect(result.stderr).toContain('tessera init');
    expect(existsSync(missing)).toBe(false);
  });

  test('verify of malformed token exits 1', async () => {
    const presented = 'err_notAToken';
    const result = await cli(['token', 'verify', presented, '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, code: 'MALFORMED' });
    expect(result.stderr).toBe('');
  });
});

describeEachDatabase('tessera CLI local mode', (target) => {
  let database: TestDatabase;
  let adminToken: string;
  // SQLite needs only the data directory. For PostgreSQL, init gets --database-url and every later
  // command DATABASE_URL, so both ways of naming the database are exercised.
  let env: Record<string, string | undefined>;
  const cli = (args: string[], options: CliOptions = {}): Promise<CliResult> =>
    runCli(['--data-dir', database.dataDir, ...args], { ...options, env: { ...env, ...options.env } });

  async function createToken(keyspace: string, name: string, extra: string[] = []): Promise<{ secret: string; token: any }> {
    const issued = parseJson(await cli(['token', 'create', '--keyspace', keyspace, '--name', name, ...extra, '--json']));
    rememberSecret(issued.secret as string);
    return issued;
  }

  beforeAll(async () => {
    database = await target.create();
    env = {};
    const databaseArgs = database.databaseUrl ? ['--database-url', database.databaseUrl] : [];
    const init = await runCli(['init', '--data-dir', database.dataDir, ...databaseArgs, '--json']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    adminToken = rememberSecret(JSON.parse(init.stdout).adminToken as string);
    if (database.databaseUrl) env = { DATABASE_URL: database.databaseUrl };

    const keyspace = await cli([
      'keyspace',
      'create',
      'billing',
      '--prefix',
      'bill',
      '--description',
      'Billing API',
      '--scope',
      'invoices:read,invoices:write',
      '--max-lifetime',
      '30d',
      '--grace-period',
      '1h',
    ]);
    expect(keyspace.code).toBe(0);
  });
  afterAll(async () => database?.drop());

  test('init fills the data directory', () => {
    // With PostgreSQL the data directory contains only the key file. With SQLite it also contains the database.
    expect(existsSync(join(database.dataDir, 'master.key'))).toBe(true);
    expect(existsSync(join(database.dataDir, 'tessera.db'))).toBe(target.name === 'sqlite');
  });

  test('second init exits 2', async () => {
    const result = await cli(['init']);

    expectRuntimeError(result, 'Tessera is already initialised');
    expect(result.stderr).not.toContain(adminToken);
  });

  test('keyspace create --json', async () => {
    const created = parseJson(
      await cli(['keyspace', 'create', 'search', '--prefix', 'srch', '--scope', 'index:read', '--scope', 'index:write', '--allow-no-expiry', '--json']),
    );

    expect(created).toMatchObject({ name: 'search', prefix: 'srch', scopes: ['index:read', 'index:write'], description: null });
    expect(created.policy).toMatchObject({ allowNoExpiry: true, allowSelfRotation: false });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('keyspace create prints table', async () => {
    const result = await cli(['keyspace', 'create', 'mail', '--prefix', 'mail', '--description', 'Outbound mail', '--max-lifetime', '2w']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('mail');
    expect(result.stdout).toContain('Outbound mail');
    expect(result.stdout).toContain('2w');
  });

  test('duplicate keyspace exits 2', async () => {
    const result = await cli(['keyspace', 'create', 'billing', '--prefix', 'bill2']);

    expectRuntimeError(result, "keyspace 'billing' already exists");
  });

  test('duplicate prefix exits 2', async () => {
    const result = await cli(['keyspace', 'create', 'billing-copy', '--prefix', 'bill']);

    expectRuntimeError(result, "'bill' is already used by another keyspace");
  });

  test('keyspace list --json', async () => {
    const listed = parseJson(await cli(['keyspace', 'list', '--json'])) as any[];
    const billing = listed.find((keyspace) => keyspace.name === 'billing');

    expect(listed.map((keyspace) => keyspace.name)).toEqual(expect.arrayContaining(['admin', 'billing']));
    expect(billing).toMatchObject({
      prefix: 'bill',
      description: 'Billing API',
      scopes: ['invoices:read', 'invoices:write'],
      policy: { maxLifetimeSeconds: 30 * 86400, gracePeriodSeconds: 3600 },
    });
  });

  test('keyspace list prints table', async () => {
    const result = await cli(['keyspace', 'list']);

    expect(result.code).toBe(0);
    for (const value of ['name', 'prefix', 'admin', 'tessera_admin', 'billing', 'bill', 'invoices:read invoices:write', '30d', '1h', 'Billing API']) {
      expect(result.stdout).toContain(value);
    }
  });

  test('token create --json', async () => {
    const issued = await createToken('billing', 'reporting', [
      '--owner',
      'finance',
      '--scope',
      'invoices:read',
      '--expires-in',
      '7d',
      '--metadata',
      'team=fin',
    ]);

    expect(issued.secret).toMatch(/^bill_[0-9A-Za-z]{49}$/);
    expect(issued.token).toMatchObject({
      keyspace: 'billing',
      name: 'reporting',
      owner: 'finance',
      scopes: ['invoices:read'],
      state: 'active',
      hint: `bill_…${issued.secret.slice(-4)}`,
      metadata: { team: 'fin' },
    });
    const lifetime = Date.parse(issued.token.expiresAt) - Date.parse(issued.token.createdAt);
    expect(lifetime).toBe(7 * 86400 * 1000);
  });

  test('token create prints secret once', async () => {
    const result = await cli(['token', 'create', '--keyspace', 'billing', '--name', 'table-output', '--owner', 'ops']);
    const secrets = result.stdout.match(new RegExp(tokenShapePattern.source, 'g')) ?? [];
    secrets.forEach(rememberSecret);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/^bill_/);
    expect(result.stdout).toContain('Token created.');
    for (const value of ['table-output', 'ops', 'active', `bill_…${secrets[0]!.slice(-4)}`]) expect(result.stdout).toContain(value);
  });

  test('token create beyond policy exits 2', async () => {
    const result = await cli(['token', 'create', '--keyspace', 'billing', '--name', 'too-long', '--expires-in', '31d']);

    expectRuntimeError(result, 'the keyspace policy allows a lifetime of at most 30d');
    expect(result.stdout).toBe('');
  });

  test('token list --json and table', async () => {
    const issued = await createToken('billing', 'listed', ['--owner', 'listing-team']);

    const listed = parseJson(await cli(['token', 'list', '--owner', 'listing-team', '--json'])) as any[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: issued.token.id, name: 'listed', keyspace: 'billing', state: 'active' });
    expect(JSON.stringify(listed)).not.toContain(issued.secret);

    const table = await cli(['token', 'list', '--keyspace', 'billing']);
    expect(table.code).toBe(0);
    for (const value of [issued.token.id, 'listed', 'listing-team', issued.token.hint]) expect(table.stdout).toContain(value);
    expect(table.stdout).not.toContain(issued.secret);
  });

  test('token list filters by state', async () => {
    const issued = await createToken('billing', 'to-disable');
    expect((await cli(['token', 'disable', issued.token.id])).code).toBe(0);

    const disabled = parseJson(await cli(['token', 'list', '--state', 'disabled', '--json'])) as any[];
    expect(disabled.map((token) => token.id)).toContain(issued.token.id);
    expect(disabled.every((token) => token.state === 'disabled')).toBe(true);

    const badState = await cli(['token', 'list', '--state', 'sleeping']);
    expect(badState.code).toBe(2);
    expect(badState.stderr).toContain('sleeping');
  });

  test('token show --json and table', async () => {
    const issued = await createToken('billing', 'shown', ['--description', 'Nightly export', '--scope', 'invoices:write']);

    const shown = parseJson(await cli(['token', 'show', issued.token.id, '--json']));
    expect(shown).toEqual(issued.token);

    const table = await cli(['token', 'show', issued.token.id]);
    expect(table.code).toBe(0);
    for (const value of [issued.token.id, 'shown', 'Nightly export', 'invoices:write', issued.token.hint]) expect(table.stdout).toContain(value);
  });

  test('token show of secret hides it', async () => {
    // Pasting the secret where the id belongs is an easy mistake, so the error must not repeat it.
    const issued = await createToken('billing', 'pasted');
    const result = await cli(['token', 'show', issued.secret]);

    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(stackFramePattern);
    expect(result.stderr).toContain('does not exist');
    expect(result.stderr).not.toContain(issued.secret);
    expect(result.stdout).not.toContain(issued.secret);
  });

  test('token verify --json', async () => {
    const issued = await createToken('billing', 'verified', ['--owner', 'finance', '--scope', 'invoices:read']);

    const result = parseJson(await cli(['token', 'verify', issued.secret, '--scope', 'invoices:read', '--json']));
    expect(result).toMatchObject({ valid: true, code: 'VALID', tokenId: issued.token.id, keyspace: 'billing', owner: 'finance', scopes: ['invoices:read'] });
  });

  test('token verify prints table', async () => {
    const issued = await createToken('billing', 'verified-table', ['--scope', 'invoices:read']);
    const result = await cli(['token', 'verify', issued.secret]);

    expect(result.code).toBe(0);
    for (const value of ['VALID', issued.token.id, 'billing', 'invoices:read']) expect(result.stdout).toContain(value);
    expect(result.stdout).not.toContain(issued.secret);
  });

  test('token verify reads stdin', async () => {
    const issued = await createToken('billing', 'from-stdin');

    const withoutArgument = await cli(['token', 'verify', '--json'], { stdin: `${issued.secret}\n` });
    expect(parseJson(withoutArgument)).toMatchObject({ valid: true, tokenId: issued.token.id });

    const withDash = await cli(['token', 'verify', '-', '--json'], { stdin: issued.secret });
    expect(parseJson(withDash)).toMatchObject({ valid: true, tokenId: issued.token.id });
  });

  test('token verify missing scope exits 1', async () => {
    const issued = await createToken('billing', 'read-only', ['--scope', 'invoices:read']);
    const result = await cli(['token', 'verify', issued.secret, '--scope', 'invoices:write', '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE', missingScopes: ['invoices:write'] });
    expect(result.stderr).not.toContain(issued.secret);
  });

  test('token verify unknown token exits 1', async () => {
    // Well-formed, with a correct checksum, but never issued.
    const unknown = rememberSecret(generateToken('bill'));
    const result = await cli(['token', 'verify', unknown, '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(result.stderr).toBe('');
  });

  test('token rotate --json', async () => {
    const issued = await createToken('billing', 'rotated', ['--scope', 'invoices:read']);

    const rotated = parseJson(await cli(['token', 'rotate', issued.token.id, '--grace-period', '10m', '--json']));
    const successor = rememberSecret(rotated.secret as string);

    expect(successor).toMatch(/^bill_/);
    expect(successor).not.toBe(issued.secret);
    expect(rotated.token).toMatchObject({ predecessorId: issued.token.id, name: 'rotated', scopes: ['invoices:read'], state: 'active' });
    expect(rotated.predecessor).toMatchObject({ id: issued.token.id, successorId: rotated.token.id });
    const graceEnd = Date.parse(rotated.predecessor.expiresAt) - Date.parse(rotated.token.createdAt);
    expect(Math.abs(graceEnd - 600_000)).toBeLessThan(5_000);

    const oldStillValid = parseJson(await cli(['token', 'verify', issued.secret, '--json']));
    expect(oldStillValid).toMatchObject({ valid: true, tokenId: issued.token.id });
    const newValid = parseJson(await cli(['token', 'verify', successor, '--json']));
    expect(newValid).toMatchObject({ valid: true, tokenId: rotated.token.id });
  });

  test('token rotate prints table', async () => {
    const issued = await createToken('billing', 'rotated-table');
    const result = await cli(['token', 'rotate', issued.token.id]);
    const secrets = (result.stdout.match(new RegExp(tokenShapePattern.source, 'g')) ?? []).map(rememberSecret);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Token rotated. The old token verifies until');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).not.toBe(issued.secret);
    expect(result.stdout).toContain(issued.token.id);
  });

  test('token disable and enable', async () => {
    const issued = await createToken('billing', 'paused');

    const disabled = parseJson(await cli(['token', 'disable', issued.token.id, '--reason', 'incident 7', '--json']));
    expect(disabled).toMatchObject({ id: issued.token.id, state: 'disabled', stateReason: 'incident 7' });

    const whileDisabled = await cli(['token', 'verify', issued.secret, '--json']);
    expect(whileDisabled.code).toBe(1);
    expect(JSON.parse(whileDisabled.stdout)).toMatchObject({ valid: false, code: 'DISABLED' });

    const enabled = await cli(['token', 'enable', issued.token.id]);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain('active');
    expect(enabled.stdout).toContain(issued.token.id);

    const afterEnable = await cli(['token', 'verify', issued.secret, '--json']);
    expect(afterEnable.code).toBe(0);
    expect(JSON.parse(afterEnable.stdout)).toMatchObject({ valid: true, code: 'VALID' });
  });

  test('revoked token verify exits 1', async () => {
    const issued = await createToken('billing', 'revoked');

    const revoked = await cli(['token', 'revoke', issued.token.id, '--reason', 'leaked in chat']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked (leaked in chat)');

    const verified = await cli(['token', 'verify', issued.secret]);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('REVOKED');
    expect(verified.stdout).not.toContain(issued.secret);
    expect(verified.stderr).not.toContain(issued.secret);

    const fromStdin = await cli(['token', 'verify', '--json'], { stdin: issued.secret });
    expect(fromStdin.code).toBe(1);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ valid: false, code: 'REVOKED' });

    const shown = parseJson(await cli(['token', 'show', issued.token.id, '--json']));
    expect(shown).toMatchObject({ state: 'revoked', stateReason: 'leaked in chat' });

    const enableAgain = await cli(['token', 'enable', issued.token.id]);
    expect(enableAgain.code).toBe(2);
    expect(enableAgain.stderr).not.toMatch(stackFramePattern);
    expect(enableAgain.stderr).not.toContain(issued.secret);
  });

  test('unknown token id exits 2', async () => {
    const id = '01a242a6-0000-7000-8000-000000000001';
    const result = await cli(['token', 'rotate', id]);

    expectRuntimeError(result, `token '${id}' does not exist`);
  });

  test('audit export writes JSONL', async () => {
    const issued = await createToken('billing', 'audited');
    const result = await cli(['audit', 'export']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n').filter(Boolean);
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_entry, index) => index + 1));
    expect(entries[0]).toMatchObject({ action: 'keyspace.create', details: { name: 'admin' } });
    expect(entries.some((entry) => entry.action === 'token.create' && entry.target.id === issued.token.id)).toBe(true);
    for (let index = 1; index < entries.length; index++) expect(entries[index].prevHash).toBe(entries[index - 1].hash);
    expect(result.stdout).not.toContain(issued.secret);
    expect(result.stdout).not.toContain(adminToken);
  });

  test('audit export --output writes file', async () => {
    const file = join(database.dataDir, 'audit.jsonl');
    const result = await cli(['audit', 'export', '--output', file]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(result.stderr).toBe(`Exported ${lines.length} entries to ${file}.\n`);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('audit verify of untouched log', async () => {
    const exported = await cli(['audit', 'export']);
    const entryCount = exported.stdout.split('\n').filter(Boolean).length;

    const json = parseJson(await cli(['audit', 'verify', '--json']));
    expect(json).toEqual({ ok: true, checked: entryCount, firstBreak: null });

    const text = await cli(['audit', 'verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`Audit log intact: ${entryCount} entries checked.\n`);
  });
});

describe('PostgreSQL without a key file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test('command before init exits 2', async () => {
    const dataDir = temporaryDir();
    dirs.push(dataDir);
    // The key file is read before the database is opened, so no PostgreSQL server is contacted.
    const result = await runCli(['keyspace', 'list', '--data-dir', dataDir], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' } });

    expectRuntimeError(result, `no key file at ${join(dataDir, 'master.key')}`);
  });
});
