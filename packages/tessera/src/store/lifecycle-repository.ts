import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely';
import type { Executor, Schema } from './schema.js';
import type { TokenWithKeyspace } from './token-repository.js';

/**
 * The position after the last row of a page, for keyset pagination on an indexed column and the
 * token id. Pages read this way cost the same at any depth, unlike OFFSET.
 */
export interface KeysetCursor {
  value: number;
  id: string;
}

type TokenColumn = 'tokens.expires_at' | 'tokens.last_used_at' | 'tokens.created_at' | 'tokens.id';

function selectActiveTokens(executor: Executor) {
  return executor
    .selectFrom('tokens')
    .innerJoin('keyspaces', 'keyspaces.id', 'tokens.keyspace_id')
    .selectAll('tokens')
    .select('keyspaces.name as keyspace_name')
    .where('tokens.state', '=', 'active');
}

type ActiveTokenQuery = ReturnType<typeof selectActiveTokens>;

/** Reads the page of `query` that follows `after` in the order (`column`, id). */
async function readPage(
  query: ActiveTokenQuery,
  column: Exclude<TokenColumn, 'tokens.id'>,
  after: KeysetCursor | null,
  limit: number,
): Promise<TokenWithKeyspace[]> {
  const rest = after === null ? query : query.where((eb) => isAfter(eb, column, after));
  return rest.orderBy(column).orderBy('tokens.id').limit(limit).execute();
}

function isUnexpired(eb: ExpressionBuilder<Schema, 'tokens'>, now: number) {
  return eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]);
}

/** Matches rows after `cursor` in the order (`column`, id). */
function isAfter(eb: ExpressionBuilder<Schema, 'tokens'>, column: Exclude<TokenColumn, 'tokens.id'>, cursor: KeysetCursor) {
  return eb.or([eb(column, '>', cursor.value), eb.and([eb(column, '=', cursor.value), eb('tokens.id', '>', cursor.id)])]);
}

/** Matches tokens with no recorded notice of the given key, so a pass does not read again what it already noticed. */
function hasNoNotice(eb: ExpressionBuilder<Schema, 'tokens'>, notice: RawBuilder<string> | string) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('token_notices')
        .select('token_notices.token_id')
        .whereRef('token_notices.token_id', '=', 'tokens.id')
        .where('token_notices.notice', '=', notice),
    ),
  );
}

/**
 * Active tokens of the given keyspaces that expire after `from` and no later than `until` and have
 * no `notice` recorded, one page in the order (expires_at, id).
 */
export async function findTokensExpiringBetweenWithoutNotice(
  executor: Executor,
  page: { keyspaceIds: readonly string[]; from: number; until: number; notice: string; after: KeysetCursor | null; limit: number },
): Promise<TokenWithKeyspace[]> {
  if (page.keyspaceIds.length === 0) return [];
  const query = selectActiveTokens(executor)
    .where('tokens.keyspace_id', 'in', [...page.keyspaceIds])
    .where('tokens.expires_at', '>', page.from)
    .where('tokens.expires_at', '<=', page.until)
    .where((eb) => hasNoNotice(eb, page.notice));
  return readPage(query, 'tokens.expires_at', page.after, page.limit);
}

/** Tokens still stored as active although their expiry has passed. */
export async function findTokensPastExpiry(executor: Executor, now: number, limit: number): Promise<TokenWithKeyspace[]> {
  return selectActiveTokens(executor).where('tokens.expires_at', '<=', now).orderBy('tokens.expires_at').limit(limit).execute();
}

/**
 * Active, unexpired tokens last used before `cutoff` with no stale notice for that last use, one
 * page in the order (last_used_at, id).
 */
export async function findUsedTokensUnusedSince(
  executor: Executor,
  page: { now: number; cutoff: number; after: KeysetCursor | null; limit: number },
): Promise<TokenWithKeyspace[]> {
  // The notice key is "stale:" and the last use in milliseconds, as token-lifecycle writes it.
  const notice = sql<string>`'stale:' || cast(tokens.last_used_at as text)`;
  const query = selectActiveTokens(executor)
    .where('tokens.last_used_at', '<', page.cutoff)
    .where((eb) => isUnexpired(eb, page.now))
    .where((eb) => hasNoNotice(eb, notice));
  return readPage(query, 'tokens.last_used_at', page.after, page.limit);
}

/** Active, unexpired, never used tokens created before `cutoff` with no "stale:never" notice, one page in the order (created_at, id). */
export async function findNeverUsedTokensCreatedBefore(
  executor: Executor,
  page: { now: number; cutoff: number; after: KeysetCursor | null; limit: number },
): Promise<TokenWithKeyspace[]> {
  const query = selectActiveTokens(executor)
    .where('tokens.last_used_at', 'is', null)
    .where('tokens.created_at', '<', page.cutoff)
    .where((eb) => isUnexpired(eb, page.now))
    .where((eb) => hasNoNotice(eb, 'stale:never'));
  return readPage(query, 'tokens.created_at', page.after, page.limit);
}

/**
 * Active, unexpired, not yet rotated tokens of the given keyspaces created before `cutoff` with no
 * "rotation_due" notice, one page in the order (created_at, id).
 */
export async function findUnrotatedTokensCreatedBeforeWithoutNotice(
  executor: Executor,
  page: { keyspaceIds: readonly string[]; now: number; cutoff: number; after: KeysetCursor | null; limit: number },
): Promise<TokenWithKeyspace[]> {
  if (page.keyspaceIds.length === 0) return [];
  const query = selectActiveTokens(executor)
    .where('tokens.keyspace_id', 'in', [...page.keyspaceIds])
    .where('tokens.successor_id', 'is', null)
    .where('tokens.created_at', '<', page.cutoff)
    .where((eb) => isUnexpired(eb, page.now))
    .where((eb) => hasNoNotice(eb, 'rotation_due'));
  return readPage(query, 'tokens.created_at', page.after, page.limit);
}

/** Active, unexpired tokens of one keyspace, one page in id order, for checks of rules that a policy added after the tokens were issued. */
export async function findActiveTokensInKeyspace(
  executor: Executor,
  page: { keyspaceId: string; now: number; afterId: string | null; limit: number },
): Promise<TokenWithKeyspace[]> {
  let query = selectActiveTokens(executor)
    .where('tokens.keyspace_id', '=', page.keyspaceId)
    .where((eb) => isUnexpired(eb, page.now));
  if (page.afterId !== null) query = query.where('tokens.id', '>', page.afterId);
  return query.orderBy('tokens.id').limit(page.limit).execute();
}
