import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { createLogger } from '../../src/services/logger.js';

// Every log line the suite produces goes to test-artifacts/runs/<run>/logs, and every token plaintext
// the suite creates to test-artifacts/runs/<run>/secrets. The global teardown fails the run if any log contains any of them.
// Each run has its own folder, named by the global setup, so that runs on one machine never mix.
export const artifactsDir = resolve(import.meta.dirname, '../../../../test-artifacts');
export const runDir = process.env['TESSERA_TEST_RUN_DIR'] ?? join(artifactsDir, 'runs', `standalone-${process.pid}`);
export const logsDir = join(runDir, 'logs');
export const secretsDir = join(runDir, 'secrets');

const secretsFile = join(secretsDir, `${process.pid}.txt`);

/** Records a plaintext the suite created, for the end-of-run search of every log line. */
export function rememberSecret(secret: string): string {
  mkdirSync(secretsDir, { recursive: true });
  appendFileSync(secretsFile, `${secret}\n`);
  return secret;
}

let loggerCount = 0;

/** Creates a production logger (same redaction) that writes to an artifact file, and a reader of the lines written so far. */
export function createTestLogger(name: string): { logger: Logger; lines: () => string[] } {
  const lines: string[] = [];
  mkdirSync(logsDir, { recursive: true });
  const file = join(logsDir, `${process.pid}-${++loggerCount}-${name.replace(/[^a-z0-9]+/gi, '-')}.log`);
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString();
      lines.push(...text.split('\n').filter(Boolean));
      appendFileSync(file, text);
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination: pino.multistream([{ stream: destination, level: 'debug' }]) });
  return { logger, lines: () => [...lines] };
}
