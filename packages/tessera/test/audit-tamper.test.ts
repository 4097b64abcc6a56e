import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { computeAuditHash, genesisHash } from '../src/core/audit-chain.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { databaseFileName } from '../src/services/tessera.js';
import { rotateToken } from '../src/services/rotation.js';
import { changeTokenState, issueToken } from '../src/services/tokens.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { databaseTargets, type TestDatabase } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { openInstallation, startTestServer, type TestServer } from './support/fixtures.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;
const postgres = databaseTargets.find((target) => target.name === 'postgres')!;

// Both ways of building history below write the same nine entries:
//   1 keyspace.create admin   2 token.create initial admin   3 keyspace.create billing
//   4-6 token.create          7 token.rotate                 8 token.disable   9 token.revoke
const historyLength = 9;

/** Runs statements on the stored audit log directly, as someone with access to the database would. */
interface Tamperer {
  execute(statement: string): Promise<void>;
  row(seq: number): Promise<Record<string, unknown>>;
}

interface TamperCase {
  name: string;
  tamper(tamperer: Tamperer): Promise<void>;
  /** The entry the verification must name, and why. */
  seq: number;
  reason: 'altered' | 'missing' | 'relinked';
}

/** Recomputes the hash an entry would have with `details` replaced, as a tamperer with the source code would. */
function rehashWithDetails(row: Record<string, unknown>, details: string): string {
  const text = (column: string): string | null => (row[column] === null ? null : String(row[column]));
  return computeAuditHash(String(row['prev_hash']), {
    seq: Number(row['seq']),
    id: String(row['id']),
    occurredAt: Number(row['occurred_at']),
    actorType: String(row['actor_type']),
    actorId: text('actor_id'),
    actorHint: text('actor_hint'),
    action: String(row['action']),
    targetType: text('target_type'),
    targetId: text('target_id'),
    keyspace: text('keyspace'),
    sourceIp: text('source_ip'),
    outcome: String(row['outcome']),
    details,
  });
}

const tamperCases: TamperCase[] = [
  {
    name: 'changed details',
    tamper: (db) => db.execute(`update audit_log set details = '{"keyspace":"billing","name":"renamed"}' where seq = 5`),
    seq: 5,
    reason: 'altered',
  },
  { name: 'changed actor', tamper: (db) => db.execute(`update audit_log set actor_id = 'local:mallory' where seq = 3`), seq: 3, reason: 'altered' },
  { name: 'changed time', tamper: (db) => db.execute('update audit_log set occurred_at = occurred_at - 60000 where seq = 8'), seq: 8, reason: 'altered' },
  { name: 'changed outcome', tamper: (db) => db.execute(`update audit_log set outcome = 'denied' where seq = 9`), seq: 9, reason: 'altered' },
  { name: 'deleted middle row', tamper: (db) => db.execute('delete from audit_log where seq = 4'), seq: 4, reason: 'missing' },
  { name: 'deleted first row', tamper: (db) => db.execute('delete from audit_log where seq = 1'), seq: 1, reason: 'missing' },
  { name: 'deleted last row', tamper: (db) => db.execute(`delete from audit_log where seq = ${historyLength}`), seq: historyLength, reason: 'missing' },
  {
    // The tamperer rewrites entry 6 and its hash, so entry 6 checks out alone and the link from entry 7 breaks instead.
    name: 'rehashed changed row',
    tamper: async (db) => {
      const details = '{"keyspace":"billing","name":"innocent"}';
      const hash = rehashWithDetails(await db.row(6), details);
      await db.execute(`update audit_log set details = '${details}', hash = '${hash}' where seq = 6`);
    },
    seq: 7,
    reason: 'relinked',
  },
];

/** Checks an exported JSONL text: one entry per line, oldest first, each linked to and hashed over the one before. */
function expectLinkedExport(text: string, count: number): any[] {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines).toHaveLength(count);

  const entries = lines.map((line) => JSON.parse(line) as any);
  let previousHash = genesisHash;
  entries.forEach((entry, index) => {
    expect(entry.seq, `line ${index + 1}`).toBe(index + 1);
    expect(entry.prevHash, `line ${index + 1}`).toBe(previousHash);
    const recomputed = computeAuditHash(entry.prevHash, {
      seq: entry.seq,
      id: entry.id,
      occurredAt: Date.parse(entry.occurredAt),
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorHint: entry.actor.hint,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id,
      keyspace: entry.keyspace,
      sourceIp: entry.sourceIp,
      outcome: entry.outcome,
      details: JSON.stringify(entry.details),
    });
    expect(recomputed, `line ${index + 1} hash`).toBe(entry.hash);
    previousHash = entry.hash;
  });
  return entries;
}

describe('audit tampering [sqlite]', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  /** Builds the nine-entry history through the services, then closes the installation so the file is at rest. */
  async function buildHistory(name: string): Promise<string> {
    const clock = new FakeClock();
    const installation = await openInstallation(sqlite, { clock, name: `audit-tamper-${name}` });
    database = installation.database;
    const { tessera, operator } = installation;

    await createKeyspace(tessera.context, operator, { name: 'billing', prefix: 'bill', scopes: ['invoices:read'] });
    const tokens = [];
    for (const tokenName of ['reporting', 'exports', 'archive']) {
      clock.advanceSeconds(60);
      const issued = await issueToken(tessera.context, operator, { keyspace: 'billing', name: tokenName, scopes: ['invoices:read'] });
      rememberSecret(issued.secret);
      tokens.push(issued.token);
    }
    clock.advanceSeconds(60);
    rememberSecret((await rotateToken(tessera.context, operator, tokens[0]!.id, {})).secret);
    await changeTokenState(tessera.context, operator, tokens[1]!.id, 'disable', 'paused');
    await changeTokenState(tessera.context, operator, tokens[2]!.id, 'revoke', 'no longer used');

    await tessera.close();
    return database.dataDir;
  }

  function sqliteTamperer(dataDir: string): { tamperer: Tamperer; close(): void } {
    const db = new BetterSqlite3(join(dataDir, databaseFileName));
    return {
      tamperer: {
        execute: async (statement) => {
          db.prepare(statement).run();
        },
        row: async (seq) => db.prepare('select * from audit_log where seq = ?').get(seq) as Record<string, unknown>,
      },
      close: () => db.close(),
    };
  }

  test('untouched log verifies', async () => {
    const dataDir = await buildHistory('untouched');
    const result = await runCli(['--data-dir', dataDir, 'audit', 'verify', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, checked: historyLength, firstBreak: null });

    const text = await runCli(['--data-dir', dataDir, 'audit', 'verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`Audit log intact: ${historyLength} entries checked.\n`);
  });

  test.each(tamperCases)('$name is reported', async ({ name, tamper, seq, reason }) => {
    const dataDir = await buildHistory(name);
    const { tamperer, close } = sqliteTamperer(dataDir);
    try {
      await tamper(tamperer);
    } finally {
      close();
    }

    const result = await runCli(['--data-dir', dataDir, 'audit', 'verify', '--json']);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq, reason });
    expect(report.firstBreak.message).toContain(`entry ${seq}`);
    expect(report.checked).toBe(seq - 1);
  });

  test('text report names broken entry', async () => {
    const dataDir = await buildHistory('text-report');
    const { tamperer, close } = sqliteTamperer(dataDir);
    await tamperer.execute('delete from audit_log where seq = 6');
    close();

    const result = await runCli(['--data-dir', dataDir, 'audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('Audit log BROKEN at entry 6: entry 6 is missing (next present is 7)\n5 entries before it are intact.\n');
  });

  test('export writes linked JSONL', async () => {
    const dataDir = await buildHistory('export');
    const result = await runCli(['--data-dir', dataDir, 'audit', 'export']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const entries = expectLinkedExport(result.stdout, historyLength);
    expect(entries.map((entry) => entry.action)).toEqual([
      'keyspace.create',
      'token.create',
      'keyspace.create',
      'token.create',
      'token.create',
      'token.create',
      'token.rotate',
      'token.disable',
      'token.revoke',
    ]);
    expect(entries[6].occurredAt).toBe(new Date(Date.parse('2026-01-15T12:00:00Z') + 240_000).toISOString());

    // --output writes the same lines to a private file and reports the count.
    const outputDir = mkdtempSync(join(tmpdir(), 'tessera-export-'));
    try {
      const file = join(outputDir, 'audit.jsonl');
      const toFile = await runCli(['--data-dir', dataDir, '--json', 'audit', 'export', '--output', file]);
      expect(toFile.code).toBe(0);
      expect(JSON.parse(toFile.stdout)).toEqual({ exported: historyLength, file });
      expect(readFileSync(file, 'utf8')).toBe(result.stdout);
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    } finally {
      rmSync(outputDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!postgres.available)('audit tampering [postgres]', () => {
  let server: TestServer | undefined;
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await server?.stop();
    await database?.drop();
    server = undefined;
    database = undefined;
  });

  /** Builds the nine-entry history over HTTP; the server keeps running so GET /v1/audit/verify can be asked. */
  async function buildHistory(name: string): Promise<TestServer> {
    database = await postgres.create();
    server = await startTestServer(postgres, { database, name: `audit-tamper-pg-${name}` });

    expect((await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read'] } })).status).toBe(201);
    const ids: string[] = [];
    for (const tokenName of ['reporting', 'exports', 'archive']) {
      const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: tokenName, scopes: ['invoices:read'] } });
      expect(issued.status).toBe(201);
      rememberSecret(issued.body.secret);
      ids.push(issued.body.token.id);
    }
    const rotated = await server.request('POST', `/v1/tokens/${ids[0]}/rotate`);
    expect(rotated.status).toBe(201);
    rememberSecret(rotated.body.secret);
    expect((await server.request('POST', `/v1/tokens/${ids[1]}/disable`, { body: { reason: 'paused' } })).status).toBe(200);
    expect((await server.request('POST', `/v1/tokens/${ids[2]}/revoke`, { body: { reason: 'no longer used' } })).status).toBe(200);
    return server;
  }

  async function withPostgresTamperer(databaseUrl: string, run: (tamperer: Tamperer) => Promise<void>): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await run({
        execute: async (statement) => {
          await client.query(statement);
        },
        row: async (seq) => (await client.query('select * from audit_log where seq = $1', [seq])).rows[0] as Record<string, unknown>,
      });
    } finally {
      await client.end();
    }
  }

  function cliArgs(): string[] {
    return ['--data-dir', database!.dataDir, '--database-url', database!.databaseUrl!];
  }

  test('untouched log verifies', async () => {
    const running = await buildHistory('untouched');
    const overHttp = await running.request('GET', '/v1/audit/verify');
    expect(overHttp.status).toBe(200);
    expect(overHttp.body).toEqual({ ok: true, checked: historyLength, firstBreak: null });

    const result = await runCli([...cliArgs(), 'audit', 'verify', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, checked: historyLength, firstBreak: null });
  });

  test.each(tamperCases)('$name is reported', async ({ name, tamper, seq, reason }) => {
    const running = await buildHistory(name);
    await withPostgresTamperer(database!.databaseUrl!, tamper);

    const overHttp = await running.request('GET', '/v1/audit/verify');
    expect(overHttp.status).toBe(200);
    expect(overHttp.body.ok).toBe(false);
    expect(overHttp.body.firstBreak).toMatchObject({ seq, reason });
    expect(overHttp.body.checked).toBe(seq - 1);

    const result = await runCli([...cliArgs(), 'audit', 'verify', '--json']);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toEqual(overHttp.body);
  });

  test('export writes linked JSONL', async () => {
    const running = await buildHistory('export');
    const result = await runCli([...cliArgs(), 'audit', 'export']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const entries = expectLinkedExport(result.stdout, historyLength);

    const listed = await running.request('GET', `/v1/audit?order=asc&limit=${historyLength}`);
    expect(listed.body.items).toEqual(entries);
  });
});
