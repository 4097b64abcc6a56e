import { appendFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { TesseraError } from '../../core/errors.js';
import { redactTokens } from '../../core/token-format.js';
import { leakResponses, type LeakOutcome, type LeakResponse } from '../../services/leak-report.js';
import type { ScanFinding } from '../../services/scanning/scan-report.js';
import type { WithClient } from '../client.js';
import { resolveDataDir, type GlobalOptions } from '../settings.js';

export { leakResponses, type LeakResponse };

/** The registry's outcome for a finding, as reports show it: without a successor's secret. */
export type RegistryStatus = Omit<LeakOutcome, 'successor'> & { successor?: { id: string; hint: string } };

/** The registry's status of each Tessera token found, and how many responses failed. */
export interface LeakResponses {
  statuses: Map<ScanFinding, RegistryStatus>;
  failed: number;
}

export interface LeakResponseOptions {
  response: LeakResponse | undefined;
  successorFile: string | undefined;
  globals: GlobalOptions;
  withClient: WithClient;
}

const tesseraRule = 'tessera-token';

/** True when a registry is configured: a server URL, a database URL, or an existing data directory. */
function hasRegistry(globals: GlobalOptions): boolean {
  return globals.url !== undefined || globals.databaseUrl !== undefined || existsSync(resolveDataDir(globals.dataDir));
}

async function saveSuccessor(file: string, outcome: LeakOutcome): Promise<void> {
  const successor = outcome.successor!;
  await appendFile(file, `${JSON.stringify({ predecessorId: outcome.tokenId, id: successor.id, keyspace: outcome.keyspace, secret: successor.secret })}\n`, {
    mode: 0o600,
  });
  await chmod(file, 0o600);
}

function toStatus(outcome: LeakOutcome): RegistryStatus {
  const { successor, ...status } = outcome;
  return successor ? { ...status, successor: { id: successor.id, hint: successor.hint } } : status;
}

/**
 * Looks each Tessera token found up in the registry, once per token, and applies --on-leak. Only
 * the local registry or the --url server receive the token, which the server hashes to find it.
 */
export async function respondToLeaks(findings: ScanFinding[], options: LeakResponseOptions): Promise<LeakResponses> {
  const statuses = new Map<ScanFinding, RegistryStatus>();
  const responses: LeakResponses = { statuses, failed: 0 };
  const tokens = findings.filter((finding) => finding.ruleId === tesseraRule);
  if (tokens.length === 0) return responses;

  if (!hasRegistry(options.globals)) {
    if (options.response !== undefined) {
      throw new TesseraError(
        'VALIDATION_FAILED',
        `--on-leak needs a registry: no data directory at ${resolveDataDir(options.globals.dataDir)}; pass --data-dir or --url`,
        {
          field: 'onLeak',
        },
      );
    }
    return responses;
  }
  if (options.response === 'rotate' && options.successorFile === undefined) {
    process.stderr.write(
      "warning: --on-leak rotate without --successor-file: the successors' secrets are not kept anywhere; their owners must rotate them again\n",
    );
  }

  const run = async (): Promise<void> =>
    options.withClient(async (client) => {
      const bySecret = new Map<string, LeakOutcome>();
      for (const finding of tokens) {
        let outcome = bySecret.get(finding.secret);
        if (outcome === undefined) {
          const where = { source: finding.source, path: finding.path, line: finding.line, ...(finding.commit ? { commit: finding.commit } : {}) };
          try {
            outcome = await client.reportLeak({ token: finding.secret, where, response: options.response ?? 'none' });
          } catch (error) {
            // One token the registry cannot act on must not hide the other findings or stop the responses to them.
            if (options.response === undefined) throw error;
            responses.failed += 1;
            process.stderr.write(
              `error: --on-leak ${options.response} failed for ${finding.path}:${finding.line}: ${redactTokens((error as Error).message)}\n`,
            );
            continue;
          }
          bySecret.set(finding.secret, outcome);
          if (outcome.successor && options.successorFile !== undefined) await saveSuccessor(options.successorFile, outcome);
        }
        statuses.set(finding, toStatus(outcome));
      }
    });

  // A plain lookup is extra information: when it fails, the findings are still reported.
  if (options.response !== undefined) await run();
  else await run().catch((error: unknown) => process.stderr.write(`note: registry lookup failed: ${redactTokens((error as Error).message)}\n`));
  return responses;
}
