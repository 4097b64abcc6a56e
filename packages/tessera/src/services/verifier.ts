import { isWellFormedToken } from '../core/token-format.js';
import { hashesEqual, hashToken } from '../core/token-hash.js';
import { effectiveLimits, type LimitDecision, type TokenLimits } from '../core/limits.js';
import { isAddressAllowed } from '../core/network.js';
import type { KeyspacePolicy } from '../core/policy.js';
import { checkToken, type VerifyCode } from '../core/verification.js';
import type { TokenState } from '../core/token-state.js';
import { findTokenByHash, type TokenWithKeyspace } from '../store/token-repository.js';
import { isKeyspaceVisible, type KeyspaceVisibility } from './authorization.js';
import type { ServiceContext } from './context.js';
import type { CachedToken } from './verification-cache.js';

export interface VerifyRequest {
  token: string;
  /** Scopes the caller's operation needs; all must be granted. */
  scopes?: readonly string[] | undefined;
  /** The address the token was presented from, recorded as last use. */
  ip?: string | null | undefined;
}

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  tokenId?: string;
  keyspace?: string;
  owner?: string | null;
  scopes?: string[];
  expiresAt?: string | null;
  metadata?: Record<string, string>;
  missingScopes?: string[];
  /** For RATE_LIMITED, and QUOTA_EXCEEDED with a refill: seconds until a retry can succeed. */
  retryAfterSeconds?: number;
}

const noScopes: readonly string[] = [];

function toCachedToken(row: TokenWithKeyspace): CachedToken {
  return {
    id: row.id,
    hash: row.hash,
    keyspaceName: row.keyspace_name,
    owner: row.owner,
    scopes: JSON.parse(row.scopes) as string[],
    state: row.state as TokenState,
    expiresAt: row.expires_at,
    expiresAtIso: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    adminKeyspaces: row.admin_keyspaces === null ? null : (JSON.parse(row.admin_keyspaces) as string[]),
    hint: row.hint,
    limits: limitsOf(row),
  };
}

function limitsOf(row: TokenWithKeyspace): CachedToken['limits'] {
  const policy = row.keyspace_policy === undefined ? undefined : (JSON.parse(row.keyspace_policy) as Partial<KeyspacePolicy>);
  return effectiveLimits(policy?.limits, row.limits === null ? null : (JSON.parse(row.limits) as TokenLimits));
}

/** The outcome of a token lookup: the token, null when none has that hash, or MALFORMED when the checksum fails. */
export type TokenLookup = CachedToken | 'MALFORMED' | null;

/**
 * Finds the token a plaintext names: checksum first (no lookup for a mistyped or invented
 * token), then the keyed hash under each master key version, the cache, and the store. Returns
 * the result itself when the checksum or the cache settles it and a promise only when the store
 * is read, so that a cached token costs no await on the hot path.
 */
export function lookupToken(context: ServiceContext, presented: string): TokenLookup | Promise<TokenLookup> {
  if (!isWellFormedToken(presented)) return 'MALFORMED';
  // Taken before any store read, so that a token changed meanwhile is not cached in its old form.
  const generation = context.cache.generation;
  return lookupFromKey(context, presented, 0, null, generation);
}

/**
 * Tries the hashing key at `index` and, through the store, the ones after it. `currentHash` is
 * the hash under the first key once computed; a miss under every key is cached under it.
 */
function lookupFromKey(
  context: ServiceContext,
  presented: string,
  index: number,
  currentHash: string | null,
  generation: number,
): TokenLookup | Promise<TokenLookup> {
  const { hashingKeys } = context.keyRing;
  const hashingKey = hashingKeys[index];
  if (hashingKey === undefined) {
    if (currentHash !== null) context.cache.set(currentHash, null, generation);
    return null;
  }

  const hash = hashToken(hashingKey, presented);
  const cached = context.cache.get(hash);
  if (cached?.token) return cached.token;
  if (cached && hashingKeys.length === 1) return null;

  return lookupInStore(context, presented, index, hash, currentHash ?? hash, generation);
}

/** Reads the token with `hash` (under key `index`) from the store, and goes on to the next key when there is none. */
async function lookupInStore(
  context: ServiceContext,
  presented: string,
  index: number,
  hash: string,
  currentHash: string,
  generation: number,
): Promise<TokenLookup> {
  const row = await findTokenByHash(context.db, hash);
  // The store found the row by this hash. The constant-time check is a second guard, so that no
  // comparison of secret-derived bytes anywhere depends on how many of them match.
  if (row && hashesEqual(row.hash, hash)) {
    const token = toCachedToken(row);
    context.cache.set(hash, token, generation);
    return token;
  }
  return lookupFromKey(context, presented, index + 1, currentHash, generation);
}

/**
 * Verifies a token for a calling service. Tokens outside the caller's `visibility` read as
 * NOT_FOUND, so the endpoint is no oracle for tokens that are not the caller's business. Usage is recorded
 * asynchronously; nothing here writes to the database.
 */
export async function verifyToken(context: ServiceContext, request: VerifyRequest, visibility: KeyspaceVisibility): Promise<VerifyResult> {
  return verifyTokenNow(context, request, visibility);
}

/**
 * Does what `verifyToken` does, but returns the result itself on a cache hit and a promise
 * only when the store is read. The HTTP route uses it to send a cached result without an await.
 */
export function verifyTokenNow(context: ServiceContext, request: VerifyRequest, visibility: KeyspaceVisibility): VerifyResult | Promise<VerifyResult> {
  const found = lookupToken(context, request.token);
  if (found instanceof Promise) return found.then((token) => completeVerification(context, request, visibility, token));
  return completeVerification(context, request, visibility, found);
}

function completeVerification(
  context: ServiceContext,
  request: VerifyRequest,
  visibility: KeyspaceVisibility,
  token: TokenLookup,
): VerifyResult | Promise<VerifyResult> {
  const now = context.clock.now();
  const ip = request.ip ?? null;
  if (token === 'MALFORMED' || token === null || !isKeyspaceVisible(visibility, token.keyspaceName)) {
    const code = token === 'MALFORMED' ? 'MALFORMED' : 'NOT_FOUND';
    recordUse(context, null, code, ip, now, request);
    return { valid: false, code };
  }

  const check = checkToken(token, request.scopes ?? noScopes, now);
  if (check.code !== 'VALID' || token.limits === null) return finishVerification(context, request, token, now, check);

  // Limits apply only to a token that passed every other check, so a revoked token uses no quota.
  if (token.limits.allowedNetworks !== null && !isAddressAllowed(ip, token.limits.allowedNetworks)) {
    return finishVerification(context, request, token, now, { code: 'IP_NOT_ALLOWED' });
  }
  if (token.limits.rateLimits.length === 0 && token.limits.quota === null) return finishVerification(context, request, token, now, check);

  const decision = context.limits.consume(token.id, token.limits, now);
  if (decision instanceof Promise) return decision.then((settled) => finishVerification(context, request, token, now, limitCheck(settled)));
  return finishVerification(context, request, token, now, limitCheck(decision));
}

function limitCheck(decision: LimitDecision): TokenCheck {
  if (decision.code === 'VALID' || decision.retryAfterMilliseconds === null) return { code: decision.code };
  return { code: decision.code, retryAfterSeconds: Math.ceil(decision.retryAfterMilliseconds / 1000) };
}

type TokenCheck = { code: VerifyCode; missingScopes?: string[] | undefined; retryAfterSeconds?: number | undefined };

function recordUse(context: ServiceContext, tokenId: string | null, code: VerifyCode, ip: string | null, now: number, request: VerifyRequest): void {
  context.metrics.countVerification(code);
  context.usage.record({ tokenId, at: now, code, ip, scopes: request.scopes ?? noScopes });
}

function finishVerification(context: ServiceContext, request: VerifyRequest, token: CachedToken, now: number, check: TokenCheck): VerifyResult {
  recordUse(context, token.id, check.code, request.ip ?? null, now, request);
  const result: VerifyResult = {
    valid: check.code === 'VALID',
    code: check.code,
    tokenId: token.id,
    keyspace: token.keyspaceName,
    owner: token.owner,
    scopes: token.scopes,
    expiresAt: token.expiresAtIso,
    metadata: token.metadata,
  };
  if (check.missingScopes) result.missingScopes = check.missingScopes;
  if (check.retryAfterSeconds !== undefined) result.retryAfterSeconds = check.retryAfterSeconds;
  return result;
}
