import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDotenv } from '../../core/dotenv.js';
import { TesseraError } from '../../core/errors.js';
import { secretSortFields, type SecretReference } from '../../services/secrets.js';
import type { Secret } from '../../services/secret-views.js';
import type { WithClient } from '../client.js';
import { printDetails, printJson, printTable, shortTime } from '../output.js';
import { collect } from '../settings.js';
import { registerSecretRetirementCommands } from './secret-retirement.js';
import { registerSecretRotationCommands } from './secret-rotate.js';

interface MetadataOptions {
  provider?: string;
  owner?: string;
  description?: string;
  tag?: string[];
  expiresAt?: string;
  rotationMethod?: string;
}

export const environmentOption = ['--env <environment>', 'environment, e.g. production or staging'] as const;

/** Reads a value from standard input; one trailing newline, as `echo` adds, is not part of it. */
async function readValue(prompt: string): Promise<string> {
  // TODO: turn off echo while a value is typed on a terminal; until then it shows on screen as typed.
  if (process.stdin.isTTY) process.stderr.write(`${prompt} (end with Ctrl-D on a new line): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '')
    throw new TesseraError(
      'VALIDATION_FAILED',
      'value: standard input was empty; pipe the value in, e.g. printf %s "$VALUE" | tessera secret add NAME --env ENV',
    );
  return value;
}

function expiryOption(value: string): string {
  if (value === 'unknown') return value;
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError(`'${value}' is not a date; use e.g. 2027-01-31, or 'unknown'`);
  return value;
}

function metadataOf(options: MetadataOptions) {
  return {
    provider: options.provider,
    owner: options.owner,
    description: options.description,
    tags: options.tag,
    expiresAt: options.expiresAt === 'unknown' ? null : options.expiresAt,
    rotationMethod: options.rotationMethod,
  };
}

function addMetadataOptions(command: Command): Command {
  return command
    .option('--provider <name>', 'the third party that issued it, e.g. stripe (default: recognised from the value, where its format is known)')
    .option('--owner <owner>', 'person or team accountable for it')
    .option('--description <text>', 'why it exists and who uses it')
    .option('--tag <tags>', 'tag, repeatable or comma-separated', collect)
    .option('--expires-at <date>', "expiry as an ISO 8601 date, or 'unknown'", expiryOption)
    .option('--rotation-method <method>', 'how it is rotated, e.g. manual');
}

function printDuplicates(duplicates: SecretReference[]): void {
  if (duplicates.length === 0) return;
  const names = duplicates.map((duplicate) => `${duplicate.environment}/${duplicate.name}`).join(', ');
  process.stderr.write(`warning: the same value is also stored as ${names}\n`);
}

export function printSecret(secret: Secret): void {
  printDetails([
    ['name', secret.name],
    ['environment', secret.environment],
    ['provider', secret.provider],
    ['owner', secret.owner],
    ['description', secret.description],
    ['tags', secret.tags.join(' ') || null],
    ['version', secret.version],
    ['expires', secret.expiresAt ? shortTime(secret.expiresAt) : 'unknown'],
    ['rotation', secret.rotationMethod],
    ['created', shortTime(secret.createdAt)],
    ['updated', shortTime(secret.updatedAt)],
    ['last read', shortTime(secret.lastReadAt)],
  ]);
}

/** Asks for an owner on a terminal; elsewhere the owner must come from --owner. */
async function askOwner(): Promise<string> {
  if (!process.stdin.isTTY) throw new TesseraError('VALIDATION_FAILED', 'owner: give --owner; standard input is not a terminal to ask on', { field: 'owner' });
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const owner = (await prompt.question('Owner of the imported secrets (person or team): ')).trim();
    if (!owner) throw new TesseraError('VALIDATION_FAILED', 'owner: must not be empty; give --owner', { field: 'owner' });
    return owner;
  } finally {
    prompt.close();
  }
}

export function registerSecretCommands(program: Command, withClient: WithClient): void {
  const secret = program.command('secret').description('store third-party tokens encrypted, with owner, expiry and versions');
  registerSecretRotationCommands(secret, withClient);
  registerSecretRetirementCommands(secret, withClient);

  addMetadataOptions(secret.command('add <name>').description('store a secret; the value is read from standard input, never from the command line'))
    .requiredOption(...environmentOption)
    .action((name: string, options: MetadataOptions & { env: string }) =>
      withClient(async (client, globals) => {
        const value = await readValue('Value');
        const stored = await client.createSecret({ name, environment: options.env, value, ...metadataOf(options) });
        printDuplicates(stored.duplicates);
        if (globals.json) printJson(stored);
        else printSecret(stored.secret);
      }),
    );

  secret
    .command('list')
    .description('list secrets, without values')
    .option(...environmentOption)
    .option('--owner <owner>', 'only secrets of this owner')
    .option('--provider <provider>', 'only secrets of this provider')
    .option('--search <text>', 'only secrets with this text, ignoring case, in the name, owner, provider, description or a tag')
    .addOption(
      new Option('--sort <field>', 'sort by this field, ties by id; secrets without a value come last').choices(secretSortFields.map((field) => field.name)),
    )
    .addOption(new Option('--order <order>', 'sort direction (default: asc)').choices(['asc', 'desc']))
    .action((options: { env?: string; owner?: string; provider?: string; search?: string; sort?: string; order?: string }) =>
      withClient(async (client, globals) => {
        const secrets: Secret[] = [];
        let cursor: string | undefined;
        do {
          const filters = {
            environment: options.env,
            owner: options.owner,
            provider: options.provider,
            q: options.search,
            sort: options.sort,
            order: options.order,
          };
          const page = await client.listSecrets({ ...filters, limit: 500, ...(cursor && { cursor }) });
          secrets.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        if (globals.json) {
          printJson(secrets);
          return;
        }
        printTable(
          ['environment', 'name', 'provider', 'owner', 'version', 'expires', 'last read'],
          secrets.map((item) => [
            item.environment,
            item.name,
            item.provider,
            item.owner,
            item.version,
            shortTime(item.expiresAt) ?? 'unknown',
            shortTime(item.lastReadAt),
          ]),
        );
      }),
    );

  secret
    .command('show <name>')
    .description('show a secret and its versions, without values')
    .requiredOption(...environmentOption)
    .action((name: string, options: { env: string }) =>
      withClient(async (client, globals) => {
        const details = await client.getSecret(options.env, name);
        if (globals.json) {
          printJson(details);
          return;
        }
        printSecret(details);
        printTable(
          ['version', 'created', 'by', 'master key version'],
          details.versions.map((version) => [version.version, shortTime(version.createdAt), version.createdBy, version.keyVersion]),
        );
      }),
    );

  addMetadataOptions(secret.command('update <name>').description('change a secret; with --value, a new value from standard input becomes its next version'))
    .requiredOption(...environmentOption)
    .option('--value', 'read a new value from standard input')
    .action((name: string, options: MetadataOptions & { env: string; value?: boolean }) =>
      withClient(async (client, globals) => {
        const value = options.value ? await readValue('New value') : undefined;
        const input = Object.fromEntries(Object.entries({ ...metadataOf(options), value }).filter(([, item]) => item !== undefined));
        if (Object.keys(input).length === 0)
          throw new TesseraError('VALIDATION_FAILED', 'nothing to change; give --value or a metadata option such as --owner');
        const stored = await client.updateSecret(options.env, name, input);
        printDuplicates(stored.duplicates);
        if (globals.json) printJson(stored);
        else printSecret(stored.secret);
      }),
    );

  secret
    .command('remove <name>')
    .description('remove a secret and all its versions')
    .requiredOption(...environmentOption)
    .action((name: string, options: { env: string }) =>
      withClient(async (client, globals) => {
        const removed = await client.removeSecret(options.env, name);
        if (globals.json) printJson(removed);
        else process.stdout.write(`Removed ${removed.environment}/${removed.name} and its ${removed.version} version(s).\n`);
      }),
    );

  secret
    .command('get <name>')
    .description('print the value for a pipe, with no newline added; audited (scope secrets:reveal)')
    .requiredOption(...environmentOption)
    .option('--version <number>', 'an earlier version', (value) => {
      const version = Number(value);
      if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError(`'${value}' is not a version; use a number from 1`);
      return version;
    })
    .action((name: string, options: { env: string; version?: number }) =>
      withClient(async (client, globals) => {
        const revealed = await client.revealSecret(options.env, name, { version: options.version, purpose: 'get' });
        if (globals.json) printJson({ name: revealed.secret.name, environment: revealed.secret.environment, version: revealed.version, value: revealed.value });
        else process.stdout.write(revealed.value);
      }),
    );

  secret
    .command('import <file>')
    .description('import a .env file; bad lines are reported with their numbers and the good ones imported together')
    .requiredOption(...environmentOption)
    .option('--owner <owner>', 'owner of every imported secret (asked for on a terminal when missing)')
    .option('--description <text>', 'description of every imported secret')
    .action((file: string, options: { env: string; owner?: string; description?: string }) =>
      withClient(async (client, globals) => {
        const parsed = parseDotenv(await readFile(file, 'utf8'));
        const owner = options.owner ?? (await askOwner());
        const result =
          parsed.entries.length > 0
            ? await client.importSecrets({ environment: options.env, owner, description: options.description, entries: parsed.entries })
            : { imported: [], rejected: [], duplicates: [] };
        const problems = [...parsed.errors.map((error) => ({ line: error.line, message: error.message })), ...result.rejected].sort((a, b) => a.line - b.line);

        if (globals.json) {
          printJson({ imported: result.imported, rejected: problems, duplicates: result.duplicates });
        } else {
          for (const item of result.imported)
            process.stdout.write(`imported ${options.env}/${item.name} (line ${item.line}${item.provider ? `, ${item.provider}` : ''})\n`);
          for (const group of result.duplicates) {
            process.stdout.write(`duplicate value: ${group.map((reference) => `${reference.environment}/${reference.name}`).join(', ')}\n`);
          }
        }
        for (const problem of problems) process.stderr.write(`${file}:${problem.line}: ${problem.message}\n`);
        process.stderr.write(`${result.imported.length} imported, ${problems.length} rejected\n`);
        return problems.length > 0 ? 1 : 0;
      }),
    );
}
