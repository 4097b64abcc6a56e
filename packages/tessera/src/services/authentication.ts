import { TesseraError } from '../core/errors.js';
import { isWellFormedToken, tokenHint } from '../core/token-format.js';
import { checkToken } from '../core/verification.js';
import { anonymousActor, type Actor } from './actor.js';
import { recordAudit } from './audit-trail.js';
import type { ServiceContext } from './context.js';
import { lookupToken, type TokenLookup } from './verifier.js';
import { adminKeyspaceName } from './views.js';
import type { CachedToken } from './verification-cache.js';

const bearerPattern = /^Bearer ([^\s]+)$/i;

/** Extracts the token from an `Authorization: Bearer` header; null when the header is missing or of another form. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  return bearerPattern.exec(header.trim())?.[1] ?? null;
}

async function rejectAuthentication(context: ServiceContext, ip: string | null, reason: string, presented: string | null): Promise<never> {
  // The hint is recorded only for a well-formed token: anything else may be a mistyped secret.
  const hint = presented !== null && isWellFormedToken(presented) ? tokenHint(presented) : null;
  await recordAudit(context, anonymousActor(ip), { action: 'auth.failed', outcome: 'failure', details: { reason, hint } });
  throw new TesseraError('UNAUTHENTICATED', 'missing, invalid, expired or revoked token; send Authorization: Bearer <admin token>');
}

/**
 * Finds the active token behind a bearer header, auditing every failure. Returns the token itself
 * when the cache has it, and a promise when the store is read or a failure is audited.
 */
function authenticateBearer(
  context: ServiceContext,
  header: string | undefined,
  ip: string | null,
  keyspace: string | null,
): CachedToken | Promise<CachedToken> {
  const presented = bearerToken(header);
  if (presented === null) return rejectAuthentication(context, ip, header === undefined ? 'missing_header' : 'not_bearer', null);

  const found = lookupToken(context, presented);
  if (found instanceof Promise) return found.then((token) => admitToken(context, ip, keyspace, presented, token));
  return admitToken(context, ip, keyspace, presented, found);
}

function admitToken(context: ServiceContext, ip: string | null, keyspace: string | null, presented: string, token: TokenLookup): CachedToken | Promise<never> {
  if (token === 'MALFORMED') return rejectAuthentication(context, ip, 'malformed', null);
  if (token === null || (keyspace !== null && token.keyspaceName !== keyspace)) return rejectAuthentication(context, ip, 'not_found', presented);

  const now = context.clock.now();
  const check = checkToken(token, [], now);
  if (check.code !== 'VALID') return rejectAuthentication(context, ip, check.code.toLowerCase(), presented);

  // Admin and self-rotating tokens are used too: recording it keeps their last use, stale checks and access reviews true.
  context.usage.record({ tokenId: token.id, at: now, code: 'VALID', ip, scopes: [] });
  return token;
}

function adminActor(token: CachedToken, ip: string | null): Actor {
  return { type: 'token', id: token.id, hint: token.hint, scopes: token.scopes, keyspaces: token.adminKeyspaces, ip };
}

/** Authenticates an admin request; only tokens of the admin keyspace pass. */
export async function authenticateAdmin(context: ServiceContext, header: string | undefined, ip: string | null): Promise<Actor> {
  return authenticateAdminNow(context, header, ip);
}

/**
 * Authenticates like `authenticateAdmin`, but returns the actor itself when the cache has the token and a
 * promise otherwise, so that the HTTP hook admits a cached admin token without an await.
 */
export function authenticateAdminNow(context: ServiceContext, header: string | undefined, ip: string | null): Actor | Promise<Actor> {
  const token = authenticateBearer(context, header, ip, adminKeyspaceName);
  if (token instanceof Promise) return token.then((admitted) => adminActor(admitted, ip));
  return adminActor(token, ip);
}

/** Authenticates a token's own holder, of any keyspace, for self-rotation. */
export async function authenticateHolder(
  context: ServiceContext,
  header: string | undefined,
  ip: string | null,
): Promise<{ actor: Actor; token: CachedToken }> {
  const token = await authenticateBearer(context, header, ip, null);
  return { actor: { type: 'token', id: token.id, hint: token.hint, scopes: [], keyspaces: [], ip }, token };
}
