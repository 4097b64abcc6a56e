import { InvalidArgumentError, type Command } from 'commander';
import type { SecretReader, SecretRetirementReport } from '../../services/secret-retirement.js';
import type { RotationHistory } from '../../services/secret-rotation-history.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, printTable, shortTime } from '../output.js';
import { durationOption } from '../settings.js';
import { environmentOption } from './secret.js';

function limitOption(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidArgumentError(`'${value}' is not a limit; use a whole number from 1 to 500`);
  return limit;
}

function printHistory(history: RotationHistory): void {
  const { status } = history;
  const last = status.lastOutcome;
  printDetails([
    ['rotator', status.rotatorKind ?? 'none'],
    ['policy', status.policy],
    ['next due', shortTime(status.nextRotationDueAt)],
    ['last outcome', last ? `${last.state} at ${shortTime(last.finishedAt)}${last.error ? `: ${last.error}` : ''}` : null],
  ]);
  printTable(
    ['started', 'state', 'versions', 'error', 'grace ends', 'started by'],
    history.items.map((rotation) => [
      shortTime(rotation.startedAt),
      rotation.state,
      rotation.toVersion === null ? `${rotation.fromVersion}` : `${rotation.fromVersion} -> ${rotation.toVersion}`,
      rotation.error,
      shortTime(rotation.graceEndsAt),
      rotation.startedBy,
    ]),
  );
}

function readerRow(reader: SecretReader): (string | number | null)[] {
  return [reader.actorHint ?? reader.actorId, reader.address ?? reader.host, reader.reads, shortTime(reader.lastReadAt)];
}

function printRetirement(report: SecretRetirementReport): void {
  printDetails([
    ['secret', `${report.environment}/${report.name}`],
    ['rotated', shortTime(report.rotatedAt)],
    ['versions', `${report.previousVersion} -> ${report.currentVersion}`],
    ['grace ends', shortTime(report.graceEndsAt)],
    ['still in use', report.stillInUse ? 'yes' : 'no'],
    ['previous read', `${report.previousVersionReads.count} ${report.previousVersionReads.count === 1 ? 'time' : 'times'} since the rotation`],
    ['can extend grace', report.canExtendGrace ? 'yes' : 'no'],
  ]);
  if (report.previousVersionReads.readers.length > 0) {
    process.stdout.write(`reads of version ${report.previousVersion} since the rotation:\n`);
    printTable(['reader', 'from', 'reads', 'last read'], report.previousVersionReads.readers.map(readerRow));
  }
  if (report.notSwitched.length > 0) {
    process.stdout.write('readers before the rotation who have not read it since:\n');
    printTable(['reader', 'from', 'reads', 'last read'], report.notSwitched.map(readerRow));
  }
}

/** Adds `secret rotations` and `secret retirement` to the `secret` command. */
export function registerSecretRetirementCommands(secret: Command, withClient: WithClient): void {
  secret
    .command('rotations <name>')
    .description("show a secret's rotator, next due rotation, last outcome and rotations, newest first (scope secrets:read)")
    .requiredOption(...environmentOption)
    .option('--limit <count>', 'how many rotations to show, from 1 to 500 (default 20)', limitOption, 20)
    .action((name: string, options: { env: string; limit: number }) =>
      withClient(async (client, globals) => {
        const history = await client.listSecretRotations(options.env, name, { limit: options.limit });
        if (globals.json) printJson(history);
        else printHistory(history);
      }),
    );

  secret
    .command('retirement <name>')
    .description('show whether the value the latest rotation replaced is still read, by whom and from where; exits 1 while it is (scope secrets:read)')
    .requiredOption(...environmentOption)
    .option(
      '--extend-grace <duration>',
      "extend the previous value's grace period by this much while it is still read, e.g. 12h, at most the rotator's grace period (scope secrets:write)",
      durationOption,
    )
    .action((name: string, options: { env: string; extendGrace?: number }) =>
      withClient(async (client, globals) => {
        const report =
          options.extendGrace === undefined
            ? await client.getSecretRetirement(options.env, name)
            : await client.extendSecretGrace(options.env, name, options.extendGrace);
        if (globals.json) printJson(report);
        else printRetirement(report);
        return options.extendGrace === undefined && report.stillInUse ? 1 : 0;
      }),
    );
}
