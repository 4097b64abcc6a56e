import { TesseraError } from '../core/errors.js';
import { findSecret } from '../store/secret-repository.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import type { EventRecord } from './events.js';
import {
  duplicatesOf,
  insertNewSecret,
  metadataChanges,
  secretEvent,
  validateEnvironment,
  validateSecretName,
  validateValue,
  type SecretReference,
} from './secrets.js';

export interface ImportEntry {
  name: string;
  value: string;
  /** The line of the source file, echoed in the result. */
  line: number;
}

export interface ImportSecretsInput {
  environment: string;
  owner?: string | undefined;
  description?: string | undefined;
  entries: ImportEntry[];
}

export interface ImportResult {
  imported: { line: number; name: string; provider: string | null }[];
  rejected: { line: number; name: string; message: string }[];
  /** Groups of secrets that hold one value, each with at least one imported secret. */
  duplicates: SecretReference[][];
}

export const maxImportEntries = 1000;

/**
 * Imports secrets into one environment in a single transaction: each entry that is invalid or
 * whose name exists already is rejected with its line, the rest are stored together or not at all.
 */
export async function importSecrets(context: ServiceContext, actor: Actor, input: ImportSecretsInput): Promise<ImportResult> {
  await requirePermission(context, actor, { scope: 'secrets:write', action: 'secret.import' });
  validateEnvironment(input.environment);
  metadataChanges({ owner: input.owner, description: input.description });
  if (input.entries.length > maxImportEntries) {
    throw new TesseraError('VALIDATION_FAILED', `entries: at most ${maxImportEntries} per import; split the file`, { field: 'entries' });
  }

  return auditedChange(context, actor, async (transaction, now) => {
    const result: ImportResult = { imported: [], rejected: [], duplicates: [] };
    const fingerprints = new Map<string, SecretReference>();
    const events: EventRecord[] = [];

    for (const entry of input.entries) {
      try {
        validateSecretName(entry.name);
        validateValue(entry.value);
      } catch (error) {
        result.rejected.push({ line: entry.line, name: entry.name.slice(0, 128), message: (error as Error).message });
        continue;
      }
      if (await findSecret(transaction, input.environment, entry.name)) {
        result.rejected.push({
          line: entry.line,
          name: entry.name,
          message: `secret '${entry.name}' already exists in environment '${input.environment}'; update it with \`tessera secret update\``,
        });
        continue;
      }

      const { row, fingerprint } = await insertNewSecret(
        transaction,
        context,
        actor,
        { name: entry.name, environment: input.environment, value: entry.value, owner: input.owner, description: input.description },
        now,
      );
      result.imported.push({ line: entry.line, name: row.name, provider: row.provider });
      events.push(secretEvent('secret.created', row, { provider: row.provider, owner: row.owner, imported: true }));
      if (!fingerprints.has(fingerprint)) fingerprints.set(fingerprint, { name: row.name, environment: row.environment });
    }

    for (const [fingerprint, first] of fingerprints) {
      const others = await duplicatesOf(transaction, fingerprint, first);
      if (others.length > 0) result.duplicates.push([first, ...others]);
    }

    return {
      result,
      audit: {
        action: 'secret.import',
        outcome: 'success',
        details: {
          environment: input.environment,
          imported: result.imported.map((item) => item.name),
          rejected: result.rejected.length,
          duplicateGroups: result.duplicates.length,
        },
      },
      events,
    };
  });
}
