import { parseToken } from '../core/token-format.js';
import { hashesEqual, hashToken } from '../core/token-hash.js';
import { checkToken, type VerifyCode } from '../core/verification.js';
import type { TokenState } from '../core/token-state.js';
import { findTokenByHash, type TokenWithKeyspace } from '../store/token-repository.js';
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
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    adminKeyspaces: row.admin_keyspaces === null ? null : (JSON.parse(row.admin_keyspaces) as string[]),
    hint: row.hint,
  };
}

/**
 * Finds the token a plaintext names: checksum first (no lookup for a mistyped or invented
 * token), then the keyed hash under each master key version, the cache, and the store.
 */
export async function lookupToken(context: ServiceContext, presented: string): Promise<CachedToken | 'MALFORMED' | null> {
  if (!parseToken(presented).ok) return 'MALFORMED';

  const { hashingKeys } = context.keyRing;
  let currentHash: string | null = null;
  for (const hashingKey of hashingKeys) {
    const hash = hashToken(hashingKey, presented);
    currentHash ??= hash;

    const cached = context.cache.get(hash);
    if (cached?.token) return cached.token;
    if (cached && hashingKeys.length === 1) return null;

    const row = await findTokenByHash(context.db, hash);
    // The store found the row by this hash; the constant-time check is a second guard so that
    // no comparison of secret-derived bytes anywhere depends on how many of them match.
    if (row && hashesEqual(row.hash, hash)) {
      const token = toCachedToken(row);
      context.cache.set(hash, token);
      return token;
    }
  }

  if (currentHash !== null) context.cache.set(currentHash, null);
  return null;
}

/**
 * Verifies a token for a calling service. Tokens outside `allowedKeyspaces` read as NOT_FOUND, so
 * the endpoint is no oracle for tokens that are not the caller's business. Usage is recorded
 * asynchronously; nothing here writes to the database.
 */
export async function verifyToken(context: ServiceContext, request: VerifyRequest, allowedKeyspaces: readonly string[] | null): Promise<VerifyResult> {
  const token = await lookupToken(context, request.token);
  if (token === 'MALFORMED') return { valid: false, code: 'MALFORMED' };
  if (token === null || (allowedKeyspaces !== null && !allowedKeyspaces.includes(token.keyspaceName))) {
    return { valid: false, code: 'NOT_FOUND' };
  }

  const now = context.clock.now();
  const check = checkToken(token, request.scopes ?? noScopes, now);
  if (check.code === 'VALID') context.usage.record(token.id, now, request.ip ?? null);

  const result: VerifyResult = {
    valid: check.code === 'VALID',
    code: check.code,
    tokenId: token.id,
    keyspace: token.keyspaceName,
    owner: token.owner,
    scopes: token.scopes,
    expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    metadata: token.metadata,
  };
  if (check.missingScopes) result.missingScopes = check.missingScopes;
  return result;
}
