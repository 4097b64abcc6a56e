import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import type { WithClient } from '../client.js';
import { printJson } from '../output.js';
import { formatReviewCsv, formatReviewMarkdown } from '../review-output.js';

/** Reads a member list: one person or team per line; blank lines and lines starting with '#' are skipped. */
async function readMembers(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TesseraError('VALIDATION_FAILED', `--members: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`, {
      cause: error,
    });
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export function registerReviewCommand(program: Command, withClient: WithClient): void {
  program
    .command('review')
    .description('access review per owner: what they hold, scopes, last use and why; owners not in --members are flagged as orphaned')
    .option('--members <file>', 'current team members, one per line')
    .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'csv', 'json']).default('markdown'))
    .action((options: { members?: string; format: 'markdown' | 'csv' | 'json' }) =>
      withClient(async (client, globals) => {
        const members = options.members === undefined ? undefined : await readMembers(options.members);
        const report = await client.runReview(members);
        if (globals.json || options.format === 'json') printJson(report);
        else if (options.format === 'csv') process.stdout.write(formatReviewCsv(report));
        else process.stdout.write(formatReviewMarkdown(report));
      }),
    );
}
