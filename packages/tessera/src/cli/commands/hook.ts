import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import { runGit } from '../../services/scanning/git.js';

const hookMarker = '# Installed by "tessera hook install".';
const cliEntry = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/tessera.js');

/** The pre-commit hook: `tessera` from PATH when there is one, else the CLI that installed the hook. */
function hookScript(): string {
  const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;
  return [
    '#!/bin/sh',
    hookMarker,
    '# Blocks a commit that adds a secret; accept a finding with a tessera:allow comment or a baseline.',
    'if command -v tessera >/dev/null 2>&1; then',
    '  exec tessera scan --staged',
    'fi',
    `exec ${quote(process.execPath)} ${quote(cliEntry)} scan --staged`,
    '',
  ].join('\n');
}

/** Returns the pre-commit hook's path, honouring core.hooksPath. */
async function hookPath(): Promise<string> {
  const path = (await runGit(process.cwd(), ['rev-parse', '--git-path', 'hooks/pre-commit'])).trim();
  return isAbsolute(path) ? path : join(process.cwd(), path);
}

async function readExisting(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export function registerHookCommands(program: Command): void {
  const hook = program.command('hook').description('install or remove a git pre-commit hook that runs "tessera scan --staged"');

  hook
    .command('install')
    .description('write .git/hooks/pre-commit (or the one core.hooksPath names)')
    .option('--force', 'replace a pre-commit hook that tessera did not install')
    .action(async (options: { force?: boolean }) => {
      const path = await hookPath();
      const existing = await readExisting(path);
      if (existing !== null && !existing.includes(hookMarker) && !options.force) {
        throw new TesseraError(
          'CONFLICT',
          `${path} already exists and was not installed by tessera; add "tessera scan --staged" to it, or pass --force to replace it`,
        );
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, hookScript());
      await chmod(path, 0o755);
      process.stdout.write(`installed ${path}\n`);
    });

  hook
    .command('uninstall')
    .description('remove the pre-commit hook if tessera installed it')
    .action(async () => {
      const path = await hookPath();
      const existing = await readExisting(path);
      if (existing === null) return void process.stdout.write(`no pre-commit hook at ${path}\n`);
      if (!existing.includes(hookMarker)) throw new TesseraError('CONFLICT', `${path} was not installed by tessera; remove it by hand if you mean to`);
      await rm(path);
      process.stdout.write(`removed ${path}\n`);
    });
}
