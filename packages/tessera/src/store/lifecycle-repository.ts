import type { Executor } from './schema.js';
import type { TokenWithKeyspace } from './token-repository.js';

function selectActiveTokens(executor: Executor) {
  return executor
    .selectFrom('tokens')
    .innerJoin('keyspaces', 'keyspaces.id', 'tokens.keyspace_id')
    .selectAll('tokens')
    .select('keyspaces.name as keyspace_name')
    .where('tokens.state', '=', 'active');
}

/** Active tokens that expire after `now` and no later than `until`, which the expiry warnings look at. */
export async function findTokensExpiringBetween(executor: Executor, now: number, until: number): Promise<TokenWithKeyspace[]> {
  return selectActiveTokens(executor).where('tokens.expires_at', '>', now).where('tokens.expires_at', '<=', until).orderBy('tokens.expires_at').execute();
}

/** Tokens still stored as active although their expiry has passed. */
export async function findTokensPastExpiry(executor: Executor, now: number, limit: number): Promise<TokenWithKeyspace[]> {
  return selectActiveTokens(executor).where('tokens.expires_at', '<=', now).orderBy('tokens.expires_at').limit(limit).execute();
}

/** Active, unexpired tokens last used (or, if never used, created) before `cutoff`. */
export async function findTokensUnusedSince(executor: Executor, now: number, cutoff: number): Promise<TokenWithKeyspace[]> {
  return selectActiveTokens(executor)
    .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]))
    .where((eb) => eb.or([eb.and([eb('tokens.last_used_at', 'is', null), eb('tokens.created_at', '<', cutoff)]), eb('tokens.last_used_at', '<', cutoff)]))
    .execute();
}

/** Active, unexpired, not yet rotated tokens of the given keyspaces created before `cutoff`. */
export async function findUnrotatedTokensCreatedBefore(
  executor: Executor,
  keyspaceIds: readonly string[],
  now: number,
  cutoff: number,
): Promise<TokenWithKeyspace[]> {
  if (keyspaceIds.length === 0) return [];
  return selectActiveTokens(executor)
    .where('tokens.keyspace_id', 'in', [...keyspaceIds])
    .where('tokens.successor_id', 'is', null)
    .where('tokens.created_at', '<', cutoff)
    .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]))
    .execute();
}

/** Active tokens of the given keyspaces, for checks of rules that a policy added after the tokens were issued. */
export async function findActiveTokensIn(executor: Executor, keyspaceIds: readonly string[], now: number): Promise<TokenWithKeyspace[]> {
  if (keyspaceIds.length === 0) return [];
  return selectActiveTokens(executor)
    .where('tokens.keyspace_id', 'in', [...keyspaceIds])
    .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]))
    .execute();
}
