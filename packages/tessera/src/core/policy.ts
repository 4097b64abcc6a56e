import { TesseraError } from './errors.js';
import { formatDuration } from './duration.js';
import type { AnomalyPolicyInput } from './anomaly-policy.js';
import type { TokenLimits } from './limits.js';

/** Rules a keyspace applies to its tokens. */
export interface KeyspacePolicy {
  maxLifetimeSeconds: number;
  allowNoExpiry: boolean;
  gracePeriodSeconds: number;
  allowSelfRotation: boolean;
  /** Limits every token of the keyspace gets unless the token sets its own. */
  limits?: TokenLimits | undefined;
  /** Anomaly detection and response; settings left out take the defaults. */
  anomaly?: AnomalyPolicyInput | undefined;
}

export const defaultPolicy: KeyspacePolicy = {
  maxLifetimeSeconds: 90 * 86400,
  allowNoExpiry: false,
  gracePeriodSeconds: 24 * 3600,
  allowSelfRotation: false,
};

export interface ExpiryRequest {
  expiresAt?: string | undefined;
  expiresInSeconds?: number | undefined;
  neverExpires?: boolean | undefined;
}

/**
 * Returns the expiry time (ms) a new token gets under `policy`, or null for no expiry. Without an
 * explicit expiry the token lives for the policy's maximum lifetime.
 */
export function resolveExpiry(policy: KeyspacePolicy, request: ExpiryRequest, now: number): number | null {
  const expiryFieldsPresent = [request.expiresAt !== undefined, request.expiresInSeconds !== undefined, request.neverExpires === true];
  if (expiryFieldsPresent.filter(Boolean).length > 1) {
    throw new TesseraError('VALIDATION_FAILED', 'expiresAt, expiresInSeconds and neverExpires are exclusive; send one of them', {
      field: 'expiresAt',
    });
  }

  if (request.neverExpires) {
    if (!policy.allowNoExpiry) {
      throw new TesseraError(
        'POLICY_VIOLATION',
        'neverExpires: the keyspace policy requires an expiry; set allowNoExpiry in its policy or give expiresInSeconds',
        {
          field: 'neverExpires',
        },
      );
    }
    return null;
  }

  const maxExpiry = now + policy.maxLifetimeSeconds * 1000;
  let expiresAt = maxExpiry;
  let field = 'expiresInSeconds';
  if (request.expiresInSeconds !== undefined) {
    expiresAt = now + request.expiresInSeconds * 1000;
  } else if (request.expiresAt !== undefined) {
    field = 'expiresAt';
    expiresAt = Date.parse(request.expiresAt);
    if (Number.isNaN(expiresAt)) {
      throw new TesseraError('VALIDATION_FAILED', 'expiresAt: not an ISO 8601 date-time; use e.g. 2027-01-31T00:00:00Z', { field });
    }
  }

  if (expiresAt <= now) {
    throw new TesseraError('VALIDATION_FAILED', `${field}: the expiry must be in the future`, { field });
  }
  if (expiresAt > maxExpiry) {
    throw new TesseraError(
      'POLICY_VIOLATION',
      `${field}: the keyspace policy allows a lifetime of at most ${formatDuration(policy.maxLifetimeSeconds)}; request a shorter one`,
      { field },
    );
  }
  return expiresAt;
}
