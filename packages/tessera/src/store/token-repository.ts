import { sql } from 'kysely';
import { containsText, foldedText, orderByKeyset, type KeysetOrder, type KeysetPosition, type SortOrder } from './keyset.js';
import type { Dialect, Executor, TokenRow } from './schema.js';
import type { TokenState } from '../core/token-state.js';

export async function insertToken(executor: Executor, row: TokenRow): Promise<void> {
  await executor.insertInto('tokens').values(row).execute();
}

/** A token row with the name of its keyspace, which every reader needs. */
export type TokenWithKeyspace = TokenRow & { keyspace_name: string; keyspace_policy?: string };

function selectTokens(executor: Executor) {
  return executor
    .selectFrom('tokens')
    .innerJoin('keyspaces', 'keyspaces.id', 'tokens.keyspace_id')
    .selectAll('tokens')
    .select(['keyspaces.name as keyspace_name', 'keyspaces.policy as keyspace_policy']);
}

export async function findTokenById(executor: Executor, id: string): Promise<TokenWithKeyspace | undefined> {
  return selectTokens(executor).where('tokens.id', '=', id).executeTakeFirst();
}

export async function findTokenByHash(executor: Executor, hash: string): Promise<TokenWithKeyspace | undefined> {
  return selectTokens(executor).where('tokens.hash', '=', hash).executeTakeFirst();
}

export type TokenChanges = Partial<Omit<TokenRow, 'id' | 'hash' | 'keyspace_id' | 'created_at'>>;

export async function updateToken(executor: Executor, id: string, changes: TokenChanges): Promise<void> {
  await executor.updateTable('tokens').set(changes).where('id', '=', id).execute();
}

/** The columns a token list sorts by; `id` is the default, newest first. */
export type TokenSortColumn = 'id' | 'name' | 'owner' | 'created_at' | 'expires_at' | 'last_used_at';

export interface TokenSort {
  column: TokenSortColumn;
  order: SortOrder;
  /** Start after this row; for name and owner its value is the text as `foldText` returns it. */
  after?: KeysetPosition | undefined;
  /** Decides how name and owner are folded to ignore case, the same on both stores. */
  dialect: Dialect;
}

export interface TokenListQuery {
  /** Only tokens of these keyspaces; undefined means all. */
  keyspaceIds?: readonly string[] | undefined;
  /** Leave out the tokens of this keyspace. */
  excludedKeyspaceId?: string | undefined;
  owner?: string | undefined;
  /** The state as a reader sees it at `now`: an active token past its expiry is expired. */
  state?: TokenState | undefined;
  /** Text found, ignoring case, in the name, owner, description, hint or id. */
  search?: string | undefined;
  /** Only tokens with an expiry at or before this time (ms since the epoch). */
  expiresBefore?: number | undefined;
  now: number;
  /** Without it, rows come by id descending; ids are UUIDv7, so that is newest first. */
  sort?: TokenSort | undefined;
  limit: number;
}

function sortKeyOf(sort: TokenSort): KeysetOrder['key'] {
  switch (sort.column) {
    case 'id':
      return null;
    case 'name':
    case 'owner':
      return foldedText(sort.dialect, sql.ref(`tokens.${sort.column}`));
    case 'created_at':
    case 'expires_at':
    case 'last_used_at':
      return sql.ref(`tokens.${sort.column}`);
  }
}

export async function listTokens(executor: Executor, query: TokenListQuery): Promise<TokenWithKeyspace[]> {
  // The dialect matters only for name and owner, so the default id order may name either.
  const sort: TokenSort = query.sort ?? { column: 'id', order: 'desc', dialect: 'sqlite' };
  let select = orderByKeyset(selectTokens(executor), { key: sortKeyOf(sort), id: sql.ref('tokens.id'), order: sort.order, after: sort.after }).limit(
    query.limit,
  );
  if (query.keyspaceIds) {
    if (query.keyspaceIds.length === 0) return [];
    select = select.where('tokens.keyspace_id', 'in', [...query.keyspaceIds]);
  }
  if (query.excludedKeyspaceId !== undefined) select = select.where('tokens.keyspace_id', '!=', query.excludedKeyspaceId);
  if (query.owner !== undefined) select = select.where('tokens.owner', '=', query.owner);
  if (query.expiresBefore !== undefined) select = select.where('tokens.expires_at', '<=', query.expiresBefore);
  if (query.search !== undefined && query.search !== '') {
    const columns = (['tokens.name', 'tokens.owner', 'tokens.description', 'tokens.hint', 'tokens.id'] as const).map((column) =>
      sql.ref<string | null>(column),
    );
    select = select.where(containsText(columns, query.search));
  }

  const now = query.now;
  switch (query.state) {
    case 'active':
      select = select.where('tokens.state', '=', 'active').where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]));
      break;
    case 'expired':
      select = select.where((eb) =>
        eb.or([eb('tokens.state', '=', 'expired'), eb.and([eb('tokens.state', '=', 'active'), eb('tokens.expires_at', '<=', now)])]),
      );
      break;
    case 'disabled':
    case 'suspended':
    case 'revoked':
      select = select.where('tokens.state', '=', query.state);
      break;
    case undefined:
      break;
  }
  return select.execute();
}

export interface LastUse {
  tokenId: string;
  usedAt: number;
  ip: string | null;
}

/** Writes last-used times; the newer time wins, so batches from several nodes may arrive in any order. */
export async function recordLastUse(executor: Executor, uses: readonly LastUse[]): Promise<void> {
  for (const use of uses) {
    await executor
      .updateTable('tokens')
      .set({ last_used_at: use.usedAt, last_used_ip: use.ip })
      .where('id', '=', use.tokenId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.usedAt)]))
      .execute();
  }
}
