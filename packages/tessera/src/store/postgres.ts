import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from './schema.js';

const int8Oid = 20;

// Times are stored as bigint milliseconds, which stay exact as JavaScript numbers until the year 287396.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === int8Oid) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export function openPostgres(connectionString: string, logger?: Logger): Kysely<Schema> {
  const pool = new pg.Pool({ connectionString, max: 10, types: types as pg.CustomTypesConfig });
  // The pool emits 'error' when the server closes an idle connection (a restart, a failover,
  // pg_terminate_backend), and an 'error' event without a listener would crash the process. The
  // pool has already dropped that connection and opens a new one for the next query.
  pool.on('error', (error) => logger?.warn({ err: error }, 'PostgreSQL closed an idle connection; the pool replaces it on the next query'));
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}
