import { TesseraError } from '../../core/errors.js';
import type { ScannerConfig } from '../../core/scanner/compile-rules.js';
import { defaultMaxFindings } from '../../core/scanner/engine.js';
import type { Finding } from '../../core/scanner/finding.js';
import { fingerprintOf } from './baseline.js';
import { listFiles, pathIgnorer, type ListedFile } from './file-listing.js';
import { runGit, streamGitLines } from './git.js';
import { commitMarker, parseAddedText, type AddedText } from './patch.js';
import { createScanPool, type ScanPool } from './scan-pool.js';
import type { ScanJob, ScanJobResult } from './scan-job.js';
import type { ProgressReporter, ScanReport, ScanSource } from './scan-report.js';

export interface ScanRunOptions {
  workingDirectory: string;
  config: ScannerConfig;
  /** Worker threads for a large scan; small scans run in this thread whatever the value. */
  threads: number;
  maxFindings?: number | undefined;
  /** Files larger than this many bytes are skipped with a note. */
  maxFileBytes?: number | undefined;
  baseline?: Set<string> | undefined;
  progress?: ProgressReporter | undefined;
}

export const defaultMaxFileBytes = 64 * 1024 * 1024;

// Below these sizes starting worker threads costs more than it saves (an estimate from local runs).
const threadThresholdBytes = 4 * 1024 * 1024;
const threadThresholdFiles = 200;

const jobBatchFiles = 32;
const jobBatchBytes = 4 * 1024 * 1024;

/** Source of a job's text (path, commit, line numbers), to turn its findings into reported ones. */
interface JobOrigin {
  path: string;
  commit: string | null;
  source: ScanSource;
  lineNumbers?: number[] | undefined;
}

/** Collects results into a report: baseline filtering, fingerprints, notes and counters. */
class ReportBuilder {
  readonly report: ScanReport = { findings: [], notes: [], filesScanned: 0, bytesScanned: 0, baselined: 0 };

  constructor(private readonly baseline: Set<string> | undefined) {}

  note(origin: JobOrigin, message: string): void {
    this.report.notes.push({ path: origin.path, commit: origin.commit, message });
  }

  add(origin: JobOrigin, result: ScanJobResult): void {
    if (result.kind === 'failed') return this.note(origin, `skipped: cannot be read (${result.message})`);
    this.report.filesScanned++;
    this.report.bytesScanned += result.bytes;
    if (result.kind === 'binary') return this.note(origin, 'skipped: binary file');
    if (result.truncated) this.note(origin, 'more findings than the report limit; only the first ones are listed');
    for (const finding of result.findings) this.addFinding(origin, finding);
  }

  private addFinding(origin: JobOrigin, finding: Finding): void {
    const fingerprint = fingerprintOf(finding.ruleId, origin.path, finding.secret);
    if (this.baseline?.has(fingerprint)) {
      this.report.baselined++;
      return;
    }
    const line = origin.lineNumbers?.[finding.line - 1] ?? finding.line;
    this.report.findings.push({ ...finding, line, source: origin.source, path: origin.path, commit: origin.commit, fingerprint });
  }
}

/** Runs batches of jobs on the pool, keeping every thread busy, and feeds the results to the report. */
async function runBatches(
  pool: ScanPool,
  batches: AsyncIterable<[ScanJob, JobOrigin][]> | Iterable<[ScanJob, JobOrigin][]>,
  builder: ReportBuilder,
  onDone: (bytes: number) => void,
): Promise<void> {
  const running = new Set<Promise<void>>();
  const limit = 4;
  for await (const batch of batches) {
    const origins = new Map(batch.map(([job, origin]) => [job.id, origin]));
    const task = pool.run(batch.map(([job]) => job)).then((results) => {
      for (const result of results) {
        builder.add(origins.get(result.id)!, result);
        onDone(result.kind === 'failed' ? 0 : result.bytes);
      }
    });
    const tracked = task.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
}

function sortFindings(report: ScanReport): ScanReport {
  report.findings.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column);
  return report;
}

/** Scans files and directories, respecting .gitignore and the configuration's ignorePaths. */
export async function scanPaths(paths: string[], options: ScanRunOptions): Promise<ScanReport> {
  const builder = new ReportBuilder(options.baseline);
  const isIgnored = pathIgnorer(options.config.ignorePaths ?? []);
  const maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;

  const files: ListedFile[] = [];
  for (const file of await listFiles(paths, options.workingDirectory)) {
    if (isIgnored(file.displayPath)) continue;
    if (file.size > maxFileBytes) builder.note({ path: file.displayPath, commit: null, source: 'file' }, `skipped: larger than ${maxFileBytes} bytes`);
    else files.push(file);
  }

  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const useThreads = totalBytes > threadThresholdBytes || files.length > threadThresholdFiles;
  const pool = createScanPool({ config: options.config, maxFindings: options.maxFindings ?? defaultMaxFindings, threads: useThreads ? options.threads : 0 });

  const batches: [ScanJob, JobOrigin][][] = [];
  let batch: [ScanJob, JobOrigin][] = [];
  let batchBytes = 0;
  files.forEach((file, id) => {
    batch.push([
      { id, kind: 'file', path: file.absolutePath },
      { path: file.displayPath, commit: null, source: 'file' },
    ]);
    batchBytes += file.size;
    if (batch.length >= jobBatchFiles || batchBytes >= jobBatchBytes) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
  });
  if (batch.length > 0) batches.push(batch);

  let done = 0;
  let doneBytes = 0;
  try {
    await runBatches(pool, batches, builder, (bytes) => {
      done++;
      doneBytes += bytes;
      options.progress?.update(done, files.length, doneBytes);
    });
  } finally {
    options.progress?.finish();
    await pool.close();
  }
  return sortFindings(builder.report);
}

/** Groups added texts into batches of jobs of about `jobBatchBytes`. */
async function* batchAddedTexts(
  texts: AsyncIterable<AddedText>,
  source: ScanSource,
  isIgnored: (path: string) => boolean,
): AsyncGenerator<[ScanJob, JobOrigin][]> {
  let batch: [ScanJob, JobOrigin][] = [];
  let bytes = 0;
  let id = 0;
  for await (const added of texts) {
    if (isIgnored(added.path)) continue;
    batch.push([
      { id: id++, kind: 'text', text: added.text },
      { path: added.path, commit: added.commit, source, lineNumbers: added.lineNumbers },
    ]);
    bytes += added.text.length;
    if (batch.length >= jobBatchFiles * 4 || bytes >= jobBatchBytes) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

async function scanAddedTexts(gitArgs: string[], source: ScanSource, options: ScanRunOptions, threads: number): Promise<ScanReport> {
  const builder = new ReportBuilder(options.baseline);
  const isIgnored = pathIgnorer(options.config.ignorePaths ?? []);
  const pool = createScanPool({ config: options.config, maxFindings: options.maxFindings ?? defaultMaxFindings, threads });
  const texts = parseAddedText(streamGitLines(options.workingDirectory, gitArgs));

  let done = 0;
  let doneBytes = 0;
  try {
    await runBatches(pool, batchAddedTexts(texts, source, isIgnored), builder, (bytes) => {
      done++;
      doneBytes += bytes;
      options.progress?.update(done, 0, doneBytes);
    });
  } finally {
    options.progress?.finish();
    await pool.close();
  }
  return sortFindings(builder.report);
}

export interface HistoryRange {
  /** A commit (only later commits are scanned) or a date git understands, e.g. 2024-01-31 or "2 weeks ago". */
  since?: string | undefined;
  /** One branch or other revision; every ref when absent. */
  branch?: string | undefined;
}

async function isCommit(directory: string, revision: string): Promise<boolean> {
  try {
    await runGit(directory, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Scans the lines each commit added, so a secret committed and later removed is still found, with
 * the commit that added it. Every ref is scanned unless a branch is given.
 */
export async function scanHistory(range: HistoryRange, options: ScanRunOptions): Promise<ScanReport> {
  const args = ['log', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-renames', `--format=${commitMarker}%H`];
  if (range.branch !== undefined) {
    if (!(await isCommit(options.workingDirectory, range.branch))) {
      throw new TesseraError('VALIDATION_FAILED', `--branch '${range.branch}' is not a branch or commit in this repository`, {
        field: 'branch',
      });
    }
    args.push(range.branch);
  } else {
    args.push('--all');
  }
  if (range.since !== undefined) {
    if (await isCommit(options.workingDirectory, range.since)) args.push(`^${range.since}`);
    else args.push(`--since=${range.since}`);
  }
  return scanAddedTexts(args, 'history', options, options.threads);
}

/** Scans what `git commit` would record now: the lines added in the index. Runs in this thread, because a pre-commit hook must be quick. */
export async function scanStaged(options: ScanRunOptions): Promise<ScanReport> {
  const args = ['diff', '--cached', '-U0', '--no-color', '--no-ext-diff', '--no-renames', '--diff-filter=ACMR'];
  return scanAddedTexts(args, 'staged', options, 0);
}

/** Scans text read from standard input (logs, CI output) in this thread. */
export async function scanStandardInput(text: string, options: ScanRunOptions): Promise<ScanReport> {
  const builder = new ReportBuilder(options.baseline);
  const pool = createScanPool({ config: options.config, maxFindings: options.maxFindings ?? defaultMaxFindings, threads: 0 });
  const [result] = await pool.run([{ id: 0, kind: 'text', text }]);
  builder.add({ path: '(stdin)', commit: null, source: 'stdin' }, result!);
  await pool.close();
  return builder.report;
}
