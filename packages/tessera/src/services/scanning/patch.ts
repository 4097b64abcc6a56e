/** The lines one commit (or the staged change) added to one file, with their line numbers in the new file. */
export interface AddedText {
  path: string;
  commit: string | null;
  text: string;
  /** `lineNumbers[i]` is the new file's line number of line i of `text`. */
  lineNumbers: number[];
}

export const commitMarker = 'tessera-commit ';

/**
 * Parses `git log -p -U0` or `git diff -U0` output into the added text per file. The log must be
 * run with `--format=tessera-commit %H` so each commit's id starts a line of its own.
 */
export async function* parseAddedText(lines: AsyncIterable<string>): AsyncGenerator<AddedText> {
  let commit: string | null = null;
  let current: AddedText | null = null;
  let nextLine = 0;
  let previous = '';

  for await (const line of lines) {
    const follows = previous;
    previous = line;
    if (line.startsWith(commitMarker)) {
      if (current?.lineNumbers.length) yield current;
      current = null;
      commit = line.slice(commitMarker.length).trim();
    } else if (line.startsWith('diff --git ')) {
      if (current?.lineNumbers.length) yield current;
      current = null;
    } else if (line.startsWith('+++ ') && follows.startsWith('--- ')) {
      // The "+++" header always follows "---"; an added line "++ x" also starts with "+++ ".
      const path = line.slice(4);
      // "+++ /dev/null" is a deletion: nothing was added.
      current = path === '/dev/null' ? null : { path: unquotePath(path.replace(/^"?b\//, '')), commit, text: '', lineNumbers: [] };
    } else if (line.startsWith('@@ ')) {
      const match = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(line);
      nextLine = match ? Number(match[1]) : 0;
    } else if (current !== null && line.startsWith('+')) {
      current.text += current.lineNumbers.length === 0 ? line.slice(1) : `\n${line.slice(1)}`;
      current.lineNumbers.push(nextLine++);
    }
  }
  if (current?.lineNumbers.length) yield current;
}

/** Undoes git's C-style quoting of a path with unusual characters ("b/caf\303\251.txt"). */
function unquotePath(path: string): string {
  if (!path.endsWith('"')) return path;
  const inner = path.slice(0, -1);
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '\\' && /[0-7]{3}/.test(inner.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(inner.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (inner[i] === '\\') {
      const escaped = inner[++i]!;
      bytes.push(({ n: 10, t: 9, '"': 34, '\\': 92 } as Record<string, number>)[escaped] ?? escaped.charCodeAt(0));
    } else {
      bytes.push(...Buffer.from(inner[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
