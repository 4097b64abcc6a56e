import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { TesseraError } from '../../core/errors.js';

const execFileAsync = promisify(execFile);

/** Runs git in `directory` and returns its standard output; a failure names the command and git's message. */
export async function runGit(directory: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd: directory, maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new TesseraError('VALIDATION_FAILED', `git ${args[0]} failed in ${directory}: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** True when `directory` is inside a git work tree. */
export async function isInsideWorkTree(directory: string): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: directory, encoding: 'utf8' });
    return stdout.trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * Streams git's standard output line by line, so a long history is parsed as it arrives rather
 * than held in memory whole. Rejects with git's message when it exits with an error.
 */
export async function* streamGitLines(directory: string, args: string[]): AsyncGenerator<string> {
  const child = spawn('git', args, { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });

  let pending = '';
  for await (const chunk of child.stdout.setEncoding('utf8') as AsyncIterable<string>) {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  if (pending !== '') yield pending;

  const code = await exited;
  if (code !== 0) throw new TesseraError('VALIDATION_FAILED', `git ${args[0]} failed in ${directory}: ${stderr.trim() || `exit code ${code}`}`);
}
