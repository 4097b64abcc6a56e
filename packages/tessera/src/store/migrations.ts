import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely';
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

/** Per-token limits, usage counters with roll-ups, anomaly findings, and change notices between PostgreSQL nodes. */
const usage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('tokens').addColumn('limits', 'text').execute();

    await db.schema
      .createTable('usage_counts')
      .addColumn('token_id', 'text', (column) => column.notNull())
      .addColumn('step', 'text', (column) => column.notNull())
      .addColumn('bucket_start', 'bigint', (column) => column.notNull())
      .addColumn('dimension', 'text', (column) => column.notNull())
      .addColumn('value', 'text', (column) => column.notNull())
      .addColumn('count', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('usage_counts_pk', ['token_id', 'step', 'bucket_start', 'dimension', 'value'])
      .execute();
    await db.schema.createIndex('usage_counts_retention_idx').on('usage_counts').columns(['step', 'bucket_start']).execute();

    await db.schema
      .createTable('anomalies')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('keyspace', 'text')
      .addColumn('detected_at', 'bigint', (column) => column.notNull())
      .addColumn('evidence', 'text', (column) => column.notNull())
      .addColumn('response', 'text', (column) => column.notNull())
      .addUniqueConstraint('anomalies_once_per_period', ['subject', 'kind', 'period_start'])
      .execute();

    // PostgreSQL nodes learn of a token change made by any other node from this notice. It names
    // the token's hash, which is what their verification caches are keyed by. Last-used updates
    // change none of the columns compared, so usage flushes send nothing.
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`
        create function tessera_notify_token_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify('tessera_token_changes', new.hash);
          return new;
        end $$`.execute(db);
      await sql`
        create trigger tokens_changed after update on tokens for each row
        when ((old.state, old.expires_at, old.scopes, old.limits, old.owner, old.metadata, old.admin_keyspaces, old.successor_id)
          is distinct from (new.state, new.expires_at, new.scopes, new.limits, new.owner, new.metadata, new.admin_keyspaces, new.successor_id))
        execute function tessera_notify_token_change()`.execute(db);
    }
  },
};

const scheduler: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('is_default', 'integer', (column) => column.notNull())
      .addColumn('keyspaces', 'text', (column) => column.notNull())
      .addColumn('secret_groups', 'text', (column) => column.notNull())
      .addColumn('rules', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .execute();

    await db.schema
      .createTable('scheduler_jobs')
      .addColumn('name', 'text', (column) => column.primaryKey())
      .addColumn('last_started_at', 'bigint')
      .addColumn('last_finished_at', 'bigint')
      .addColumn('next_due_at', 'bigint', (column) => column.notNull())
      .addColumn('last_outcome', 'text')
      .addColumn('last_error', 'text')
      .addColumn('run_count', 'bigint', (column) => column.notNull())
      .addColumn('last_runner', 'text')
      .execute();

    await db.schema
      .createTable('token_notices')
      .addColumn('token_id', 'text', (column) => column.notNull())
      .addColumn('notice', 'text', (column) => column.notNull())
      .addColumn('noticed_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('token_notices_pk', ['token_id', 'notice'])
      .execute();

    await db.schema
      .createTable('event_cursors')
      .addColumn('consumer', 'text', (column) => column.primaryKey())
      .addColumn('last_seq', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull().unique())
      .addColumn('url', 'text', (column) => column.notNull())
      .addColumn('description', 'text')
      .addColumn('format', 'text', (column) => column.notNull())
      .addColumn('event_types', 'text', (column) => column.notNull())
      .addColumn('enabled', 'integer', (column) => column.notNull())
      .addColumn('after_seq', 'bigint', (column) => column.notNull())
      .addColumn('secret_ciphertext', 'text', (column) => column.notNull())
      .addColumn('secret_key_version', 'integer', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('webhook_id', 'text', (column) => column.notNull())
      .addColumn('event_id', 'text', (column) => column.notNull())
      .addColumn('event_seq', 'bigint', (column) => column.notNull())
      .addColumn('event_type', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull())
      .addColumn('next_attempt_at', 'bigint', (column) => column.notNull())
      .addColumn('last_attempt_at', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'bigint')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addUniqueConstraint('webhook_deliveries_event_unique', ['webhook_id', 'event_id'])
      .execute();
    await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('type', 'text', (column) => column.notNull())
      .addColumn('subject_type', 'text')
      .addColumn('subject_id', 'text')
      .addColumn('keyspace', 'text')
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('severity', 'text', (column) => column.notNull())
      .addColumn('summary', 'text', (column) => column.notNull())
      .addColumn('first_event_id', 'text', (column) => column.notNull())
      .addColumn('last_event_id', 'text', (column) => column.notNull())
      .addColumn('event_count', 'integer', (column) => column.notNull())
      .addColumn('raised_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('acknowledged_at', 'bigint')
      .addColumn('acknowledged_by', 'text')
      .execute();
    await db.schema.createIndex('alerts_status_idx').on('alerts').columns(['status', 'type', 'subject_id']).execute();
    await db.schema.createIndex('tokens_expiry_idx').on('tokens').columns(['state', 'expires_at']).execute();
  },
};

/** Rotators per secret and the recorded steps of each rotation, so a crash resumes at the step it reached. */
const secretRotation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('secret_rotators')
      .addColumn('secret_id', 'text', (column) => column.primaryKey())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('config', 'text', (column) => column.notNull())
      .addColumn('grace_seconds', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_by', 'text')
      .execute();

    await db.schema
      .createTable('secret_rotations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('secret_id', 'text', (column) => column.notNull())
      .addColumn('state', 'text', (column) => column.notNull())
      .addColumn('from_version', 'integer', (column) => column.notNull())
      .addColumn('to_version', 'integer')
      .addColumn('staged_ciphertext', 'text')
      .addColumn('staged_wrapped_key', 'text')
      .addColumn('staged_key_version', 'integer')
      .addColumn('error', 'text')
      .addColumn('started_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('grace_ends_at', 'bigint')
      .addColumn('started_by', 'text')
      .execute();
    await db.schema.createIndex('secret_rotations_secret_idx').on('secret_rotations').columns(['secret_id', 'state']).execute();
  },
};

// The scheduler's token pass reads its candidates in pages ordered by these columns. Without them,
// stale detection scanned every token on each pass.
const schedulerIndexes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('tokens_last_used_idx').on('tokens').columns(['state', 'last_used_at', 'id']).execute();
    await db.schema.createIndex('tokens_created_idx').on('tokens').columns(['state', 'created_at', 'id']).execute();
  },
};

// The secret retirement report reads a secret's reveal entries in a time range. Without this
// index, it would read every audit entry of the secret, of all actions and times.
const auditTargetActionIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('audit_log_target_action_idx').on('audit_log').columns(['target_id', 'action', 'occurred_at']).execute();
  },
};

// Names sort in the order they apply; a landed migration is never edited, only followed by a new one.
const migrations: Record<string, Migration> = {
  '0001_initial_schema': initialSchema,
  '0002_events': eventOutbox,
  '0003_secrets': secretsSchema,
  '0004_usage': usage,
  '0005_scheduler': scheduler,
  '0006_secret_rotation': secretRotation,
  '0007_scheduler_indexes': schedulerIndexes,
  '0008_audit_target_action_index': auditTargetActionIndex,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema to the newest version; safe to call on every start and from several nodes. */
export async function migrateToLatest(db: Kysely<Schema>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'tessera_migration', migrationLockTableName: 'tessera_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (failed) throw new Error(`database migration ${failed.migrationName} failed`, { cause: error });
  // Kysely also fails before running anything, e.g. when the database contains a migration this build does not know.
  if (error) throw new Error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
