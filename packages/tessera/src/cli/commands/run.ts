import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import type { WithClient } from '../client.js';
import { collect } from '../settings.js';

// Tessera's own credentials stay with Tessera: the child gets the secrets it asked for, not the keys to all of them.
const withheldVariables = ['TESSERA_TOKEN', 'TESSERA_MASTER_KEY'];

/** Runs a command with the given variables added to this process's environment, and resolves to its exit code. */
function runChild(command: string, args: string[], variables: Record<string, string>): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...variables };
  for (const name of withheldVariables) delete env[name];

  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const forwarders = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of forwarders) process.on(signal, handler);
    const stopForwarding = () => {
      for (const [signal, handler] of forwarders) process.off(signal, handler);
    };

    child.on('error', (error) => {
      stopForwarding();
      reject(
        new TesseraError(
          'VALIDATION_FAILED',
          `cannot start '${command}': ${(error as NodeJS.ErrnoException).code ?? error.message}; check the command and PATH`,
          { cause: error },
        ),
      );
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      // A child killed by a signal exits as shells report it: 128 plus the signal number.
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

export function registerRunCommand(program: Command, withClient: WithClient): void {
  program
    .command('run')
    .description("start a command with an environment's secrets as environment variables; nothing is written to disk, and every value read is audited")
    .requiredOption('--env <environment>', 'environment whose secrets to pass, e.g. production')
    .option('--secret <names>', 'pass only these secrets, repeatable or comma-separated (default: all of the environment)', collect)
    .argument('<command>', 'the command to start; put -- before it')
    .argument('[args...]', 'its arguments')
    .action((command: string, args: string[], options: { env: string; secret?: string[] }) =>
      withClient(async (client) => {
        const revealed = await client.revealEnvironment(options.env, options.secret ?? []);
        const variables = Object.fromEntries(revealed.map((item) => [item.secret.name, item.value]));
        return runChild(command, args, variables);
      }),
    );
}
