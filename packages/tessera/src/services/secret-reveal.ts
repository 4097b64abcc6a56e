import { hostname } from 'node:os';
import { TesseraError, validationError } from '../core/errors.js';
import { findRotationReplacing } from '../store/rotation-repository.js';
import { findSecretVersion, updateSecret } from '../store/secret-repository.js';
import type { SecretRow } from '../store/schema.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { allSecrets } from './inventory.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { revealLimiterFor } from './reveal-limiter.js';
import { requireSecret, secretAudit, validateEnvironment } from './secrets.js';
import { openSecretValue } from './secret-values.js';
import { toSecret, type Secret } from './secret-views.js';

export interface RevealedSecret {
  secret: Secret;
  version: number;
  value: string;
}

export interface RevealOptions {
  /** An earlier version; the current one by default. */
  version?: number | undefined;
  /** The purpose of the reveal, recorded in the audit entry, e.g. "run". */
  purpose?: string | undefined;
}

/** Returns the origin of a reveal for its audit entry: the client address over HTTP is already on the entry, and the CLI on the data directory adds this host. */
function revealOrigin(actor: Actor): Record<string, string> {
  return actor.ip === null ? { host: hostname() } : {};
}

async function readValue(context: ServiceContext, row: SecretRow, version: number): Promise<string> {
  if (version < row.current_version) {
    const replacing = await findRotationReplacing(context.db, row.id, version);
    if (replacing && replacing.grace_ends_at !== null && replacing.grace_ends_at <= context.clock.now()) {
      throw new TesseraError(
        'NOT_FOUND',
        `version ${version} of secret '${row.name}' was rotated out and its grace period ended at ${new Date(replacing.grace_ends_at).toISOString()}; use the current version ${row.current_version}`,
        { field: 'version' },
      );
    }
  }
  const sealed = version > row.current_version ? undefined : await findSecretVersion(context.db, row.id, version);
  if (!sealed) throw validationError('version', `secret '${row.name}' has no version ${version}; it has versions 1 to ${row.current_version}`);
  return openSecretValue(context.keyRing, sealed);
}

/** Decrypts secrets' values after the permission and rate checks, and records one audit entry per value in the same transaction as last-read times. */
async function revealRows(context: ServiceContext, actor: Actor, rows: { row: SecretRow; version: number }[], purpose: string): Promise<RevealedSecret[]> {
  revealLimiterFor(context).take(actor.id ?? `anonymous:${actor.ip ?? ''}`, context.clock.now(), rows.length);

  const revealed: RevealedSecret[] = [];
  for (const { row, version } of rows) revealed.push({ secret: toSecret(row), version, value: await readValue(context, row, version) });

  // The values leave only once their reveals are recorded: a failed audit write reveals nothing.
  await auditedChange(context, actor, async (transaction, now) => {
    for (const { row } of rows) await updateSecret(transaction, row.id, { last_read_at: now });
    return {
      result: undefined,
      audit: rows.map(({ row, version }) => secretAudit('secret.reveal', row, { revealedVersion: version, purpose, ...revealOrigin(actor) })),
    };
  });
  return revealed;
}

export async function revealSecret(
  context: ServiceContext,
  actor: Actor,
  environment: string,
  name: string,
  options: RevealOptions = {},
): Promise<RevealedSecret> {
  await requirePermission(context, actor, { scope: 'secrets:reveal', action: 'secret.reveal' });
  const row = await requireSecret(context.db, environment, name);
  const version = options.version ?? row.current_version;
  if (!Number.isInteger(version) || version < 1) throw validationError('version', 'must be a positive integer');
  const [revealed] = await revealRows(context, actor, [{ row, version }], options.purpose ?? 'get');
  return revealed!;
}

/** Reveals the current values of an environment's secrets (all, or the named ones), for `tessera run`. */
export async function revealEnvironment(context: ServiceContext, actor: Actor, environment: string, names?: readonly string[]): Promise<RevealedSecret[]> {
  await requirePermission(context, actor, { scope: 'secrets:reveal', action: 'secret.reveal' });
  validateEnvironment(environment);

  const rows: SecretRow[] = [];
  if (names && names.length > 0) {
    for (const name of names) rows.push(await requireSecret(context.db, environment, name));
  } else {
    for await (const row of allSecrets(context.db, environment)) rows.push(row);
  }
  if (rows.length === 0)
    throw new TesseraError('NOT_FOUND', `environment '${environment}' has no secrets; add one with \`tessera secret add\``, { field: 'environment' });
  return revealRows(
    context,
    actor,
    rows.map((row) => ({ row, version: row.current_version })),
    'run',
  );
}
