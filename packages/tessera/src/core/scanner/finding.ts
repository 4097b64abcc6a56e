import type { Confidence } from './rule.js';

/** One secret found in a text. `secret` stays in memory for lookups and fingerprints and is never printed. */
export interface Finding {
  ruleId: string;
  description: string;
  /** 1-based line and column (in UTF-16 code units, as editors count them) of the secret's first character. */
  line: number;
  column: number;
  secret: string;
  /** The secret's line, cut to a bounded window around it, with every secret in it masked. */
  snippet: string;
  confidence: Confidence;
  /** True when the secret was split across string literals joined with `+` and found once they were joined. */
  joined?: boolean;
}

export interface TextScanResult {
  findings: Finding[];
  /** True when the text had more findings than the scan's limit and the rest were dropped. */
  truncated: boolean;
}
