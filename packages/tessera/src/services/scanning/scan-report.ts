import type { Finding } from '../../core/scanner/finding.js';

export type ScanSource = 'file' | 'history' | 'staged' | 'stdin';

/** A finding with where it was found. `secret` is for lookups and fingerprints and is never printed. */
export interface ScanFinding extends Finding {
  source: ScanSource;
  path: string;
  commit: string | null;
  fingerprint: string;
}

/** Something the scan did not scan, or scanned only in part, with the reason. */
export interface ScanNote {
  path: string;
  commit: string | null;
  message: string;
}

export interface ScanReport {
  findings: ScanFinding[];
  notes: ScanNote[];
  filesScanned: number;
  bytesScanned: number;
  /** Findings dropped because their fingerprint is in the baseline. */
  baselined: number;
}

/** Reports how far a long scan has got; the CLI draws it on a terminal only. */
export interface ProgressReporter {
  update(done: number, total: number, bytes: number): void;
  finish(): void;
}
