import { InvalidArgumentError, type Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, shortTime } from '../output.js';
import { environmentOption } from './secret.js';

/** Accepts a program path, or a JSON array of program and arguments, because no shell splits the words. */
function argvOption(value: string): string[] {
  if (!value.startsWith('[')) return [value];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((part) => typeof part === 'string')) return parsed as string[];
  } catch {
    // Reported below with the expected form.
  }
  throw new InvalidArgumentError(`'${value.slice(0, 80)}' is not a program; give a path, or a JSON array such as '["node","rotate.js"]'`);
}

function secondsOption(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new InvalidArgumentError(`'${value}' is not a number of seconds; use a whole number from 1`);
  return seconds;
}

interface RotatorOptions {
  env: string;
  exec?: string[];
  test?: string[];
  httpUrl?: string;
  timeout?: number;
  grace?: number;
}

/** Adds `secret rotator` and `secret rotate` to the `secret` command. */
export function registerSecretRotationCommands(secret: Command, withClient: WithClient): void {
  secret
    .command('rotator <name>')
    .description('set how a secret is rotated: a program or a URL that returns the new value (scope admin)')
    .requiredOption(...environmentOption)
    .option('--exec <program>', 'program that reads {"value", ...} as JSON on stdin and prints the new value; a path or a JSON array', argvOption)
    .option('--test <program>', 'program that reads the new value the same way and exits 0 when it works', argvOption)
    // Not --url, which is the global option that selects a server.
    .option('--http-url <url>', 'URL that receives the same JSON by POST and returns {"value": "..."}')
    .option('--timeout <seconds>', 'time limit of each program or request, in seconds (default 30)', secondsOption)
    .option('--grace <seconds>', 'how long the previous value stays readable after a rotation, in seconds (default 86400)', secondsOption)
    .action((name: string, options: RotatorOptions) =>
      withClient(async (client, globals) => {
        if ((options.exec === undefined) === (options.httpUrl === undefined))
          throw new TesseraError('VALIDATION_FAILED', 'give exactly one of --exec or --http-url');
        const rotator = await client.setRotator(options.env, name, {
          kind: options.exec ? 'exec' : 'http',
          ...(options.exec && { command: options.exec }),
          ...(options.test && { testCommand: options.test }),
          ...(options.httpUrl && { url: options.httpUrl }),
          ...(options.timeout && { timeoutSeconds: options.timeout }),
          ...(options.grace && { gracePeriodSeconds: options.grace }),
        });
        if (globals.json) printJson(rotator);
        else process.stdout.write(`rotator of ${options.env}/${name}: ${rotator.config.kind}, grace period ${rotator.gracePeriodSeconds} s\n`);
      }),
    );

  secret
    .command('rotate <name>')
    .description('rotate a secret now: obtain, test and make current a new value; the previous one stays readable for the grace period (scope secrets:write)')
    .requiredOption(...environmentOption)
    .action((name: string, options: { env: string }) =>
      withClient(async (client, globals) => {
        const rotation = await client.rotateSecret(options.env, name);
        if (globals.json) printJson(rotation);
        else
          printDetails([
            ['rotation', rotation.id],
            ['state', rotation.state],
            ['version', rotation.toVersion === null ? `${rotation.fromVersion} (unchanged)` : `${rotation.fromVersion} -> ${rotation.toVersion}`],
            ['previous until', shortTime(rotation.graceEndsAt)],
            ['error', rotation.error],
          ]);
        if (rotation.state !== 'failed') return 0;

        // Not thrown: an error would add a second JSON document after the rotation, which carries the error already.
        process.stderr.write(`tessera: rotation of ${options.env}/${name} failed; the current value is unchanged\n`);
        return 2;
      }),
    );
}
