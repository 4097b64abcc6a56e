import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { TesseraError } from '../../core/errors.js';
import type { Policy } from '../../services/policies.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, printTable } from '../output.js';

/**
 * Reads a policy file: YAML (.yaml, .yml) or JSON, holding `policies: [...]`, a list, or one policy.
 * Durations may be written as text such as 30d.
 */
export async function readPolicyFile(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TesseraError('VALIDATION_FAILED', `--file: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`, {
      cause: error,
    });
  }

  // Loaded here, not at start-up, so that commands without a policy file start quickly.
  const { parse: parseYaml } = await import('yaml');
  let content: unknown;
  try {
    content = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new TesseraError(
      'VALIDATION_FAILED',
      `--file: '${path}' is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML or JSON'}: ${(error as Error).message.split('\n')[0]}`,
      {
        cause: error,
      },
    );
  }
  if (Array.isArray(content)) return content;
  if (typeof content === 'object' && content !== null && Array.isArray((content as { policies?: unknown }).policies))
    return (content as { policies: unknown[] }).policies;
  if (typeof content === 'object' && content !== null) return [content];
  throw new TesseraError('VALIDATION_FAILED', `--file: '${path}' contains no policies; write "policies:" followed by a list of policies`);
}

function printPolicies(policies: Policy[]): void {
  printTable(
    ['name', 'default', 'keyspaces', 'rules', 'description'],
    policies.map((policy) => [
      policy.name,
      policy.default ? 'yes' : 'no',
      policy.keyspaces.join(' ') || null,
      Object.keys(policy.rules).join(' ') || null,
      policy.description,
    ]),
  );
}

function describeRule(value: unknown, key: string): string {
  if (value === null) return 'off';
  if (typeof value === 'number' && key.endsWith('Seconds')) return formatDuration(value);
  if (Array.isArray(value))
    return value.map((item) => (typeof item === 'number' && key.endsWith('Seconds') ? formatDuration(item) : String(item))).join(' ') || '-';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function registerPolicyCommands(program: Command, withClient: WithClient): void {
  const policy = program.command('policy').description('manage named policies: token rules as data, attached to keyspaces or the default');

  policy
    .command('apply')
    .description('create or replace the policies of a YAML or JSON file in one step; policies not in the file stay')
    .requiredOption('-f, --file <path>', 'policy file, e.g. tessera-policies.yaml (required)')
    .action((options: { file: string }) =>
      withClient(async (client, globals) => {
        const applied = await client.applyPolicies(await readPolicyFile(options.file));
        if (globals.json) printJson(applied.items);
        else printPolicies(applied.items);
      }),
    );

  policy
    .command('list')
    .description('list named policies')
    .action(() =>
      withClient(async (client, globals) => {
        const { items } = await client.listPolicies();
        if (globals.json) printJson(items);
        else printPolicies(items);
      }),
    );

  policy
    .command('get <name>')
    .description('show a named policy')
    .action((name: string) =>
      withClient(async (client, globals) => {
        const found = await client.getPolicy(name);
        if (globals.json) printJson(found);
        else
          printDetails([
            ['name', found.name],
            ['default', found.default ? 'yes' : 'no'],
            ['keyspaces', found.keyspaces.join(' ') || null],
            ...Object.entries(found.rules).map(([key, value]): [string, string] => [key, describeRule(value, key)]),
          ]);
      }),
    );

  policy
    .command('delete <name>')
    .description('delete a named policy; its keyspaces fall back to the default policy')
    .action((name: string) =>
      withClient(async (client) => {
        await client.deletePolicy(name);
        process.stderr.write(`deleted policy ${name}\n`);
      }),
    );

  policy
    .command('show <keyspace>')
    .description("show the policy that applies to a keyspace's tokens, after merging")
    .action((keyspace: string) =>
      withClient(async (client, globals) => {
        const effective = await client.getEffectivePolicy(keyspace);
        if (globals.json) printJson(effective);
        else printDetails(Object.entries(effective).map(([key, value]): [string, string] => [key, describeRule(value, key)]));
      }),
    );
}
