/** Stored lifecycle states; `expired` is also derived from the expiry time at read. */
/** `suspended` is set by an anomaly response; it verifies as DISABLED until an admin enables the token again. */
export const tokenStates = ['active', 'disabled', 'suspended', 'revoked', 'expired'] as const;
export type TokenState = (typeof tokenStates)[number];

/** Returns the state a reader sees now: a stored active token past its expiry reads as expired. */
export function effectiveState(state: TokenState, expiresAt: number | null, now: number): TokenState {
  if (state === 'active' && expiresAt !== null && expiresAt <= now) return 'expired';
  return state;
}
