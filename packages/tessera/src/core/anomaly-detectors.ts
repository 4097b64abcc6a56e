import type { AnomalyKind, AnomalyPolicy } from './anomaly-policy.js';
import type { VerifyCode } from './verification.js';

/** A detector's finding with its evidence: numbers, networks and times, never a token. */
export interface AnomalyFinding {
  kind: AnomalyKind;
  evidence: Record<string, unknown>;
}

/** The detectors' memory of one token between usage batches. */
export interface TokenProfile {
  /** Start of the first minute the token was seen in; learning runs from here. */
  firstSeenAt: number | null;
  /** Exponentially weighted moving average of calls per minute over completed minutes. */
  baselinePerMinute: number;
  /** False until one whole minute has been folded into the baseline. */
  baselineReady: boolean;
  /** The minute still being counted, and its calls so far. */
  openMinute: number | null;
  openCalls: number;
  networks: Set<string>;
  scopes: Set<string>;
}

/** One token's verifications in one minute, as the usage batch has them. */
export interface TokenMinuteActivity {
  minute: number;
  codes: ReadonlyMap<VerifyCode, number>;
  networks: ReadonlyMap<string, number>;
  scopes: ReadonlyMap<string, number>;
}

/** The stored facts about a token that decide which detectors apply. */
export interface TokenFacts {
  /** Whether the token is active now; the spike, network and scope detectors watch active tokens only. */
  active: boolean;
  /** Set when the token was rotated; an expired token with a successor is a rotated-out one. */
  successorId: string | null;
}

const minute = 60_000;
/** Weight of the newest minute in the baseline: a time constant of about ten minutes. */
export const baselineWeight = 0.1;
/** The network label for addresses past the per-bucket bound; never reported as a new network. */
export const unknownNetwork = 'other';

export function emptyProfile(): TokenProfile {
  return { firstSeenAt: null, baselinePerMinute: 0, baselineReady: false, openMinute: null, openCalls: 0, networks: new Set(), scopes: new Set() };
}

/** Calls that count towards the rate: every code except those of a revoked or expired token, which the knocking detector reports. */
function activeCalls(codes: ReadonlyMap<VerifyCode, number>): number {
  let calls = 0;
  for (const [code, count] of codes) if (code !== 'REVOKED' && code !== 'EXPIRED') calls += count;
  return calls;
}

/** Folds the open minute into the baseline, and each silent minute between it and `nextMinute` as zero. */
function advanceBaseline(profile: TokenProfile, nextMinute: number): void {
  if (profile.openMinute === null || nextMinute <= profile.openMinute) return;
  if (profile.baselineReady) {
    profile.baselinePerMinute = baselineWeight * profile.openCalls + (1 - baselineWeight) * profile.baselinePerMinute;
  } else {
    profile.baselinePerMinute = profile.openCalls;
    profile.baselineReady = true;
  }
  const silentMinutes = (nextMinute - profile.openMinute) / minute - 1;
  if (silentMinutes > 0) profile.baselinePerMinute *= (1 - baselineWeight) ** silentMinutes;
  profile.openMinute = nextMinute;
  profile.openCalls = 0;
}

function retiredTokenFinding(activity: TokenMinuteActivity, facts: TokenFacts): AnomalyFinding | null {
  const revoked = activity.codes.get('REVOKED') ?? 0;
  const expired = activity.codes.get('EXPIRED') ?? 0;
  if (revoked + expired === 0) return null;
  return {
    kind: 'retired_token_presented',
    evidence: {
      minute: new Date(activity.minute).toISOString(),
      revokedCalls: revoked,
      expiredCalls: expired,
      rotatedOut: expired > 0 && facts.successorId !== null,
      networks: Object.fromEntries(activity.networks),
    },
  };
}

/**
 * Runs the token detectors over a token's new minutes, oldest first, and updates its profile.
 * During the learning period the spike, network and scope detectors only record what they find.
 * A revoked, expired or rotated-out token presented is reported at once, learning or not.
 */
export function detectTokenAnomalies(
  profile: TokenProfile,
  activities: readonly TokenMinuteActivity[],
  facts: TokenFacts,
  policy: AnomalyPolicy,
  now: number,
): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  for (const activity of activities) {
    if (policy.retiredToken.enabled) {
      const retired = retiredTokenFinding(activity, facts);
      if (retired) findings.push(retired);
    }
    if (!facts.active) continue;

    profile.firstSeenAt ??= activity.minute;
    const learned = now >= profile.firstSeenAt + policy.learningPeriodSeconds * 1000;
    findings.push(...detectRateSpike(profile, activity, policy, learned));
    findings.push(...detectNewValues(profile.networks, activity.networks, 'new_network', 'network', learned && policy.newNetwork.enabled, activity));
    findings.push(...detectNewValues(profile.scopes, activity.scopes, 'new_scope', 'scope', learned && policy.newScope.enabled, activity));
  }
  return findings;
}

function detectRateSpike(profile: TokenProfile, activity: TokenMinuteActivity, policy: AnomalyPolicy, learned: boolean): AnomalyFinding[] {
  profile.openMinute ??= activity.minute;
  advanceBaseline(profile, activity.minute);
  // A late bucket of a minute already folded into the baseline is too old to judge.
  if (activity.minute < profile.openMinute) return [];
  profile.openCalls += activeCalls(activity.codes);

  if (!learned || !policy.rateSpike.enabled || !profile.baselineReady) return [];
  const threshold = Math.max(policy.rateSpike.factor * profile.baselinePerMinute, policy.rateSpike.floorPerMinute);
  if (profile.openCalls <= threshold) return [];
  return [
    {
      kind: 'rate_spike',
      evidence: {
        minute: new Date(activity.minute).toISOString(),
        callsInMinute: profile.openCalls,
        baselinePerMinute: Math.round(profile.baselinePerMinute * 100) / 100,
        threshold: Math.round(threshold * 100) / 100,
      },
    },
  ];
}

function detectNewValues(
  known: Set<string>,
  seen: ReadonlyMap<string, number>,
  kind: 'new_network' | 'new_scope',
  label: 'network' | 'scope',
  report: boolean,
  activity: TokenMinuteActivity,
): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  for (const [value, calls] of seen) {
    if (known.has(value) || value === unknownNetwork) continue;
    if (report) {
      findings.push({
        kind,
        evidence: {
          [label]: value,
          calls,
          minute: new Date(activity.minute).toISOString(),
          [`known${label === 'network' ? 'Networks' : 'Scopes'}`]: [...known].slice(0, 20),
        },
      });
    }
    known.add(value);
  }
  return findings;
}

/** Failed verifications from one address in one minute. */
export interface AddressFailureActivity {
  ip: string;
  network: string | null;
  minute: number;
  count: number;
  codes: Map<VerifyCode, number>;
}

/** Reports an address with at least `perMinute` failed verifications in one minute. */
export function detectFailureBurst(activity: AddressFailureActivity, policy: AnomalyPolicy): AnomalyFinding | null {
  if (!policy.failureBurst.enabled || activity.count < policy.failureBurst.perMinute) return null;
  return {
    kind: 'failed_verification_burst',
    evidence: {
      address: activity.ip,
      network: activity.network,
      minute: new Date(activity.minute).toISOString(),
      failures: activity.count,
      threshold: policy.failureBurst.perMinute,
      codes: Object.fromEntries(activity.codes),
    },
  };
}
