import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { logsDir, secretsDir } from './artifacts.js';

export function setup(): void {
  for (const dir of [logsDir, secretsDir]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
}

/** Fails the run when any log line written by any test contains any token plaintext a test created. */
export function teardown(): void {
  const secrets = new Set<string>();
  if (existsSync(secretsDir)) {
    for (const file of readdirSync(secretsDir)) for (const line of readFileSync(join(secretsDir, file), 'utf8').split('\n')) if (line) secrets.add(line);
  }
  if (!existsSync(logsDir)) return;

  for (const file of readdirSync(logsDir)) {
    const text = readFileSync(join(logsDir, file), 'utf8');
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`log ${file} contains a token plaintext (hint ${secret.slice(0, 6)}…${secret.slice(-4)})`);
    }
  }
  process.stdout.write(`Log scan: ${secrets.size} token plaintexts searched for in ${readdirSync(logsDir).length} log files; none found.\n`);
}
