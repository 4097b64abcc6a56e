import { Option, type Command } from 'commander';
import { tokenStates } from '../../core/token-state.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, printToken, printTokenList, shortTime } from '../output.js';
import { collect, collectMetadata, countOption, durationOption, wholeDaysOption } from '../settings.js';
import { listTokenPages, type TokenListOptions } from '../token-list.js';
import { tokenSortFields } from '../../services/tokens.js';
import type { Token } from '../../services/views.js';
import { TesseraError } from '../../core/errors.js';

interface CreateOptions {
  keyspace: string;
  name: string;
  owner?: string;
  description?: string;
  scope?: string[];
  expiresIn?: number;
  expiresAt?: string;
  neverExpires?: boolean;
  metadata?: Record<string, string>;
  adminKeyspace?: string[];
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function printSecret(secret: string, token: Token, heading: string): void {
  process.stdout.write(`${heading}\n\nSecret (shown once; store it now):\n\n  ${secret}\n\n`);
  printToken(token);
}

export function registerTokenCommands(program: Command, withClient: WithClient): void {
  const token = program.command('token').description('issue, inspect, rotate, revoke and verify tokens');

  token
    .command('create')
    .description('issue a token; its secret is printed once')
    .requiredOption('--keyspace <name>', 'keyspace to issue in (required)')
    .requiredOption('--name <name>', 'a name that says what uses the token (required)')
    .option('--owner <owner>', 'person or team accountable for it')
    .option('--description <text>', 'why the token exists')
    .option('--scope <scopes>', 'granted scope, repeatable or comma-separated', collect)
    .option('--expires-in <duration>', 'lifetime, e.g. 30d (default: the policy maximum)', durationOption)
    .option('--expires-at <time>', 'expiry as an ISO 8601 time')
    .option('--never-expires', 'no expiry; the keyspace policy must allow it')
    .option('--metadata <key=value>', 'metadata entry, repeatable', collectMetadata)
    .option('--admin-keyspace <names>', 'admin tokens only: limit to these keyspaces, repeatable', collect)
    .action((options: CreateOptions) =>
      withClient(async (client, globals) => {
        const issued = await client.issueToken({
          keyspace: options.keyspace,
          name: options.name,
          owner: options.owner,
          description: options.description,
          scopes: options.scope ?? [],
          expiresInSeconds: options.expiresIn,
          expiresAt: options.expiresAt,
          neverExpires: options.neverExpires,
          metadata: options.metadata,
          adminKeyspaces: options.adminKeyspace,
        });
        if (globals.json) printJson(issued);
        else printSecret(issued.secret, issued.token, 'Token created.');
      }),
    );

  token
    .command('list')
    .description('list tokens, newest first unless --sort or --order is given')
    .option('--keyspace <name>', 'only this keyspace')
    .option('--owner <owner>', 'only this owner')
    .addOption(new Option('--state <state>', 'only this state').choices([...tokenStates]))
    .option('--search <text>', 'only tokens with this text, ignoring case, in the name, owner, description, hint or id')
    .option(
      '--expiring-within <duration>',
      'only tokens whose expiry has passed or falls within this time from now, in whole days, e.g. 14d or 2w; with --state active, upcoming expiries only',
      wholeDaysOption,
    )
    .addOption(
      new Option('--sort <field>', 'sort by this field, ties by id; tokens without a value come last').choices(tokenSortFields.map((field) => field.name)),
    )
    .addOption(new Option('--order <order>', 'sort direction (default: asc with --sort, else newest first)').choices(['asc', 'desc']))
    .option('--limit <count>', 'at most this many; more than 500 are read in several pages', countOption, 100)
    .option('--cursor <cursor>', 'start after the tokens of an earlier run, from the cursor its note printed; give the same filters and sort')
    .action((options: TokenListOptions) =>
      withClient(async (client, globals) => {
        const { tokens, nextCursor } = await listTokenPages(client, options);
        if (globals.json) printJson(tokens);
        else printTokenList(tokens);
        // On standard error, so that the JSON on standard output stays the array it has always been.
        if (nextCursor) process.stderr.write(`note: more tokens match; for the next ${options.limit}, run the same command with --cursor ${nextCursor}\n`);
      }),
    );

  token
    .command('show <id>')
    .description('show one token')
    .action((id: string) =>
      withClient(async (client, globals) => {
        const found = await client.getToken(id);
        if (globals.json) printJson(found);
        else printToken(found);
      }),
    );

  token
    .command('rotate <id>')
    .description('issue a successor; the token keeps verifying for the grace period')
    .option('--grace-period <duration>', 'how long the old token keeps verifying (default: the policy grace period)', durationOption)
    .option('--expires-in <duration>', "successor's lifetime (default: the same as the old token's)", durationOption)
    .action((id: string, options: { gracePeriod?: number; expiresIn?: number }) =>
      withClient(async (client, globals) => {
        const rotated = await client.rotateToken(id, { gracePeriodSeconds: options.gracePeriod, expiresInSeconds: options.expiresIn });
        if (globals.json) printJson(rotated);
        else printSecret(rotated.secret, rotated.token, `Token rotated. The old token verifies until ${rotated.predecessor.expiresAt ?? 'never'}.`);
      }),
    );

  const stateCommands = [
    { change: 'revoke', description: 'revoke a token for good', reason: 'required' },
    { change: 'disable', description: 'disable a token until it is enabled again', reason: 'optional' },
    { change: 'enable', description: 'enable a disabled token', reason: 'none' },
  ] as const;
  for (const { change, description, reason } of stateCommands) {
    const command = token.command(`${change} <id>`).description(description);
    if (reason === 'required') command.requiredOption('--reason <text>', 'why; recorded in the audit log (required)');
    if (reason === 'optional') command.option('--reason <text>', 'why; recorded in the audit log');
    command.action((id: string, options: { reason?: string }) =>
      withClient(async (client, globals) => {
        const changed = await client.changeTokenState(id, change, options.reason ?? null);
        if (globals.json) printJson(changed);
        else printToken(changed);
      }),
    );
  }

  token
    .command('verify [token]')
    .description('verify a token; reads it from standard input when omitted or "-" (exit code 1 when not valid)')
    .option('--scope <scopes>', 'required scope, repeatable or comma-separated', collect)
    .option('--ip <address>', 'address the token was presented from')
    .action((presented: string | undefined, options: { scope?: string[]; ip?: string }) =>
      withClient(async (client, globals) => {
        const secret = presented === undefined || presented === '-' ? await readStandardInput() : presented;
        if (secret === '')
          throw new TesseraError('VALIDATION_FAILED', 'no token given: pass it as an argument or on standard input, e.g. tessera token verify - < token.txt');
        const result = await client.verifyToken({ token: secret, scopes: options.scope, ip: options.ip });
        if (globals.json) printJson(result);
        else
          printDetails([
            ['result', result.code],
            ['token id', result.tokenId ?? null],
            ['keyspace', result.keyspace ?? null],
            ['owner', result.owner ?? null],
            ['scopes', result.scopes?.join(' ') || null],
            ['expires', result.expiresAt === undefined ? null : (shortTime(result.expiresAt) ?? 'never')],
            ['missing scopes', result.missingScopes?.join(' ') ?? null],
          ]);
        return result.valid ? 0 : 1;
      }),
    );
}
