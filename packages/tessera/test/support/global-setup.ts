import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir } from './artifacts.js';

let logsDir = '';
let secretsDir = '';

/** Names this run's artifact folder; test workers start after this and inherit it through the environment. */
export function setup(): void {
  const runDir = join(artifactsDir, 'runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  logsDir = join(runDir, 'logs');
  secretsDir = join(runDir, 'secrets');
  for (const dir of [logsDir, secretsDir]) mkdirSync(dir, { recursive: true });
  process.env['TESSERA_TEST_RUN_DIR'] = runDir;

  // Earlier runs stay a day for inspection; a run still going on elsewhere is never that old.
  const runsDir = join(artifactsDir, 'runs');
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(runsDir)) {
    const path = join(runsDir, name);
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Fails the run when any log line written by any test contains any token plaintext a test created.
 * Vitest reports an exception thrown here but still exits 0, so the exit code is set as well.
 */
export function teardown(): void {
  try {
    scanLogs();
  } catch (error) {
    process.exitCode = 1;
    throw error;
  }
}

function scanLogs(): void {
  const secrets = new Set<string>();
  if (existsSync(secretsDir)) {
    for (const file of readdirSync(secretsDir)) for (const line of readFileSync(join(secretsDir, file), 'utf8').split('\n')) if (line) secrets.add(line);
  }
  if (!existsSync(logsDir)) throw new Error(`the log folder ${logsDir} of this run is gone, so its logs were not searched for token plaintexts`);

  for (const file of readdirSync(logsDir)) {
    const text = readFileSync(join(logsDir, file), 'utf8');
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`log ${file} contains a token plaintext (hint ${secret.slice(0, 6)}…${secret.slice(-4)})`);
    }
  }
  process.stdout.write(`Log scan: ${secrets.size} token plaintexts searched for in ${readdirSync(logsDir).length} log files; none found.\n`);
}
