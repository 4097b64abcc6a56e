import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { WithClient } from '../client.js';
import { printJson } from '../output.js';

async function writeLine(stream: Writable, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}

export function registerAuditCommands(program: Command, withClient: WithClient): void {
  const audit = program.command('audit').description('check and export the hash-chained audit log');

  audit
    .command('verify')
    .description('check the hash chain; exit code 1 and the first altered or missing entry when broken')
    .action(() =>
      withClient(async (client, globals) => {
        const result = await client.verifyAudit();
        if (globals.json) printJson(result);
        else if (result.ok) process.stdout.write(`Audit log intact: ${result.checked} entries checked.\n`);
        else
          process.stdout.write(
            `Audit log BROKEN at entry ${result.firstBreak?.seq}: ${result.firstBreak?.message}\n${result.checked} entries before it are intact.\n`,
          );
        return result.ok ? 0 : 1;
      }),
    );

  audit
    .command('export')
    .description('write every entry, oldest first, as JSON Lines')
    .option('--output <file>', 'write to this file instead of standard output')
    .action((options: { output?: string }) =>
      withClient(async (client, globals) => {
        const stream = options.output ? createWriteStream(options.output, { mode: 0o600 }) : process.stdout;
        let count = 0;
        for await (const entry of client.exportAudit()) {
          await writeLine(stream, `${JSON.stringify(entry)}\n`);
          count += 1;
        }
        if (options.output) {
          stream.end();
          await once(stream, 'finish');
          if (globals.json) printJson({ exported: count, file: options.output });
          else process.stderr.write(`Exported ${count} entries to ${options.output}.\n`);
        }
      }),
    );
}
