import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server every PostgreSQL test creates its own database on; trust auth, as on CI. */
export const postgresAdminUrl = process.env['TESSERA_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** On CI, or when asked, an unreachable PostgreSQL fails the suite instead of skipping its tests. */
export const postgresRequired = process.env['CI'] === 'true' || process.env['TESSERA_REQUIRE_POSTGRES'] === '1';

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresAvailable = await probePostgres();
if (!postgresAvailable && postgresRequired) {
  throw new Error(
    `PostgreSQL is required (CI or TESSERA_REQUIRE_POSTGRES=1) but ${postgresAdminUrl} is unreachable; start it or set TESSERA_TEST_POSTGRES_URL`,
  );
}

/** A fresh, empty place to store data: a temporary data directory and, for PostgreSQL, a new database. */
export interface TestDatabase {
  dataDir: string;
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  available: boolean;
  create(): Promise<TestDatabase>;
}

function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-test-'));
}

const sqliteTarget: DatabaseTarget = {
  name: 'sqlite',
  available: true,
  async create() {
    const dataDir = temporaryDataDir();
    return { dataDir, databaseUrl: undefined, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

const postgresTarget: DatabaseTarget = {
  name: 'postgres',
  available: postgresAvailable,
  async create() {
    const name = `tessera_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();

    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    const dataDir = temporaryDataDir();
    return {
      dataDir,
      databaseUrl: url.toString(),
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
        const client = new pg.Client({ connectionString: postgresAdminUrl });
        await client.connect();
        await client.query(`drop database if exists ${name} with (force)`);
        await client.end();
      },
    };
  },
};

/** Both stores; every store test runs once per target. PostgreSQL is skipped only where it is not required. */
export const databaseTargets: DatabaseTarget[] = [sqliteTarget, postgresTarget];
