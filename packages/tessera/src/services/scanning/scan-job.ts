import { readFile } from 'node:fs/promises';
import { scanText } from '../../core/scanner/engine.js';
import type { Finding } from '../../core/scanner/finding.js';
import type { CompiledRule } from '../../core/scanner/rule.js';
import { decodeContent } from './decode.js';

/** Work for one scanning thread: a file to read, or text already in memory (a diff, standard input). */
export type ScanJob = { id: number; kind: 'file'; path: string } | { id: number; kind: 'text'; text: string };

export type ScanJobResult =
  | { id: number; kind: 'scanned'; findings: Finding[]; truncated: boolean; bytes: number }
  | { id: number; kind: 'binary'; bytes: number }
  | { id: number; kind: 'failed'; message: string };

/** Runs one job; the same code runs in a worker thread and, for small scans, in the main thread. */
export async function runScanJob(job: ScanJob, rules: CompiledRule[], maxFindings: number): Promise<ScanJobResult> {
  if (job.kind === 'text') {
    const result = scanText(job.text, { rules, maxFindings });
    return { id: job.id, kind: 'scanned', ...result, bytes: Buffer.byteLength(job.text) };
  }

  let buffer: Buffer;
  try {
    buffer = await readFile(job.path);
  } catch (error) {
    return { id: job.id, kind: 'failed', message: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
  const content = decodeContent(buffer);
  if (content.kind === 'binary') return { id: job.id, kind: 'binary', bytes: buffer.length };
  const result = scanText(content.text, { rules, maxFindings });
  return { id: job.id, kind: 'scanned', ...result, bytes: buffer.length };
}
