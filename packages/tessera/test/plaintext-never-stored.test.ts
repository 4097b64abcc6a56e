import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateToken, tokenHint } from '../src/core/token-format.js';
import { keyFileName } from '../src/services/key-file.js';
import { databaseFileName } from '../src/services/tessera.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase, startTestServer, type TestServer, testIf } from './support/fixtures.js';

interface Exchange {
  label: string;
  status: number;
  body: unknown;
}

/** Returns the secret part of a token: everything after the prefix except the last four characters, which the hint shows. */
function secretPart(token: string): string {
  return token.slice(token.lastIndexOf('_') + 1, -4);
}

/** Returns the hints of the plaintexts whose secret part occurs in `haystack`, encoded as UTF-8 or as UTF-16LE. */
function findPlaintexts(haystack: Buffer | string, plaintexts: readonly string[]): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  return plaintexts
    .filter((plaintext) => {
      const needle = secretPart(plaintext);
      return bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le'));
    })
    .map(tokenHint);
}

/** Reads the database file and those of its -wal and -shm companions that exist, keyed by file name. */
function readSqliteFiles(dataDir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const suffix of ['', '-wal', '-shm']) {
    const path = join(dataDir, `${databaseFileName}${suffix}`);
    if (existsSync(path)) files.set(`${databaseFileName}${suffix}`, readFileSync(path));
  }
  return files;
}

/** Dumps every row of every table in the public schema, each as PostgreSQL's text form of the row. */
async function dumpPostgresTables(client: pg.Client): Promise<Map<string, string>> {
  const tables = await client.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
  );
  const dumps = new Map<string, string>();
  for (const { table_name: table } of tables.rows) {
    const rows = await client.query<{ t: string }>(`select t::text as t from "${table}" t`);
    dumps.set(table, rows.rows.map((row) => row.t).join('\n'));
  }
  return dumps;
}

/** Lists the master key file's keys in the encodings a careless log line might use. */
function masterKeyEncodings(dataDir: string): string[] {
  const content = JSON.parse(readFileSync(join(dataDir, keyFileName), 'utf8')) as { keys: Record<string, string> };
  return Object.values(content.keys).flatMap((encoded) => {
    const key = Buffer.from(encoded, 'base64');
    return [encoded, key.toString('base64url'), key.toString('hex')];
  });
}

describeEachDatabase('plaintext never stored', (target) => {
  let database: TestDatabase;
  let server: TestServer;
  const plaintexts: string[] = [];
  const exchanges: Exchange[] = [];
  let sqliteFilesWhileRunning = new Map<string, Buffer>();
  let sqliteFilesAfterStop = new Map<string, Buffer>();
  let auditEntries: any[] = [];
  let auditVerification: any;
  let logLines: string[] = [];
  let issuedHints: string[] = [];
  // Named plaintexts that individual checks below look for.
  let reportingSuccessor = '';
  let neverIssued = '';

  /** Records a plaintext this suite created or sent, for the searches below and the end-of-run log scan. */
  function keep(plaintext: string): string {
    rememberSecret(plaintext);
    plaintexts.push(plaintext);
    return plaintext;
  }

  async function call(label: string, method: string, path: string, options?: Parameters<TestServer['request']>[2]): Promise<any> {
    const response = await server.request(method, path, options);
    exchanges.push({ label, status: response.status, body: response.body });
    return response;
  }

  async function issue(body: Record<string, unknown>): Promise<{ secret: string; id: string }> {
    const response = await call(`issue ${String(body['name'])}`, 'POST', '/v1/tokens', { body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { secret: keep(response.body.secret as string), id: response.body.token.id as string };
  }

  /** Drives the API the way a team would over a day: setup, issuance, verification, rotation, revocation and many mistakes. */
  async function runScenario(): Promise<void> {
    expect(
      (await call('create billing', 'POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write'] } }))
        .status,
    ).toBe(201);
    const deploysBody = { name: 'deploys', prefix: 'dep', scopes: ['deploys:run'], policy: { allowSelfRotation: true, gracePeriodSeconds: 600 } };
    expect((await call('create deploys', 'POST', '/v1/keyspaces', { body: deploysBody })).status).toBe(201);

    const reporting = await issue({ keyspace: 'billing', name: 'reporting', owner: 'finance', scopes: ['invoices:read'] });
    const writer = await issue({
      keyspace: 'billing',
      name: 'writer',
      owner: 'finance',
      scopes: ['invoices:read', 'invoices:write'],
      metadata: { env: 'prod' },
    });
    const bot = await issue({ keyspace: 'deploys', name: 'deploy bot', owner: 'platform', scopes: ['deploys:run'], expiresInSeconds: 86400 });
    const fullAdmin = await issue({ keyspace: 'admin', name: 'second admin', scopes: ['admin'], neverExpires: true });
    const verifier = await issue({ keyspace: 'admin', name: 'billing verifier', scopes: ['tokens:verify'], adminKeyspaces: ['billing'], neverExpires: true });
    const reader = await issue({ keyspace: 'admin', name: 'auditor', scopes: ['tokens:read', 'audit:read'], neverExpires: true });
    keep(server.adminToken);

    // Verification: valid, scoped, short of scope, mistyped, never issued, and outside the verifier's keyspaces.
    // One character changed in the middle of the body, so its secret part differs from the original's.
    const middle = reporting.secret.indexOf('_') + 20;
    const mistyped = keep(`${reporting.secret.slice(0, middle)}${reporting.secret[middle] === 'A' ? 'B' : 'A'}${reporting.secret.slice(middle + 1)}`);
    neverIssued = keep(generateToken('bill'));
    const verifyCases: [string, string, string[] | undefined, string][] = [
      ['verify reporting', reporting.secret, undefined, 'VALID'],
      ['verify reporting scoped', reporting.secret, ['invoices:read'], 'VALID'],
      ['verify reporting short', reporting.secret, ['invoices:write'], 'INSUFFICIENT_SCOPE'],
      ['verify mistyped', mistyped, undefined, 'MALFORMED'],
      ['verify never issued', neverIssued, undefined, 'NOT_FOUND'],
      ['verify bot', bot.secret, ['deploys:run'], 'VALID'],
    ];
    for (const [label, token, scopes, code] of verifyCases) {
      const response = await call(label, 'POST', '/v1/verify', { body: scopes ? { token, scopes } : { token } });
      expect(response.body.code, label).toBe(code);
    }
    const scopedVerify = await call('verify outside keyspace', 'POST', '/v1/verify', { token: verifier.secret, body: { token: bot.secret } });
    expect(scopedVerify.body.code).toBe('NOT_FOUND');
    const verifiedByVerifier = await call('verify by verifier', 'POST', '/v1/verify', {
      token: verifier.secret,
      body: { token: writer.secret, ip: '127.0.0.1' },
    });
    expect(verifiedByVerifier.body.code).toBe('VALID');

    // Rotation by an admin, and self-rotation by the holder where the policy allows it.
    const rotated = await call('rotate reporting', 'POST', `/v1/tokens/${reporting.id}/rotate`, { body: { gracePeriodSeconds: 300 } });
    expect(rotated.status).toBe(201);
    reportingSuccessor = keep(rotated.body.secret as string);
    const selfRotated = await call('self-rotate bot', 'POST', '/v1/tokens/self/rotate', { token: bot.secret });
    expect(selfRotated.status).toBe(201);
    const botSuccessor = keep(selfRotated.body.secret as string);
    const adminRotated = await call('rotate second admin', 'POST', `/v1/tokens/${fullAdmin.id}/rotate`, { token: fullAdmin.secret });
    expect(adminRotated.status).toBe(201);
    const fullAdminSuccessor = keep(adminRotated.body.secret as string);
    for (const [label, token] of [
      ['verify reporting successor', reportingSuccessor],
      ['verify reporting in grace', reporting.secret],
      ['verify bot successor', botSuccessor],
    ] as const) {
      expect((await call(label, 'POST', '/v1/verify', { token: fullAdminSuccessor, body: { token } })).body.code, label).toBe('VALID');
    }

    // State changes with reasons.
    expect((await call('disable writer', 'POST', `/v1/tokens/${writer.id}/disable`, { body: { reason: 'pausing exports' } })).status).toBe(200);
    expect((await call('verify disabled', 'POST', '/v1/verify', { body: { token: writer.secret } })).body.code).toBe('DISABLED');
    expect((await call('enable writer', 'POST', `/v1/tokens/${writer.id}/enable`)).status).toBe(200);
    expect((await call('revoke writer', 'POST', `/v1/tokens/${writer.id}/revoke`, { body: { reason: 'laptop lost' } })).status).toBe(200);
    expect((await call('verify revoked', 'POST', '/v1/verify', { body: { token: writer.secret } })).body.code).toBe('REVOKED');
    expect((await call('revoke reader', 'POST', `/v1/tokens/${reader.id}/revoke`, { body: { reason: 'auditor left' } })).status).toBe(200);
    expect((await call('patch reporting', 'PATCH', `/v1/tokens/${rotated.body.token.id}`, { body: { description: 'monthly report job' } })).status).toBe(200);

    // Mistakes, several of them carrying a plaintext where it does not belong.
    const errorCases: { label: string; method: string; path: string; options?: Parameters<TestServer['request']>[2]; status: number }[] = [
      {
        label: 'unknown field',
        method: 'POST',
        path: '/v1/tokens',
        options: { body: { keyspace: 'billing', name: 'x', secret: reportingSuccessor } },
        status: 400,
      },
      { label: 'token as field name', method: 'POST', path: '/v1/verify', options: { body: { token: 'x', [botSuccessor]: true } }, status: 400 },
      { label: 'broken JSON', method: 'POST', path: '/v1/verify', options: { rawBody: `{"token": "${reportingSuccessor}"` }, status: 400 },
      { label: 'token as scope', method: 'POST', path: '/v1/verify', options: { body: { token: botSuccessor, scopes: [botSuccessor] } }, status: 400 },
      { label: 'token as ip', method: 'POST', path: '/v1/verify', options: { body: { token: botSuccessor, ip: botSuccessor } }, status: 400 },
      { label: 'token as id', method: 'GET', path: `/v1/tokens/${reportingSuccessor}`, status: 404 },
      { label: 'token as rotate id', method: 'POST', path: `/v1/tokens/${botSuccessor}/rotate`, status: 404 },
      { label: 'token as keyspace', method: 'GET', path: `/v1/keyspaces/${reportingSuccessor}`, status: 400 },
      { label: 'token in unknown route', method: 'GET', path: `/v1/secrets/${reportingSuccessor}`, status: 404 },
      { label: 'token in query', method: 'GET', path: `/v1/tokens?owner=${reportingSuccessor}&token=${botSuccessor}`, status: 400 },
      { label: 'unknown id', method: 'GET', path: '/v1/tokens/0190c1f2-0000-7000-8000-000000000000', status: 404 },
      { label: 'revoke without reason', method: 'POST', path: `/v1/tokens/${bot.id}/revoke`, options: { body: {} }, status: 400 },
      { label: 'revoke twice', method: 'POST', path: `/v1/tokens/${writer.id}/revoke`, options: { body: { reason: 'again' } }, status: 409 },
      { label: 'rotate rotated', method: 'POST', path: `/v1/tokens/${reporting.id}/rotate`, status: 409 },
      { label: 'bad prefix', method: 'POST', path: '/v1/keyspaces', options: { body: { name: 'bad', prefix: 'Bad-Prefix' } }, status: 400 },
      { label: 'duplicate keyspace', method: 'POST', path: '/v1/keyspaces', options: { body: { name: 'billing', prefix: 'bill2' } }, status: 409 },
      { label: 'non-admin bearer', method: 'GET', path: '/v1/tokens', options: { token: botSuccessor }, status: 401 },
      { label: 'mistyped bearer', method: 'GET', path: '/v1/tokens', options: { token: mistyped }, status: 401 },
      { label: 'never issued bearer', method: 'GET', path: '/v1/tokens', options: { token: neverIssued }, status: 401 },
      { label: 'revoked admin bearer', method: 'GET', path: '/v1/audit', options: { token: reader.secret }, status: 401 },
      {
        label: 'basic scheme',
        method: 'GET',
        path: '/v1/tokens',
        options: { token: null, headers: { authorization: `Basic ${server.adminToken}` } },
        status: 401,
      },
      { label: 'no bearer', method: 'GET', path: '/v1/tokens', options: { token: null }, status: 401 },
      {
        label: 'verifier issues',
        method: 'POST',
        path: '/v1/tokens',
        options: { token: verifier.secret, body: { keyspace: 'billing', name: 'y' } },
        status: 403,
      },
      { label: 'verifier reads audit', method: 'GET', path: '/v1/audit', options: { token: verifier.secret }, status: 403 },
      { label: 'self-rotate forbidden', method: 'POST', path: '/v1/tokens/self/rotate', options: { token: reportingSuccessor }, status: 403 },
      { label: 'self-rotate revoked', method: 'POST', path: '/v1/tokens/self/rotate', options: { token: writer.secret }, status: 401 },
      { label: 'self-rotate rotated', method: 'POST', path: '/v1/tokens/self/rotate', options: { token: bot.secret }, status: 409 },
      {
        label: 'never expires denied',
        method: 'POST',
        path: '/v1/tokens',
        options: { body: { keyspace: 'billing', name: 'z', neverExpires: true } },
        status: 422,
      },
    ];
    for (const errorCase of errorCases) {
      const response = await call(errorCase.label, errorCase.method, errorCase.path, errorCase.options);
      expect(response.status, `${errorCase.label}: ${JSON.stringify(response.body)}`).toBe(errorCase.status);
    }

    const tokens = await call('list tokens', 'GET', '/v1/tokens?limit=500');
    issuedHints = (tokens.body.items as { hint: string }[]).map((token) => token.hint);
  }

  async function readAuditOverHttp(): Promise<any[]> {
    const entries: any[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await call('list audit', 'GET', `/v1/audit?limit=500&order=asc${query}`);
      expect(page.status).toBe(200);
      entries.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return entries;
  }

  beforeAll(async () => {
    database = await target.create();
    server = await startTestServer(target, { database, name: `plaintext-${target.name}` });
    await runScenario();

    auditEntries = await readAuditOverHttp();
    auditVerification = (await call('verify audit', 'GET', '/v1/audit/verify')).body;
    if (target.name === 'sqlite') sqliteFilesWhileRunning = readSqliteFiles(database.dataDir);

    await server.stop();
    logLines = server.logLines();
    if (target.name === 'sqlite') sqliteFilesAfterStop = readSqliteFiles(database.dataDir);
  });

  afterAll(async () => {
    await database?.drop();
  });

  test('scenario created plaintexts', () => {
    // Six issued, three rotated, the first admin token, one mistyped and one never issued.
    expect(plaintexts).toHaveLength(12);
    expect(new Set(plaintexts).size).toBe(12);
    expect(exchanges.filter((exchange) => exchange.status >= 500)).toEqual([]);
  });

  test('search finds a kept plaintext', () => {
    // Positive control: the same search finds each issued secret in the success responses that carried it.
    const successBodies = JSON.stringify(exchanges.filter((exchange) => exchange.status < 300).map((exchange) => exchange.body));
    const issued = exchanges.flatMap((exchange) => {
      const body = exchange.body as { secret?: string } | null;
      return typeof body?.secret === 'string' ? [body.secret] : [];
    });
    expect(issued).toHaveLength(9);
    expect(findPlaintexts(successBodies, issued)).toEqual(issued.map(tokenHint));
    expect(findPlaintexts(Buffer.from(`x${issued[0]}x`, 'utf16le'), issued)).toEqual([tokenHint(issued[0]!)]);
    expect(findPlaintexts('nothing here', issued)).toEqual([]);
  });

  test('error bodies hold no plaintext', () => {
    const errors = exchanges.filter((exchange) => exchange.status >= 400);
    expect(errors.length).toBeGreaterThanOrEqual(28);
    for (const exchange of errors) {
      expect(typeof (exchange.body as any)?.error?.code, exchange.label).toBe('string');
      expect(findPlaintexts(JSON.stringify(exchange.body), plaintexts), exchange.label).toEqual([]);
    }
  });

  test('responses hold only issued secrets', () => {
    // A plaintext may appear only in the one response that issued it: never in a list, get, verify or state change.
    for (const exchange of exchanges) {
      const body = exchange.body as { secret?: string } | null;
      const allowed = typeof body?.secret === 'string' ? [body.secret] : [];
      const found = findPlaintexts(JSON.stringify(exchange.body), plaintexts);
      expect(found, exchange.label).toEqual(allowed.map(tokenHint));
    }
  });

  test('audit over HTTP holds no plaintext', () => {
    expect(auditVerification).toMatchObject({ ok: true, firstBreak: null });
    expect(auditVerification.checked).toBe(auditEntries.length);
    const tally: Record<string, number> = {};
    for (const entry of auditEntries) tally[`${entry.action} ${entry.outcome}`] = (tally[`${entry.action} ${entry.outcome}`] ?? 0) + 1;
    expect(tally).toEqual({
      'keyspace.create success': 3,
      'token.create success': 7,
      'token.create denied': 1,
      'token.rotate success': 2,
      'token.self_rotate success': 1,
      'token.self_rotate denied': 1,
      'token.disable success': 1,
      'token.enable success': 1,
      'token.revoke success': 2,
      'token.update success': 1,
      'auth.failed failure': 7,
      'audit.list denied': 1,
    });
    expect(auditEntries.map((entry) => entry.seq)).toEqual(auditEntries.map((_entry, index) => index + 1));
    expect(findPlaintexts(JSON.stringify(auditEntries), plaintexts)).toEqual([]);

    // The entries do name tokens, by hint, so the search above looked at real token records.
    const createdHints = auditEntries.filter((entry) => entry.action === 'token.create' && entry.outcome === 'success').map((entry) => entry.details.hint);
    expect(createdHints).toHaveLength(7);
    for (const hint of createdHints) expect(issuedHints).toContain(hint);
    const failedHints = auditEntries.filter((entry) => entry.action === 'auth.failed').map((entry) => entry.details.hint);
    expect(failedHints).toContain(tokenHint(neverIssued));
  });

  test('audit export holds no plaintext', async () => {
    const args = ['--data-dir', database.dataDir, ...(database.databaseUrl ? ['--database-url', database.databaseUrl] : []), 'audit', 'export'];
    const result = await runCli(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const lines = result.stdout.trim().split('\n');
    const exported = lines.map((line) => JSON.parse(line) as { hash: string; action: string });
    expect(exported.slice(0, auditEntries.length).map((entry) => entry.hash)).toEqual(auditEntries.map((entry) => entry.hash));
    // Later entries can only be anomaly findings from usage flushed after the list was read.
    for (const entry of exported.slice(auditEntries.length)) expect(entry.action).toBe('token.anomaly');
    expect(findPlaintexts(result.stdout, plaintexts)).toEqual([]);
  });

  test('log lines hold no plaintext', () => {
    expect(logLines.length).toBeGreaterThan(exchanges.length);
    expect(findPlaintexts(logLines.join('\n'), plaintexts)).toEqual([]);

    // The request log kept the path that carried a token, with the token replaced by its hint.
    const pathLine = logLines.find((line) => line.includes('/v1/secrets/'));
    expect(pathLine).toBeDefined();
    expect(pathLine).toContain(tokenHint(reportingSuccessor));
  });

  test('master key file is private', () => {
    const mode = statSync(join(database.dataDir, keyFileName)).mode & 0o777;
    expect(mode.toString(8)).toBe('600');

    const encodings = masterKeyEncodings(database.dataDir);
    expect(encodings).toHaveLength(3);
    const logText = logLines.join('\n');
    const responseText = JSON.stringify(exchanges);
    for (const encoding of encodings) {
      expect(logText.includes(encoding)).toBe(false);
      expect(responseText.includes(encoding)).toBe(false);
    }
  });

  testIf(target.name === 'sqlite')('SQLite files hold no plaintext', () => {
    // The server was running, so the newest pages sat in the write-ahead log. A clean stop checkpoints it.
    expect(sqliteFilesWhileRunning.get(`${databaseFileName}-wal`)?.length ?? 0).toBeGreaterThan(0);
    expect(sqliteFilesAfterStop.has(databaseFileName)).toBe(true);

    const keyEncodings = masterKeyEncodings(database.dataDir);
    for (const [moment, files] of [
      ['while running', sqliteFilesWhileRunning],
      ['after stop', sqliteFilesAfterStop],
    ] as const) {
      for (const [name, bytes] of files) {
        expect(findPlaintexts(bytes, plaintexts), `${name} ${moment}`).toEqual([]);
        for (const encoding of keyEncodings) expect(bytes.includes(Buffer.from(encoding)), `${name} ${moment} holds the master key`).toBe(false);
      }
      // The stored hints are in these bytes, so the search read the pages that hold the token rows.
      const allBytes = Buffer.concat([...files.values()]);
      for (const hint of issuedHints) expect(allBytes.includes(Buffer.from(hint)), `${hint} ${moment}`).toBe(true);
    }
  });

  testIf(target.name === 'sqlite')('SQLite search finds planted plaintext', () => {
    // Positive control: a copy of the database with a plaintext written into it is caught by the same search.
    const copyDir = mkdtempSync(join(tmpdir(), 'tessera-plant-'));
    try {
      const copyPath = join(copyDir, databaseFileName);
      copyFileSync(join(database.dataDir, databaseFileName), copyPath);
      const planted = plaintexts[0]!;
      const copy = new BetterSqlite3(copyPath);
      copy.prepare('update tokens set description = ? where id = (select min(id) from tokens)').run(planted);
      copy.close();

      const bytes = Buffer.concat([...readSqliteFiles(copyDir).values()]);
      expect(findPlaintexts(bytes, plaintexts)).toEqual([tokenHint(planted)]);
    } finally {
      rmSync(copyDir, { recursive: true, force: true });
    }
  });

  testIf(target.name === 'postgres')('PostgreSQL tables hold no plaintext', async () => {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      const dumps = await dumpPostgresTables(client);
      expect([...dumps.keys()]).toEqual(expect.arrayContaining(['audit_head', 'audit_log', 'keyspaces', 'tokens']));

      const keyEncodings = masterKeyEncodings(database.dataDir);
      for (const [table, text] of dumps) {
        expect(findPlaintexts(text, plaintexts), table).toEqual([]);
        for (const encoding of keyEncodings) expect(text.includes(encoding), `${table} holds the master key`).toBe(false);
      }
      for (const hint of issuedHints) expect(dumps.get('tokens')).toContain(hint);

      // Positive control: inside a transaction that is rolled back, a planted plaintext shows up in the dump.
      const planted = plaintexts[0]!;
      await client.query('begin');
      await client.query('update tokens set description = $1 where id = (select min(id) from tokens)', [planted]);
      const plantedDumps = await dumpPostgresTables(client);
      await client.query('rollback');
      expect(findPlaintexts(plantedDumps.get('tokens') ?? '', plaintexts)).toEqual([tokenHint(planted)]);
    } finally {
      await client.end();
    }
  });
});
