import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { toCheckPolicy, type CheckPolicy } from '../../core/check-policy.js';
import { TesseraError } from '../../core/errors.js';
import type { WithClient } from '../client.js';
import { githubAnnotationChunks, jsonChunks, junitChunks, printCheckTable, writeChunks } from '../check-output.js';

export const defaultPolicyFile = 'tessera-policy.yml';

interface CheckOptions {
  policy?: string;
  junit?: string | boolean;
  github?: boolean;
  expiringWithin?: number;
  staleAfter?: number;
  maxLifetime?: number;
}

function daysOption(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 0) throw new InvalidArgumentError(`'${value}' is not a number of days; use a whole number from 0`);
  return days;
}

/** Reads the policy file (YAML or JSON); without --policy, ./tessera-policy.yml if it exists, else the defaults. */
async function loadPolicy(path: string | undefined): Promise<CheckPolicy> {
  const file = path ?? (existsSync(defaultPolicyFile) ? defaultPolicyFile : undefined);
  if (file === undefined) return toCheckPolicy(undefined, 'default policy');

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TesseraError('VALIDATION_FAILED', `--policy: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`, {
      cause: error,
    });
  }
  // Loaded here, not at start-up, so that commands without a policy file start quickly.
  const { parse: parseYaml } = await import('yaml');
  let content: unknown;
  try {
    content = parseYaml(text);
  } catch (error) {
    throw new TesseraError('VALIDATION_FAILED', `${file}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
  return toCheckPolicy(content, file);
}

export function registerCheckCommand(program: Command, withClient: WithClient): void {
  program
    .command('check')
    .description('evaluate every token and secret against the policy; exit 0 clean, 1 when a failing rule has findings, 2 on error')
    .option('--policy <file>', `policy file, YAML or JSON (default: ./${defaultPolicyFile} if present, else built-in defaults)`)
    .option('--junit [file]', 'write JUnit XML for CI test reports, to the file or standard output')
    .option('--github', 'print GitHub Actions annotations')
    .option('--expiring-within <days>', 'override the policy: report expiry within this many days', daysOption)
    .option('--stale-after <days>', 'override the policy: report tokens and secrets unused for this many days', daysOption)
    .option('--max-lifetime <days>', 'override the policy: longest allowed lifetime in days', daysOption)
    .action((options: CheckOptions) =>
      withClient(async (client, globals) => {
        const policy = await loadPolicy(options.policy);
        if (options.expiringWithin !== undefined) policy.expiringWithinDays = options.expiringWithin;
        if (options.staleAfter !== undefined) policy.staleAfterDays = options.staleAfter;
        if (options.maxLifetime !== undefined) policy.maxLifetimeDays = options.maxLifetime;

        const report = await client.runCheck(policy);
        // Clears the progress line, if one was shown, before the report.
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        if (typeof options.junit === 'string') {
          const file = createWriteStream(options.junit);
          await writeChunks(file, junitChunks(report));
          file.end();
          await finished(file);
        }

        if (options.junit === true) await writeChunks(process.stdout, junitChunks(report));
        else if (globals.json) await writeChunks(process.stdout, jsonChunks(report));
        else if (!options.github) printCheckTable(report);
        if (options.github) await writeChunks(process.stdout, githubAnnotationChunks(report));
        return report.passed ? 0 : 1;
      }),
    );
}
