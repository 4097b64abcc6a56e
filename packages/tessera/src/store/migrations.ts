import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Schema } from './schema.js';
import { genesisHash } from '../core/audit-chain.js';

// Migrations use only types both dialects accept; `bigint` is an integer column in SQLite too.
const initialSchema: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('keyspaces')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull().unique())
      .addColumn('prefix', 'text', (column) => column.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('scopes', 'text', (column) => column.notNull())
      .addColumn('policy', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('keyspace_id', 'text', (column) => column.notNull().references('keyspaces.id'))
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('owner', 'text')
      .addColumn('description', 'text')
      .addColumn('scopes', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull().unique())
      .addColumn('hash_key_version', 'integer', (column) => column.notNull())
      .addColumn('hint', 'text', (column) => column.notNull())
      .addColumn('state', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('last_used_ip', 'text')
      .addColumn('metadata', 'text', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .addColumn('predecessor_id', 'text')
      .addColumn('successor_id', 'text')
      .addColumn('state_reason', 'text')
      .addColumn('state_changed_at', 'bigint')
      .addColumn('admin_keyspaces', 'text')
      .execute();
    await db.schema.createIndex('tokens_keyspace_idx').on('tokens').columns(['keyspace_id', 'id']).execute();
    await db.schema.createIndex('tokens_owner_idx').on('tokens').columns(['owner']).execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('id', 'text', (column) => column.notNull().unique())
      .addColumn('occurred_at', 'bigint', (column) => column.notNull())
      .addColumn('actor_type', 'text', (column) => column.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_hint', 'text')
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('target_type', 'text')
      .addColumn('target_id', 'text')
      .addColumn('keyspace', 'text')
      .addColumn('source_ip', 'text')
      .addColumn('outcome', 'text', (column) => column.notNull())
      .addColumn('details', 'text', (column) => column.notNull())
      .addColumn('prev_hash', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('audit_log_target_idx').on('audit_log').columns(['target_id']).execute();
    await db.schema.createIndex('audit_log_keyspace_idx').on('audit_log').columns(['keyspace', 'seq']).execute();

    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('last_seq', 'bigint', (column) => column.notNull())
      .addColumn('last_hash', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('key_versions')
      .addColumn('version', 'integer', (column) => column.primaryKey())
      .addColumn('fingerprint', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();

    await (db as Kysely<Schema>).insertInto('audit_head').values({ id: 1, last_seq: 0, last_hash: genesisHash, updated_at: 0 }).execute();
  },
};

const eventOutbox: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('events')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('id', 'text', (column) => column.notNull().unique())
      .addColumn('type', 'text', (column) => column.notNull())
      .addColumn('occurred_at', 'bigint', (column) => column.notNull())
      .addColumn('subject_type', 'text')
      .addColumn('subject_id', 'text')
      .addColumn('keyspace', 'text')
      .addColumn('actor_id', 'text')
      .addColumn('data', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('events_subject_idx').on('events').columns(['subject_id', 'seq']).execute();
    await db.schema.createIndex('events_type_idx').on('events').columns(['type', 'seq']).execute();
  },
};

const secretsSchema: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('secrets')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('environment', 'text', (column) => column.notNull())
      .addColumn('provider', 'text')
      .addColumn('owner', 'text')
      .addColumn('description', 'text')
      .addColumn('tags', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('rotation_method', 'text')
      .addColumn('current_version', 'integer', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('last_read_at', 'bigint')
      .addColumn('created_by', 'text')
      .addUniqueConstraint('secrets_environment_name_key', ['environment', 'name'])
      .execute();
    await db.schema.createIndex('secrets_owner_idx').on('secrets').columns(['owner']).execute();

    await db.schema
      .createTable('secret_versions')
      .addColumn('secret_id', 'text', (column) => column.notNull().references('secrets.id').onDelete('cascade'))
      .addColumn('version', 'integer', (column) => column.notNull())
      .addColumn('ciphertext', 'text', (column) => column.notNull())
      .addColumn('wrapped_key', 'text', (column) => column.notNull())
      .addColumn('key_version', 'integer', (column) => column.notNull())
      .addColumn('fingerprint', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .addPrimaryKeyConstraint('secret_versions_pkey', ['secret_id', 'version'])
      .execute();
    // Master key rotation looks up the values still wrapped under an older version.
    await db.schema.createIndex('secret_versions_key_version_idx').on('secret_versions').columns(['key_version', 'secret_id', 'version']).execute();
    await db.schema.createIndex('secret_versions_fingerprint_idx').on('secret_versions').columns(['fingerprint']).execute();
  },
};

// Names sort in the order they apply; a landed migration is never edited, only followed by a new one.
const migrations: Record<string, Migration> = {
  '0001_initial_schema': initialSchema,
  '0002_events': eventOutbox,
  '0003_secrets': secretsSchema,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema to the newest version; safe to call on every start and from several nodes. */
export async function migrateToLatest(db: Kysely<Schema>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'tessera_migration', migrationLockTableName: 'tessera_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
