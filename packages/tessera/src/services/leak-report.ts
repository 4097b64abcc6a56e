import type { TokenState } from '../core/token-state.js';

export const leakResponses = ['none', 'alert', 'revoke', 'rotate'] as const;
export type LeakResponse = (typeof leakResponses)[number];

export const leakSources = ['file', 'history', 'staged', 'stdin', 'partner'] as const;

/** Location where a leaked token was seen, never the token itself. */
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

/** The registry's record of a reported token and the action taken on it. */
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
  /**
   * `recorded`: a leaked event without a state change; `inactive`: the token no longer verified, so
   * nothing was revoked or rotated. `rotate` of a token already rotated, still in its grace period,
   * revokes it, because its successor exists.
   */
  action: 'none' | 'recorded' | 'revoked' | 'rotated' | 'inactive';
  /** With `rotate`: the successor, whose secret only the caller receives. */
  successor?: { id: string; hint: string; secret: string } | undefined;
}
