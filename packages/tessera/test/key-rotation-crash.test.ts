import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { localOperator } from '../src/services/actor.js';
import { keyFileName } from '../src/services/key-file.js';
import { countPendingRewraps } from '../src/services/key-rotation.js';
import { importSecrets } from '../src/services/secret-import.js';
import { openSecretValue } from '../src/services/secret-values.js';
import { setRevealLimit } from '../src/services/reveal-limiter.js';
import { revealEnvironment } from '../src/services/secret-reveal.js';
import { databaseFileName, Tessera } from '../src/services/tessera.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { issueToken } from '../src/services/tokens.js';
import { verifyToken } from '../src/services/verifier.js';
import { everyKeyspace } from '../src/services/authorization.js';
import { rememberSecret } from './support/artifacts.js';
import { cliPath, runCli } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';

const secretCount = 200;
const crashRuns = 20;

/**
 * Counts the values not yet under the newest master key version that any value uses. It is 0
 * before a rotation's first batch commits and after its last, and above 0 only in between.
 */
async function countValuesBehind(database: TestDatabase): Promise<number> {
  const query = 'select count(*) as behind from secret_versions where key_version < (select max(key_version) from secret_versions)';
  if (database.databaseUrl) {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      return Number((await client.query<{ behind: string }>(query)).rows[0]?.behind ?? 0);
    } finally {
      await client.end();
    }
  }
  const sqlite = new Sqlite(join(database.dataDir, databaseFileName), { readonly: true, fileMustExist: true });
  try {
    return Number((sqlite.prepare(query).get() as { behind: number }).behind);
  } finally {
    sqlite.close();
  }
}

/**
 * Starts `tessera keys rotate` and kills it with SIGKILL after `delayMs`, unless it exits first.
 * With `killMidRewrap`, it kills as soon as the database shows some values rewrapped and some not,
 * so that the run surely ends between batches whatever the machine's speed.
 * Resolves to whether it was killed and how long it ran. Batches are small, so that a kill lands
 * between commits as often as inside one. PostgreSQL commits cost more, so its batches are larger.
 */
function rotateAndKill(database: TestDatabase, delayMs: number, killMidRewrap = false): Promise<{ killed: boolean; elapsedMs: number }> {
  const args = [
    cliPath,
    '--data-dir',
    database.dataDir,
    ...(database.databaseUrl ? ['--database-url', database.databaseUrl] : []),
    'keys',
    'rotate',
    '--batch-size',
    database.databaseUrl ? '4' : '1',
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_') && key !== 'DATABASE_URL'));
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    let watching = killMidRewrap;
    const watch = async (): Promise<void> => {
      while (watching) {
        if ((await countValuesBehind(database).catch(() => 0)) > 0) {
          child.kill('SIGKILL');
          return;
        }
        await new Promise((resolveWait) => setTimeout(resolveWait, 5));
      }
    };
    void watch();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      watching = false;
      clearTimeout(timer);
      const elapsedMs = performance.now() - startedAt;
      if (signal === 'SIGKILL') resolve({ killed: true, elapsedMs });
      else if (code === 0) resolve({ killed: false, elapsedMs });
      else reject(new Error(`keys rotate exited with ${code}: ${stderr}`));
    });
  });
}

describeEachDatabase('master key rotation killed', (target) => {
  let database: TestDatabase;
  const values = new Map<string, string>();
  let token = '';

  async function open(): Promise<Tessera> {
    const tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    setRevealLimit(tessera.context, { maxReveals: secretCount, windowMs: 60_000 });
    return tessera;
  }

  /**
   * Decrypts every stored value with the master keys as a fresh start loads them, and returns the
   * number still under an older master key version. It reads the rows directly, because a reveal
   * per value would add an audit entry per value and iteration.
   */
  async function checkEveryValue(): Promise<number> {
    const tessera = await open();
    try {
      const rows = await tessera.context.db
        .selectFrom('secret_versions')
        .innerJoin('secrets', 'secrets.id', 'secret_versions.secret_id')
        .selectAll('secret_versions')
        .select('secrets.name')
        .execute();
      expect(rows).toHaveLength(secretCount);
      for (const row of rows) expect(openSecretValue(tessera.context.keyRing, row), row.name).toBe(values.get(row.name));
      return await countPendingRewraps(tessera.context);
    } finally {
      await tessera.close();
    }
  }

  beforeAll(async () => {
    database = await target.create();
    const tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, create: true });
    const operator = localOperator();
    const entries = Array.from({ length: secretCount }, (_, index) => {
      const value = rememberSecret(`crash-${index}-${randomBytes(12).toString('hex')}`);
      values.set(`SECRET_${index}`, value);
      return { name: `SECRET_${index}`, value, line: index + 1 };
    });
    await importSecrets(tessera.context, operator, { environment: 'production', owner: 'platform', entries });
    await createKeyspace(tessera.context, operator, { name: 'orders', prefix: 'ord' });
    token = rememberSecret((await issueToken(tessera.context, operator, { keyspace: 'orders', name: 'before rotation', scopes: [] })).secret);
    await tessera.close();
  });
  afterAll(async () => database?.drop());

  test('every value decrypts after each kill and the resume', { timeout: 120_000 }, async () => {
    // One whole run measures how long a run takes on this machine now. Kill points then spread
    // from late in start-up to past the end, so that most land while data keys are rewrapped.
    const { elapsedMs: wholeRunMs } = await rotateAndKill(database, 60_000);
    expect(await checkEveryValue()).toBe(0);
    let midRewrapKills = 0;
    let kills = 0;
    for (let run = 0; run < crashRuns; run++) {
      // Every other run is killed as soon as a batch has committed; the rest at a random time.
      const killMidRewrap = run % 2 === 0;
      const delayMs = killMidRewrap ? 60_000 : randomInt(Math.round(wholeRunMs * 0.5), Math.round(wholeRunMs * 1.1));
      const { killed } = await rotateAndKill(database, delayMs, killMidRewrap);
      if (killed) kills++;
      const pending = await checkEveryValue();
      if (killed && pending > 0 && pending < secretCount) midRewrapKills++;
    }

    const resumed = await runCli([
      '--data-dir',
      database.dataDir,
      ...(database.databaseUrl ? ['--database-url', database.databaseUrl] : []),
      '--json',
      'keys',
      'rotate',
    ]);
    expect(resumed.code).toBe(0);
    expect(await checkEveryValue()).toBe(0);

    // The product's own read path returns the same values after all the interruptions.
    const tessera = await open();
    try {
      const revealed = await revealEnvironment(tessera.context, localOperator(), 'production');
      expect(new Map(revealed.map((item) => [item.secret.name, item.value]))).toEqual(values);
    } finally {
      await tessera.close();
    }

    expect(kills).toBeGreaterThan(0);
    expect(midRewrapKills).toBeGreaterThan(0);

    const keyFile = JSON.parse(readFileSync(join(database.dataDir, keyFileName), 'utf8')) as { keys: Record<string, string> };
    const versions = Object.keys(keyFile.keys).map(Number);
    expect(Math.max(...versions)).toBeGreaterThan(1);
    expect(JSON.parse(resumed.stdout).keyVersion).toBe(Math.max(...versions));
  });

  test('tokens keep verifying after rotation', async () => {
    const tessera = await open();
    try {
      const old = await verifyToken(tessera.context, { token }, everyKeyspace);
      expect(old.code).toBe('VALID');

      const fresh = await issueToken(tessera.context, localOperator(), { keyspace: 'orders', name: 'after rotation', scopes: [] });
      rememberSecret(fresh.secret);
      const row = await tessera.context.db.selectFrom('tokens').select('hash_key_version').where('id', '=', fresh.token.id).executeTakeFirstOrThrow();
      expect(row.hash_key_version).toBe(tessera.context.keyRing.current.version);
      expect((await verifyToken(tessera.context, { token: fresh.secret }, everyKeyspace)).code).toBe('VALID');

      const recorded = await tessera.context.db.selectFrom('key_versions').select('version').orderBy('version').execute();
      expect(recorded.map((item) => item.version)).toEqual(tessera.context.keyRing.hashingKeys.map((key) => key.version).sort((a, b) => a - b));
    } finally {
      await tessera.close();
    }
  });
});
