import { missingScopes } from './scopes.js';
import { effectiveState, type TokenState } from './token-state.js';

export const verifyCodes = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'DISABLED',
  'INSUFFICIENT_SCOPE',
  'IP_NOT_ALLOWED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
] as const;
export type VerifyCode = (typeof verifyCodes)[number];

/** The fields of a stored token that the checks read. */
export interface VerifiableToken {
  state: TokenState;
  expiresAt: number | null;
  scopes: readonly string[];
}

export interface TokenCheck {
  code: VerifyCode;
  missingScopes?: string[];
}

/** Applies the checks of the hot path after lookup: state, expiry, then scopes. */
export function checkToken(token: VerifiableToken, requiredScopes: readonly string[], now: number): TokenCheck {
  const state = effectiveState(token.state, token.expiresAt, now);
  if (state === 'revoked') return { code: 'REVOKED' };
  if (state === 'disabled' || state === 'suspended') return { code: 'DISABLED' };
  if (state === 'expired') return { code: 'EXPIRED' };

  if (requiredScopes.length > 0) {
    const missing = missingScopes(token.scopes, requiredScopes);
    if (missing.length > 0) return { code: 'INSUFFICIENT_SCOPE', missingScopes: missing };
  }
  return { code: 'VALID' };
}
