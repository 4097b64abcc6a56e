import { spawn } from 'node:child_process';
import { TesseraError } from '../core/errors.js';
import type { ExecRotatorConfig, HttpRotatorConfig, RotatorConfig } from '../core/rotator-config.js';
import { maxValueBytes } from './secrets.js';

/** Facts a rotator receives with the value; `rotationId` is stable across a resumed step, so a rotator can be idempotent. */
export interface RotationFacts {
  rotationId: string;
  name: string;
  environment: string;
  provider: string | null;
  version: number;
}

function rotatorFailed(message: string): TesseraError {
  return new TesseraError('UNAVAILABLE', message);
}

/** The server's environment without Tessera's settings, so a rotator never receives the master key or the database URL. */
function programEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_') && key !== 'DATABASE_URL' && key !== 'REDIS_URL'));
}

/** Runs a program with the JSON document on stdin; returns its stdout. Errors name the program and exit code, never its output. */
function runProgram(argv: string[], stdin: string, timeoutSeconds: number, role: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], env: programEnvironment() });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: TesseraError | null, output?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(output!);
    };

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(rotatorFailed(`${role} '${argv[0]}' timed out after ${timeoutSeconds} s; raise timeoutSeconds or fix the program`));
    }, timeoutSeconds * 1000);

    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxValueBytes + 1) {
        child.kill('SIGKILL');
        finish(rotatorFailed(`${role} '${argv[0]}' printed more than ${maxValueBytes} bytes`));
      } else chunks.push(chunk);
    });
    child.on('error', (error) => finish(rotatorFailed(`${role} '${argv[0]}' could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) finish(null, Buffer.concat(chunks).toString('utf8'));
      else finish(rotatorFailed(`${role} '${argv[0]}' failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`));
    });
    // A program that exits without reading stdin closes the pipe; its exit code decides.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

async function execRotate(config: ExecRotatorConfig, value: string, facts: RotationFacts): Promise<string> {
  const output = await runProgram(config.command, JSON.stringify({ value, ...facts }), config.timeoutSeconds, 'rotator command');
  return output.replace(/\r?\n$/, '');
}

async function httpRotate(config: HttpRotatorConfig, value: string, facts: RotationFacts): Promise<string> {
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value, ...facts }),
      signal: AbortSignal.timeout(config.timeoutSeconds * 1000),
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw rotatorFailed(timedOut ? `rotator URL timed out after ${config.timeoutSeconds} s` : `rotator URL could not be reached: ${(error as Error).message}`);
  }
  if (!response.ok) throw rotatorFailed(`rotator URL returned HTTP ${response.status}; expected 200 with {"value": "..."}`);
  const body = (await response.json().catch(() => null)) as { value?: unknown } | null;
  if (!body || typeof body.value !== 'string') throw rotatorFailed('rotator URL returned no string "value" field; expected {"value": "..."}');
  return body.value;
}

/** Obtains a new value from the configured rotator. */
export function obtainNewValue(config: RotatorConfig, value: string, facts: RotationFacts): Promise<string> {
  return config.kind === 'exec' ? execRotate(config, value, facts) : httpRotate(config, value, facts);
}

/** Runs the exec rotator's test command with the new value; the http rotator has none, since its response already vouches for the value. */
export async function testNewValue(config: RotatorConfig, value: string, facts: RotationFacts): Promise<void> {
  if (config.kind !== 'exec' || !config.testCommand) return;
  await runProgram(config.testCommand, JSON.stringify({ value, ...facts }), config.timeoutSeconds, 'test command');
}
