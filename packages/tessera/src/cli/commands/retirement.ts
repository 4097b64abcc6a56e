import type { Command } from 'commander';
import type { RetirementReport } from '../../services/retirement.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, shortTime } from '../output.js';
import { durationOption } from '../settings.js';

function printReport(report: RetirementReport): void {
  printDetails([
    ['token', report.tokenId],
    ['successor', report.successorId],
    ['state', report.state],
    ['rotated', shortTime(report.rotatedAt)],
    ['grace ends', shortTime(report.graceEndsAt)],
    ['still in use', report.stillInUse ? 'yes' : 'no'],
    ['last presented', report.lastPresentedAt ? `${shortTime(report.lastPresentedAt)} from ${report.lastPresentedFrom ?? 'unknown'}` : null],
    ['attempts since', report.attemptsSinceRotation === null ? null : String(report.attemptsSinceRotation)],
    ['networks since', report.networksSinceRotation.map((entry) => `${entry.network} (${entry.attempts})`).join(', ') || null],
    ['can extend grace', report.canExtendGrace ? 'yes' : 'no'],
  ]);
}

/** Adds `token retirement` and `token extend-grace` to the token command. */
export function registerRetirementCommands(token: Command, withClient: WithClient): void {
  token
    .command('retirement <id>')
    .description('show whether a rotated token is still presented, and from where; exits 1 while it is')
    .action((id: string) =>
      withClient(async (client, globals) => {
        const report = await client.getRetirementReport(id);
        if (globals.json) printJson(report);
        else printReport(report);
        return report.stillInUse ? 1 : 0;
      }),
    );

  token
    .command('extend-grace <id>')
    .description("extend a rotated token's grace period while it is still presented")
    .requiredOption('--by <duration>', 'how much longer it keeps verifying, e.g. 24h (required)', durationOption)
    .action((id: string, options: { by: number }) =>
      withClient(async (client, globals) => {
        const report = await client.extendGracePeriod(id, options.by);
        if (globals.json) printJson(report);
        else printReport(report);
      }),
    );
}
