import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { logsDir, rememberSecret } from './artifacts.js';

/** The built CLI entry point; `npm run build` must have run first (`npm test` does it). */
export const cliPath = resolve(import.meta.dirname, '../../bin/tessera.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to a copy of the test process environment without any TESSERA_* or DATABASE_URL variable; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to standard input before it is closed. Without it, standard input is closed at once. */
  stdin?: string;
  cwd?: string;
  timeoutMs?: number;
}

const adminTokenPattern = /tessera_admin_[0-9A-Za-z]{49}/;

/** Builds a child's environment without the Tessera settings of the machine running the tests, then applies the overrides. */
function childEnvironment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TESSERA_') || key === 'DATABASE_URL') continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs the CLI binary to completion and returns its exit code and output. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd,
      env: childEnvironment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);

    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' fires after both output pipes have ended, so nothing written before exit is lost.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === null) reject(new Error(`tessera ${args.join(' ')} was killed by ${signal}; stderr: ${stderr}`));
      else resolvePromise({ code, stdout, stderr });
    });

    child.stdin.on('error', () => {
      // The CLI may exit without reading standard input, so a broken pipe here is expected.
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export interface ServeOptions {
  /** Names the artifact log file that receives the server's standard output. */
  name: string;
  /** Arguments after the binary, starting with `serve`. */
  args: string[];
  /** The port the server is expected to listen on, probed at /readyz. */
  port: number;
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
}

export interface ServeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServeProcess {
  url: string;
  /** Milliseconds from spawning the process to the first 200 from /readyz. */
  readyAfterMs: number;
  stdout(): string;
  stderr(): string;
  /** Standard output split into lines: the server's JSON log. */
  logLines(): string[];
  /** Waits until standard error matches the pattern and returns the match. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The first admin token printed on standard error, once it has appeared. */
  waitForAdminToken(timeoutMs?: number): Promise<string>;
  /** Sends SIGTERM and resolves once the process has exited and its output pipes are closed. */
  stop(timeoutMs?: number): Promise<ServeExit>;
  /** Sends SIGKILL, as a crash would, and resolves once the process is gone. */
  kill(): Promise<ServeExit>;
}

let serveCount = 0;

/**
 * Spawns `tessera serve` and waits until /readyz returns 200. Standard output (JSON log lines) is
 * copied to the artifact logs directory for the secret scan. Standard error, which contains the
 * first admin token, stays in memory only.
 */
export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const logFile = join(logsDir, `${process.pid}-serve-${++serveCount}-${options.name.replace(/[^a-z0-9]+/gi, '-')}.log`);
  const url = `http://127.0.0.1:${options.port}`;

  const startedAt = performance.now();
  const child = spawn(process.execPath, [cliPath, ...options.args], { env: childEnvironment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const stderrListeners = new Set<() => void>();
  mkdirSync(logsDir, { recursive: true });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    appendLog(logFile, chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const listener of stderrListeners) listener();
  });

  let exit: ServeExit | null = null;
  const closed = new Promise<ServeExit>((resolvePromise) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      for (const listener of stderrListeners) listener();
      resolvePromise(exit);
    });
  });

  try {
    await waitUntilReady(url, child, () => exit, readyTimeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    await closed;
    throw new Error(`${(error as Error).message}; exit ${JSON.stringify(exit)}; stderr: ${redactAdminToken(stderr)}; stdout: ${stdout}`);
  }
  const readyAfterMs = performance.now() - startedAt;

  const waitForStderr = (pattern: RegExp, timeoutMs = 5_000): Promise<string> =>
    new Promise((resolvePromise, reject) => {
      const check = (): void => {
        const match = pattern.exec(stderr);
        if (match) finish(() => resolvePromise(match[0]));
        else if (exit) finish(() => reject(new Error(`serve exited before stderr matched ${pattern}; stderr: ${redactAdminToken(stderr)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        stderrListeners.delete(check);
        settle();
      };
      stderrListeners.add(check);
      check();
    });

  return {
    url,
    readyAfterMs,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () => stdout.split('\n').filter(Boolean),
    waitForStderr,
    async waitForAdminToken(timeoutMs) {
      return rememberSecret(await waitForStderr(adminTokenPattern, timeoutMs));
    },
    async kill() {
      if (exit) return exit;
      child.kill('SIGKILL');
      return closed;
    },
    async stop(timeoutMs = 10_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`serve did not exit within ${timeoutMs} ms of SIGTERM`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([closed, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Appends to an artifact log, recreating its folder if it vanished, so a log line is never dropped. */
function appendLog(file: string, text: string): void {
  try {
    appendFileSync(file, text);
  } catch (error) {
    // NOTE: the global setup of a concurrent run on the same machine may prune this run's folder.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, text);
  }
}

async function waitUntilReady(url: string, child: ChildProcess, exited: () => ServeExit | null, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (performance.now() < deadline) {
    if (exited() || child.exitCode !== null) throw new Error(`serve exited before ${url}/readyz returned 200`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastProblem = `status ${response.status}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 25));
  }
  throw new Error(`${url}/readyz did not return 200 within ${timeoutMs} ms (last: ${lastProblem})`);
}

/** Masks admin tokens in text that goes into an error message, since vitest may print it. */
function redactAdminToken(text: string): string {
  return text.replace(new RegExp(adminTokenPattern.source, 'g'), 'tessera_admin_[redacted]');
}
