import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { compileRules } from '../../core/scanner/compile-rules.js';
import { redactSecrets } from '../../core/scanner/redaction.js';
import type { CompiledRule } from '../../core/scanner/rule.js';
import { loadScannerConfig } from '../../services/scanning/scan-config.js';

// A private key spans lines, so its lines are held back until its END line (or this many lines) arrive.
const maxHeldLines = 200;
const beginPrivateKey = /-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/;
const endPrivateKey = /-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/;

/**
 * Copies standard input to standard output line by line, masking every secret a rule matches, so
 * that `app | tessera redact` can sit in front of a log shipper. Each line is written as soon as
 * it is read, except the lines of a private key, which are masked together once the key ends.
 */
async function redactStream(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, rules: CompiledRule[]): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let privateKeyLines: string[] = [];
  const write = (text: string): void => void output.write(`${redactSecrets(text, rules)}\n`);

  for await (const line of lines) {
    if (privateKeyLines.length > 0) {
      privateKeyLines.push(line);
      if (endPrivateKey.test(line) || privateKeyLines.length >= maxHeldLines) {
        write(privateKeyLines.join('\n'));
        privateKeyLines = [];
      }
    } else if (beginPrivateKey.test(line) && !endPrivateKey.test(line)) {
      privateKeyLines.push(line);
    } else {
      write(line);
    }
  }
  if (privateKeyLines.length > 0) write(privateKeyLines.join('\n'));
}

export function registerRedactCommand(program: Command): void {
  program
    .command('redact')
    .description('copy standard input to standard output with every secret a scanner rule matches masked (a filter for logs)')
    .option('--config <file>', 'scanner configuration with own or disabled rules (default: .tessera-scan.json if present)')
    .action(async (options: { config?: string }) => {
      const config = await loadScannerConfig(process.cwd(), options.config);
      await redactStream(process.stdin, process.stdout, compileRules(config));
    });
}
