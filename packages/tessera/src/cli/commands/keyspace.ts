import type { Command } from 'commander';
import type { WithClient } from '../client.js';
import { printJson, printKeyspaces } from '../output.js';
import { collect, durationOption } from '../settings.js';

interface CreateOptions {
  prefix: string;
  description?: string;
  scope?: string[];
  maxLifetime?: number;
  gracePeriod?: number;
  allowNoExpiry?: boolean;
  allowSelfRotation?: boolean;
}

export function registerKeyspaceCommands(program: Command, withClient: WithClient): void {
  const keyspace = program.command('keyspace').description('manage keyspaces: groups of tokens with one prefix, scope vocabulary and policy');

  keyspace
    .command('create <name>')
    .description('create a keyspace')
    .requiredOption('--prefix <prefix>', 'token prefix: lowercase letters, digits and _, at most 16 characters (required)')
    .option('--description <text>', 'what the keyspace is for')
    .option('--scope <scopes>', 'allowed scope, repeatable or comma-separated (default: any resource:action)', collect)
    .option('--max-lifetime <duration>', 'longest token lifetime, e.g. 90d', durationOption)
    .option('--grace-period <duration>', 'how long a rotated token keeps verifying, e.g. 24h', durationOption)
    .option('--allow-no-expiry', 'allow tokens that never expire')
    .option('--allow-self-rotation', 'let a token holder rotate its own token')
    .action((name: string, options: CreateOptions) =>
      withClient(async (client, globals) => {
        const policy = {
          ...(options.maxLifetime !== undefined && { maxLifetimeSeconds: options.maxLifetime }),
          ...(options.gracePeriod !== undefined && { gracePeriodSeconds: options.gracePeriod }),
          ...(options.allowNoExpiry && { allowNoExpiry: true }),
          ...(options.allowSelfRotation && { allowSelfRotation: true }),
        };
        const created = await client.createKeyspace({ name, prefix: options.prefix, description: options.description, scopes: options.scope, policy });
        if (globals.json) printJson(created);
        else printKeyspaces([created]);
      }),
    );

  keyspace
    .command('list')
    .description('list keyspaces')
    .action(() =>
      withClient(async (client, globals) => {
        const keyspaces = [];
        let cursor: string | undefined;
        do {
          const page = await client.listKeyspaces({ limit: 500, ...(cursor && { cursor }) });
          keyspaces.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        if (globals.json) printJson(keyspaces);
        else printKeyspaces(keyspaces);
      }),
    );
}
