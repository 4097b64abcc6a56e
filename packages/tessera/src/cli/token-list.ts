import type { TokenState } from '../core/token-state.js';
import type { Token } from '../services/views.js';
import type { TesseraClient } from './client.js';

export interface TokenListOptions {
  keyspace?: string;
  owner?: string;
  state?: TokenState;
  search?: string;
  expiringWithin?: number;
  sort?: string;
  order?: string;
  limit: number;
  cursor?: string;
}

/** The largest page the API returns. */
const maxPageSize = 500;

/**
 * Reads up to `options.limit` tokens, page by page. Returns the cursor after the last token read
 * when more tokens match, or null when none do.
 */
export async function listTokenPages(client: TesseraClient, options: TokenListOptions): Promise<{ tokens: Token[]; nextCursor: string | null }> {
  const filters = {
    keyspace: options.keyspace,
    owner: options.owner,
    state: options.state,
    q: options.search,
    expiringWithinDays: options.expiringWithin,
    sort: options.sort,
    order: options.order,
  };
  const tokens: Token[] = [];
  let cursor = options.cursor;
  do {
    const page = await client.listTokens({ ...filters, limit: Math.min(maxPageSize, options.limit - tokens.length), cursor });
    tokens.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && tokens.length < options.limit);
  if (!cursor) return { tokens, nextCursor: null };

  // A full page always carries a cursor, even when it held the last match, so look one token ahead.
  const ahead = await client.listTokens({ ...filters, limit: 1, cursor });
  return { tokens, nextCursor: ahead.items.length > 0 ? cursor : null };
}
