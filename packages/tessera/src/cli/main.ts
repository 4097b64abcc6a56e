import { Command, CommanderError, Option } from 'commander';
import { TesseraError } from '../core/errors.js';
import { redactTokens } from '../core/token-format.js';
import { ExitSignal, type TesseraClient, type WithClient } from './client.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerCheckCommand } from './commands/check.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerKeyspaceCommands } from './commands/keyspace.js';
import { registerHookCommands } from './commands/hook.js';
import { registerRedactCommand } from './commands/redact.js';
import { registerScanCommands } from './commands/scan.js';
import { registerReviewCommand } from './commands/review.js';
import { registerRunCommand } from './commands/run.js';
import { registerSecretCommands } from './commands/secret.js';
import { registerServerCommands } from './commands/server.js';
import { registerTokenCommands } from './commands/token.js';
import { registerLimitCommands } from './commands/limits.js';
import { registerUsageCommands } from './commands/usage.js';
import { registerAlertCommands } from './commands/alert.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerRetirementCommands } from './commands/retirement.js';
import { registerWebhookCommands } from './commands/webhook.js';
import { defaultDataDir, resolveDataDir, type GlobalOptions } from './settings.js';

/** Exit codes: 0 success, 1 findings (a token not valid, a broken audit chain), 2 usage or runtime error. */
export const exitCodes = { success: 0, findings: 1, error: 2 } as const;

// API field names in messages, and the CLI options a person may have typed for them. Where two
// commands set the same field with different options, the message names the one the command has.
const optionsByField: Record<string, string[]> = {
  expiresInSeconds: ['--expires-in'],
  expiresAt: ['--expires-at'],
  neverExpires: ['--never-expires'],
  gracePeriodSeconds: ['--grace-period', '--grace'],
  maxLifetimeSeconds: ['--max-lifetime'],
  scopes: ['--scope'],
  adminKeyspaces: ['--admin-keyspace'],
  keyspace: ['--keyspace'],
  prefix: ['--prefix'],
  owner: ['--owner'],
  metadata: ['--metadata'],
  reason: ['--reason'],
  extendBySeconds: ['--by', '--extend-grace'],
  file: ['--file'],
  eventTypes: ['--event'],
};

/** Returns the option of `command` that sets `field`, or the first known one when no command ran. */
function optionForField(field: string, command: Command | undefined): string | undefined {
  const candidates = optionsByField[field] ?? [];
  if (!command) return candidates[0];
  return candidates.find((flag) => command.options.some((option) => option.long === flag)) ?? candidates[0];
}

/** Names the CLI option in a message that starts with an API field, e.g. "body.expiresInSeconds: …". */
export function withOptionName(message: string, command?: Command): string {
  const match = /^(?:body\.)?(?:policy\.)?([A-Za-z]+)(\[\d+\])?: /.exec(message);
  const option = match ? optionForField(match[1]!, command) : undefined;
  return option ? `${option} (${match![0].slice(0, -2)}): ${message.slice(match![0].length)}` : message;
}

function reportError(error: unknown, json: boolean, command: Command | undefined): void {
  const code = error instanceof TesseraError ? error.code : 'INTERNAL';
  // Local mode has no HTTP error handler in between, and a token typed into the wrong option would be echoed.
  const message = redactTokens(withOptionName(error instanceof Error ? error.message : String(error), command));
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  process.stderr.write(`tessera: ${message}\n`);
}

async function openClient(options: GlobalOptions): Promise<TesseraClient> {
  if (options.url) {
    const token = process.env['TESSERA_TOKEN'];
    if (!token) throw new TesseraError('UNAUTHENTICATED', 'TESSERA_TOKEN is not set; export an admin token to use --url');
    const { createRemoteClient } = await import('./remote-client.js');
    return createRemoteClient(options.url, token);
  }
  // Loaded here rather than at the top, so that commands without a client (scan, redact) start quickly.
  const { Tessera } = await import('../services/tessera.js');
  const { createLocalClient } = await import('./local-client.js');
  const tessera = await Tessera.open({
    dataDir: resolveDataDir(options.dataDir),
    databaseUrl: options.databaseUrl,
    masterKey: process.env['TESSERA_MASTER_KEY'],
  });
  return createLocalClient(tessera);
}

/** The subcommand whose action runs, recorded so that an error message can name that command's options. */
const runningCommands = new WeakMap<Command, Command>();

export function createProgram(): Command {
  const program = new Command('tessera')
    .description('Self-hosted API token management: issue, verify, rotate, revoke and audit tokens.')
    .addOption(new Option('--data-dir <dir>', 'data directory of the embedded installation').env('TESSERA_DATA_DIR').default(defaultDataDir))
    .addOption(
      new Option('--url <url>', 'work against a Tessera server instead of the data directory; the admin token comes from TESSERA_TOKEN').env('TESSERA_URL'),
    )
    .addOption(new Option('--database-url <url>', 'PostgreSQL URL; without it the data directory holds a SQLite database').env('DATABASE_URL'))
    .option('--json', 'print JSON instead of tables', false)
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (root, actionCommand) => {
      runningCommands.set(root, actionCommand);
    });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  const withClient: WithClient = async (run) => {
    const options = globals();
    const client = await openClient(options);
    let exitCode: number | void;
    try {
      exitCode = await run(client, options);
    } finally {
      await client.close();
    }
    if (exitCode) throw new ExitSignal(exitCode);
  };

  registerServerCommands(program, globals);
  registerKeyspaceCommands(program, withClient);
  registerTokenCommands(program, withClient);
  registerAuditCommands(program, withClient);
  registerScanCommands(program, globals, withClient);
  registerRedactCommand(program);
  registerHookCommands(program);
  registerSecretCommands(program, withClient);
  registerRunCommand(program, withClient);
  registerKeyCommands(program, globals);
  registerCheckCommand(program, withClient);
  registerReviewCommand(program, withClient);
  registerUsageCommands(program, withClient);
  registerLimitCommands(program, withClient);
  registerRetirementCommands(
    program.commands.find((command) => command.name() === 'token')!,
    withClient,
  );
  registerPolicyCommands(program, withClient);
  registerWebhookCommands(program, withClient);
  registerAlertCommands(program, withClient);
  for (const command of program.commands) {
    command.exitOverride();
    for (const subcommand of command.commands) subcommand.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns its exit code instead of exiting, so tests can call it in-process. */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return exitCodes.success;
  } catch (error) {
    if (error instanceof ExitSignal) return error.exitCode;
    if (error instanceof CommanderError) {
      // Help and version output end in a CommanderError with exit code 0; usage mistakes are errors.
      return error.exitCode === 0 ? exitCodes.success : exitCodes.error;
    }
    reportError(error, program.opts<GlobalOptions>().json ?? false, runningCommands.get(program));
    return exitCodes.error;
  }
}
