import type { Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import type { Tessera } from '../../services/tessera.js';
import { printJson } from '../output.js';
import { resolveDataDir, type GlobalOptions } from '../settings.js';

function showProgress(progress: { rewrapped: number; remaining: number }): void {
  // Progress only on a terminal, so logs and pipes stay clean.
  if (process.stderr.isTTY) process.stderr.write(`\rrewrapped ${progress.rewrapped}, ${progress.remaining} to go `);
}

// The store and key modules load only when the command runs, so that other commands start quickly.
async function openInstallation(options: GlobalOptions): Promise<Tessera> {
  const { Tessera } = await import('../../services/tessera.js');
  return Tessera.open({ dataDir: resolveDataDir(options.dataDir), databaseUrl: options.databaseUrl, masterKey: process.env['TESSERA_MASTER_KEY'] });
}

export function registerKeyCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('manage the master key versions that hash tokens and wrap secret data keys');

  keys
    .command('rotate')
    .description(
      'add a master key version to the key file and rewrap every data key under it, in batches; if interrupted, run it again to resume. With TESSERA_MASTER_KEY, add the version there first (1:<old>,2:<new>) and this rewraps',
    )
    .option('--batch-size <number>', 'values rewrapped per committed batch', (value) => Number(value), 200)
    .action(async (commandOptions: { batchSize: number }) => {
      const options = globals();
      if (options.url)
        throw new TesseraError('VALIDATION_FAILED', '--url: keys rotate works on the data directory or database only; run it where the master key is');
      if (!Number.isInteger(commandOptions.batchSize) || commandOptions.batchSize < 1) {
        throw new TesseraError('VALIDATION_FAILED', '--batch-size: must be a whole number from 1');
      }
      const fromEnvironment = process.env['TESSERA_MASTER_KEY'] !== undefined;
      const { countPendingRewraps, rewrapDataKeys } = await import('../../services/key-rotation.js');
      const { addMasterKeyVersion } = await import('../../services/key-file.js');
      const { localOperator } = await import('../../services/actor.js');

      let tessera = await openInstallation(options);
      let addedVersion: number | null = null;
      try {
        // Values still under an older version mean an earlier run was interrupted: finish it rather than add another version.
        if (!fromEnvironment && (await countPendingRewraps(tessera.context)) === 0) {
          await tessera.close();
          addedVersion = await addMasterKeyVersion(resolveDataDir(options.dataDir));
          tessera = await openInstallation(options);
        }

        const result = await rewrapDataKeys(tessera.context, localOperator(), { batchSize: commandOptions.batchSize, onBatch: showProgress });
        if (process.stderr.isTTY && result.rewrapped > 0) process.stderr.write('\n');

        if (options.json) {
          printJson({ keyVersion: result.keyVersion, addedVersion, rewrapped: result.rewrapped });
        } else {
          const added = addedVersion === null ? '' : `Added master key version ${addedVersion} to the key file. `;
          const hint =
            fromEnvironment && result.rewrapped === 0
              ? ' To rotate with TESSERA_MASTER_KEY, append a new version (e.g. 1:<old>,2:<openssl rand -base64 32>) on every node, restart them, and run this again.'
              : '';
          process.stdout.write(`${added}Rewrapped ${result.rewrapped} data key(s) under master key version ${result.keyVersion}.${hint}\n`);
        }
      } finally {
        await tessera.close();
      }
    });
}
