import { defaultPolicy, type KeyspacePolicy } from './policy.js';

/** Token fields a policy can require on every new token. */
export const requirableFields = ['owner', 'description'] as const;
export type RequirableField = (typeof requirableFields)[number];

/** Hours of the day (UTC) in which rotation notices are sent; `endHour` is exclusive and may wrap past midnight. */
export interface RotationWindow {
  startHour: number;
  endHour: number;
}

/** The rules a named policy can set; a policy sets only some, and the rest come from elsewhere (see `resolvePolicy`). */
export interface PolicyRules extends Partial<KeyspacePolicy> {
  /** A token older than this is due for rotation; null turns the check off. */
  rotateAfterSeconds?: number | null;
  /** Expiry warnings are sent this long before expiry, each once per token. */
  warnBeforeExpirySeconds?: number[];
  /** A token unused for this long is reported stale; null turns the check off. */
  staleAfterSeconds?: number | null;
  requiredFields?: RequirableField[];
  /** Scopes a token may be granted, on top of the keyspace's own vocabulary; empty allows any. */
  allowedScopes?: string[];
  /** Delay added to each token's rotation due time, so that related credentials are not all due at once. */
  rotationOffsetSeconds?: number;
  rotationWindow?: RotationWindow | null;
}

/** Every rule with a value, except limits and anomaly settings, which stay optional because leaving them out means none. */
export type CompletePolicyRules = Required<Omit<PolicyRules, 'limits' | 'anomaly'>> & Pick<PolicyRules, 'limits' | 'anomaly'>;

/** The merged rules that the scheduler and token issuance apply to one keyspace. */
export type EffectivePolicy = CompletePolicyRules & { source: PolicySource };

/** The origin of a keyspace's effective policy, so an operator can see why a rule applies. */
export interface PolicySource {
  /** The named policy attached to the keyspace, or null. */
  attached: string | null;
  /** The named default policy, or null when none is defined. */
  default: string | null;
}

const day = 86400;

export const builtInRules: CompletePolicyRules = {
  ...defaultPolicy,
  rotateAfterSeconds: null,
  warnBeforeExpirySeconds: [14 * day, 3 * day, day],
  staleAfterSeconds: 90 * day,
  requiredFields: [],
  allowedScopes: [],
  rotationOffsetSeconds: 0,
  rotationWindow: null,
};

/**
 * Merges the rules that apply to one keyspace, later ones winning field by field: the built-in
 * defaults, the named default policy, the keyspace's inline policy, then the policy attached to
 * the keyspace. The inline policy beats the default policy because it was set for that keyspace.
 * An attached policy beats the inline one because attaching it is the explicit, newer choice.
 */
export function resolvePolicy(
  inline: Partial<KeyspacePolicy>,
  named: { default?: { name: string; rules: PolicyRules } | undefined; attached?: { name: string; rules: PolicyRules } | undefined },
): EffectivePolicy {
  const merged: CompletePolicyRules = { ...builtInRules, ...named.default?.rules, ...inline, ...named.attached?.rules };
  // Largest first, without repeats, so the scheduler can find the smallest threshold a token has crossed.
  merged.warnBeforeExpirySeconds = [...new Set(merged.warnBeforeExpirySeconds)].sort((a, b) => b - a);
  return { ...merged, source: { attached: named.attached?.name ?? null, default: named.default?.name ?? null } };
}

/** Returns true when `hour` (0-23, UTC) is inside the window; no window means any hour. */
export function isInsideWindow(window: RotationWindow | null, hour: number): boolean {
  if (window === null || window.startHour === window.endHour) return true;
  if (window.startHour < window.endHour) return hour >= window.startHour && hour < window.endHour;
  return hour >= window.startHour || hour < window.endHour;
}
