import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Schema } from './schema.js';

const int8Oid = 20;

// Times are stored as bigint milliseconds, which stay exact as JavaScript numbers until the year 287396.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === int8Oid) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export function openPostgres(connectionString: string): Kysely<Schema> {
  const pool = new pg.Pool({ connectionString, max: 10, types: types as pg.CustomTypesConfig });
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}
