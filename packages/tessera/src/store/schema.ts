import type { Kysely, Transaction } from 'kysely';

// Stored shapes, named apart from the API shapes in services/. Times are milliseconds since the
// epoch; JSON columns are text in both dialects so that one query layer serves both.

export interface KeyspaceRow {
  id: string;
  name: string;
  prefix: string;
  description: string | null;
  /** JSON array: the scope vocabulary tokens may be granted; empty allows any well-formed scope. */
  scopes: string;
  /** JSON KeyspacePolicy. */
  policy: string;
  created_at: number;
  created_by: string | null;
}

export interface TokenRow {
  id: string;
  keyspace_id: string;
  name: string;
  owner: string | null;
  description: string | null;
  /** JSON array of scopes. */
  scopes: string;
  /** HMAC-SHA-256 of the whole token; the plaintext is never stored. */
  hash: string;
  hash_key_version: number;
  hint: string;
  state: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  /** JSON object of string values. */
  metadata: string;
  created_by: string | null;
  predecessor_id: string | null;
  successor_id: string | null;
  state_reason: string | null;
  state_changed_at: number | null;
  /** JSON array of keyspace names an admin token is limited to; null means every keyspace. */
  admin_keyspaces: string | null;
  /** JSON TokenLimits set on this token; null leaves the keyspace policy's limits in force. */
  limits: string | null;
}

export interface AuditRow {
  seq: number;
  id: string;
  occurred_at: number;
  actor_type: string;
  actor_id: string | null;
  actor_hint: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** The keyspace the target belongs to, so keyspace-limited readers see only their entries. */
  keyspace: string | null;
  source_ip: string | null;
  outcome: string;
  /** JSON object, which never contains a token or secret. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** One row that records the end of the audit chain; updating it first serialises appends. */
export interface AuditHeadRow {
  id: number;
  last_seq: number;
  last_hash: string;
  updated_at: number;
}

/** A fingerprint per master key version, so a node started with the wrong key stops instead of rejecting every token. */
export interface KeyVersionRow {
  version: number;
  fingerprint: string;
  created_at: number;
}

/**
 * An outbox entry: a change or finding, written in the same transaction as the change. Alerts,
 * webhooks and live views read it in `seq` order; `id` is the stable id a receiver deduplicates by.
 */
export interface EventRow {
  seq: number;
  id: string;
  type: string;
  occurred_at: number;
  subject_type: string | null;
  subject_id: string | null;
  /** The keyspace of the subject, which decides who may read the event. */
  keyspace: string | null;
  actor_id: string | null;
  /** JSON object, which never contains a token or secret value. */
  data: string;
}

/** An external token's record; its values live in `secret_versions`, encrypted. */
export interface SecretRow {
  id: string;
  name: string;
  environment: string;
  provider: string | null;
  owner: string | null;
  description: string | null;
  /** JSON array of tags. */
  tags: string;
  /** null when the expiry is unknown. */
  expires_at: number | null;
  rotation_method: string | null;
  current_version: number;
  created_at: number;
  updated_at: number;
  last_read_at: number | null;
  created_by: string | null;
}

/** One value of a secret, sealed by envelope encryption; the plaintext is never stored. */
export interface SecretVersionRow {
  secret_id: string;
  version: number;
  /** base64 of nonce, AES-256-GCM ciphertext and tag, with the secret id and version as additional authenticated data. */
  ciphertext: string;
  /** The data key, wrapped under master key version `key_version`. */
  wrapped_key: string;
  key_version: number;
  /** HMAC-SHA-256 of the value under the fingerprint key of `key_version`, to find duplicates. */
  fingerprint: string;
  created_at: number;
  created_by: string | null;
}

/**
 * One counter of one token's usage in one time bucket: the verifications with one result code,
 * from one source network, or requiring one scope. Minute, hour and day buckets are written in
 * the same transaction, so the roll-ups always agree with the minutes they sum.
 */
export interface UsageCountRow {
  token_id: string;
  step: UsageStep;
  bucket_start: number;
  dimension: UsageDimension;
  value: string;
  count: number;
}

export type UsageStep = 'minute' | 'hour' | 'day';
export type UsageDimension = 'code' | 'network' | 'scope';

/** An anomaly finding; one per subject, kind and period, so repeats within a period are not raised again. */
export interface AnomalyRow {
  id: string;
  /** A token id, or for failed-verification bursts the source address. */
  subject: string;
  kind: string;
  period_start: number;
  keyspace: string | null;
  detected_at: number;
  /** JSON evidence: numbers, networks and times, never a token. */
  evidence: string;
  /** The response the policy applied: alert, suspend or rotate. */
  response: string;
}

/** A named policy: rules as data, attached to keyspaces by name or, by default, to all of them. */
export interface PolicyRow {
  id: string;
  name: string;
  description: string | null;
  /** 1 for the default policy, which applies wherever no other policy is attached; at most one row has it. */
  is_default: number;
  /** JSON array of keyspace names the policy is attached to. */
  keyspaces: string;
  /** JSON PolicySecretGroups: the secrets the policy is meant for, by environment or tag. */
  secret_groups: string;
  /** JSON PolicyRules: only the fields the policy sets. */
  rules: string;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

/** The state of one scheduled job, shared by every node so that a restart or another node catches up a missed run. */
export interface SchedulerJobRow {
  name: string;
  last_started_at: number | null;
  last_finished_at: number | null;
  /** The next time the job is due; a node that finds it in the past runs the job at once. */
  next_due_at: number;
  last_outcome: string | null;
  last_error: string | null;
  run_count: number;
  /** The node that ran the job last, for operators who watch several nodes. */
  last_runner: string | null;
}

/** A notice already sent for a token (an expiry warning threshold, staleness, rotation due), so it is never sent twice. */
export interface TokenNoticeRow {
  token_id: string;
  notice: string;
  noticed_at: number;
}

/** How far a consumer (alerts, webhook fan-out) has read the event outbox. */
export interface EventCursorRow {
  consumer: string;
  last_seq: number;
  updated_at: number;
}

export interface WebhookRow {
  id: string;
  name: string;
  url: string;
  description: string | null;
  /** 'standard' (the event as JSON) or 'slack' (a Slack-compatible message). */
  format: string;
  /** JSON array of subscribed event types: exact types, prefixes such as `token.*`, or `*`. */
  event_types: string;
  enabled: number;
  /** The last event seq when the endpoint was created; it receives only later events. */
  after_seq: number;
  /** The `whsec_` signing secret, AES-256-GCM encrypted under a key derived from the master key. */
  secret_ciphertext: string;
  secret_key_version: number;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_seq: number;
  event_type: string;
  /** 'pending', 'delivered' or 'failed' (no attempts left). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

export interface AlertRow {
  id: string;
  /** The event type that raised the alert, e.g. `token.expiring`. */
  type: string;
  subject_type: string | null;
  subject_id: string | null;
  keyspace: string | null;
  /** 'open' or 'acknowledged'. */
  status: string;
  severity: string;
  summary: string;
  first_event_id: string;
  last_event_id: string;
  event_count: number;
  raised_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

/** The rotator of a secret: how a new value is obtained and tested. */
export interface SecretRotatorRow {
  secret_id: string;
  /** 'exec' or 'http'. */
  kind: string;
  /** JSON RotatorConfig; contains commands or a URL, never a secret value. */
  config: string;
  /** How long the replaced value stays readable after a rotation. */
  grace_seconds: number;
  updated_at: number;
  updated_by: string | null;
}

/** One rotation of a secret and the step it reached: pending, applied, tested, current or failed. */
export interface SecretRotationRow {
  id: string;
  secret_id: string;
  state: string;
  from_version: number;
  /** The version the new value became, once current. */
  to_version: number | null;
  /** The new value from the applied step on, sealed with the rotation id as additional authenticated data. */
  staged_ciphertext: string | null;
  staged_wrapped_key: string | null;
  staged_key_version: number | null;
  /** The reason the rotation failed, which never contains a value. */
  error: string | null;
  started_at: number;
  updated_at: number;
  /** When the replaced value stops being served, once current. */
  grace_ends_at: number | null;
  started_by: string | null;
}

export interface Schema {
  keyspaces: KeyspaceRow;
  tokens: TokenRow;
  audit_log: AuditRow;
  audit_head: AuditHeadRow;
  key_versions: KeyVersionRow;
  events: EventRow;
  secrets: SecretRow;
  secret_versions: SecretVersionRow;
  usage_counts: UsageCountRow;
  anomalies: AnomalyRow;
  policies: PolicyRow;
  scheduler_jobs: SchedulerJobRow;
  token_notices: TokenNoticeRow;
  event_cursors: EventCursorRow;
  webhooks: WebhookRow;
  webhook_deliveries: WebhookDeliveryRow;
  alerts: AlertRow;
  secret_rotators: SecretRotatorRow;
  secret_rotations: SecretRotationRow;
}

/** A connection or an open transaction; repositories accept either. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export type Dialect = 'sqlite' | 'postgres';
