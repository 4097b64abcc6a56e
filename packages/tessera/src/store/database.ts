import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { migrateToLatest } from './migrations.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { Dialect, Schema } from './schema.js';
import { TesseraError } from '../core/errors.js';

export interface DatabaseOptions {
  /** A `postgres://` URL; without it the embedded SQLite file at `sqlitePath` is used. */
  databaseUrl?: string | undefined;
  sqlitePath?: string | undefined;
  /** Logger for warnings about connections the database server closed. */
  logger?: Logger | undefined;
}

export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
}

/** Opens the configured database and migrates it to the newest schema. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let database: Database;
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new TesseraError('CONFIGURATION_INVALID', 'DATABASE_URL must start with postgres:// or postgresql://');
    }
    database = { db: openPostgres(options.databaseUrl, options.logger), dialect: 'postgres' };
  } else if (options.sqlitePath) {
    database = { db: openSqlite(options.sqlitePath), dialect: 'sqlite' };
  } else {
    throw new TesseraError('CONFIGURATION_INVALID', 'no database configured; set DATABASE_URL or a data directory');
  }

  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.db.destroy();
    throw error;
  }
  return database;
}
