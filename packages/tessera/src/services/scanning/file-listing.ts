import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { TesseraError } from '../../core/errors.js';
import { isInsideWorkTree, runGit } from './git.js';

/** A file to scan: its absolute path, and the path to report, relative to the working directory. */
export interface ListedFile {
  absolutePath: string;
  displayPath: string;
  size: number;
}

function toDisplayPath(base: string, absolutePath: string): string {
  const relativePath = relative(base, absolutePath);
  return (relativePath === '' || relativePath.startsWith('..') ? absolutePath : relativePath).split(sep).join('/');
}

/** Lists the files git would track under `directory`: tracked ones and untracked ones not ignored by .gitignore. */
async function listGitFiles(directory: string): Promise<string[]> {
  const output = await runGit(directory, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.']);
  return [...new Set(output.split('\0').filter(Boolean))].map((path) => resolve(directory, path));
}

async function readIgnoreFile(directory: string): Promise<string | null> {
  try {
    return await readFile(join(directory, '.gitignore'), 'utf8');
  } catch {
    return null;
  }
}

/** Walks a directory outside git, applying every .gitignore on the way down. Symbolic links are not followed. */
async function walkDirectory(root: string): Promise<string[]> {
  const files: string[] = [];
  const matchers: { base: string; matcher: Ignore }[] = [];

  const isIgnored = (absolutePath: string, isDirectory: boolean): boolean =>
    matchers.some(({ base, matcher }) => {
      const relativePath = relative(base, absolutePath).split(sep).join('/');
      return relativePath !== '' && !relativePath.startsWith('..') && matcher.ignores(isDirectory ? `${relativePath}/` : relativePath);
    });

  const visit = async (directory: string): Promise<void> => {
    const rules = await readIgnoreFile(directory);
    if (rules !== null) matchers.push({ base: directory, matcher: ignore().add(rules) });
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git' && !isIgnored(path, true)) await visit(path);
      } else if (entry.isFile() && !isIgnored(path, false)) {
        files.push(path);
      }
    }
    if (rules !== null) matchers.pop();
  };
  await visit(root);
  return files;
}

/**
 * Lists the files to scan under the given paths, respecting .gitignore: through git inside a
 * work tree, by walking outside one. A file named explicitly is scanned even when ignored.
 */
export async function listFiles(paths: string[], workingDirectory: string): Promise<ListedFile[]> {
  const listed = new Map<string, ListedFile>();
  for (const path of paths) {
    const absolutePath = resolve(workingDirectory, path);
    const stats = await lstat(absolutePath).catch(() => null);
    if (stats === null) throw new TesseraError('VALIDATION_FAILED', `path '${path}' does not exist; pass an existing file or directory`, { field: 'paths' });

    const candidates = stats.isDirectory()
      ? (await isInsideWorkTree(absolutePath))
        ? await listGitFiles(absolutePath)
        : await walkDirectory(absolutePath)
      : [absolutePath];
    for (const candidate of candidates) {
      const candidateStats = candidate === absolutePath ? stats : await lstat(candidate).catch(() => null);
      // A tracked file deleted from the work tree, a symbolic link or a socket has nothing to scan.
      if (candidateStats === null || !candidateStats.isFile()) continue;
      listed.set(candidate, { absolutePath: candidate, displayPath: toDisplayPath(workingDirectory, candidate), size: candidateStats.size });
    }
  }
  return [...listed.values()];
}

/** Builds a matcher for the configuration's `ignorePaths` (gitignore syntax, relative to the working directory). */
export function pathIgnorer(patterns: string[]): (displayPath: string) => boolean {
  if (patterns.length === 0) return () => false;
  const matcher = ignore().add(patterns);
  return (displayPath) => !displayPath.startsWith('/') && matcher.ignores(displayPath);
}
