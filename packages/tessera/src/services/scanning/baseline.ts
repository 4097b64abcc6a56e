import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { TesseraError } from '../../core/errors.js';

/**
 * Identifies an accepted finding across scans: the rule, the path and a hash of the secret, but
 * not the line or commit, so moving the line or finding it again in history still matches.
 * NOTE: a SHA-256 of a short, guessable password can be brute-forced; keep baselines with the code they describe.
 */
export function fingerprintOf(ruleId: string, path: string, secret: string): string {
  return createHash('sha256').update(`${ruleId}\0${path}\0${secret}`).digest('hex').slice(0, 32);
}

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  path: string;
  line: number;
}

interface BaselineFile {
  version: 1;
  findings: BaselineEntry[];
}

/** Reads a baseline's fingerprints; the error names the file and what is wrong with it. */
export async function readBaseline(path: string): Promise<Set<string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new TesseraError('VALIDATION_FAILED', `--baseline ${path}: cannot be read (${reason}); create one with --write-baseline`, { field: 'baseline' });
  }
  const file = parsed as Partial<BaselineFile>;
  if (file.version !== 1 || !Array.isArray(file.findings) || file.findings.some((entry) => typeof entry?.fingerprint !== 'string')) {
    throw new TesseraError(
      'VALIDATION_FAILED',
      `--baseline ${path}: not a baseline file (expected {"version": 1, "findings": [...]}); create one with --write-baseline`,
      {
        field: 'baseline',
      },
    );
  }
  return new Set(file.findings.map((entry) => entry.fingerprint));
}

/** Writes the findings of a scan as the accepted baseline, one entry per fingerprint, sorted so diffs stay small. */
export async function writeBaseline(path: string, entries: BaselineEntry[]): Promise<void> {
  const unique = new Map(entries.map((entry) => [entry.fingerprint, entry]));
  const findings = [...unique.values()].sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.ruleId.localeCompare(b.ruleId));
  const file: BaselineFile = { version: 1, findings };
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
}
