import { listSecrets } from '../store/secret-repository.js';
import type { Executor, SecretRow } from '../store/schema.js';
import { listTokens, type TokenWithKeyspace } from '../store/token-repository.js';

const inventoryPageSize = 1000;

/**
 * Yields every token still in service, a page at a time, so memory contains one page however many
 * tokens there are. Revoked tokens and replaced predecessors grant nothing any more and are left out.
 */
export async function* tokensInService(db: Executor, now: number): AsyncGenerator<TokenWithKeyspace> {
  let before: string | undefined;
  for (;;) {
    const sort = { column: 'id', order: 'desc', after: before === undefined ? undefined : { value: null, id: before }, dialect: 'sqlite' } as const;
    const page = await listTokens(db, { now, sort, limit: inventoryPageSize });
    for (const row of page) if (row.state !== 'revoked' && row.successor_id === null) yield row;
    if (page.length < inventoryPageSize) return;
    before = page.at(-1)!.id;
  }
}

/** Yields every secret, or those of one environment, a page at a time. */
export async function* allSecrets(db: Executor, environment?: string): AsyncGenerator<SecretRow> {
  let after: string | undefined;
  for (;;) {
    const sort = { column: 'id', order: 'asc', after: after === undefined ? undefined : { value: null, id: after }, dialect: 'sqlite' } as const;
    const page = await listSecrets(db, { environment, sort, limit: inventoryPageSize });
    yield* page;
    if (page.length < inventoryPageSize) return;
    after = page.at(-1)!.id;
  }
}
