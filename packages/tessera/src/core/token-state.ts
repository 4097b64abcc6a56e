/** Stored lifecycle states; `expired` is also derived from the expiry time at read. */
export const tokenStates = ['active', 'disabled', 'revoked', 'expired'] as const;
export type TokenState = (typeof tokenStates)[number];

/** Returns the state a reader sees now: a stored active token past its expiry reads as expired. */
export function effectiveState(state: TokenState, expiresAt: number | null, now: number): TokenState {
  if (state === 'active' && expiresAt !== null && expiresAt <= now) return 'expired';
  return state;
}
