import type { TokenState } from '../core/token-state.js';

export const leakResponses = ['none', 'alert', 'revoke', 'rotate'] as const;
export type LeakResponse = (typeof leakResponses)[number];

export const leakSources = ['file', 'history', 'staged', 'stdin', 'partner'] as const;

/** Where a leaked token was seen. Never the token itself. */
export interface LeakLocation {
  source: (typeof leakSources)[number];
  path: string;
  line?: number | undefined;
  commit?: string | null | undefined;
}

export interface LeakReportInput {
  token: string;
  where: LeakLocation;
  response: LeakResponse;
}

/** What the registry knows of a reported token and what was done about it. */
export interface LeakOutcome {
  found: boolean;
  /** True when the token would verify right now (active and not expired), before any response. */
  live: boolean;
  tokenId: string | null;
  keyspace: string | null;
  owner: string | null;
  state: TokenState | null;
  hint: string;
  response: LeakResponse;
  /** `recorded`: a leaked event without a state change; `inactive`: the token no longer verified, so nothing was revoked or rotated. */
  action: 'none' | 'recorded' | 'revoked' | 'rotated' | 'inactive';
  /** With `rotate`: the successor, whose secret only the caller receives. */
  successor?: { id: string; hint: string; secret: string } | undefined;
}
