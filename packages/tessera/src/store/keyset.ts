import { sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Dialect } from './schema.js';

export type SortOrder = 'asc' | 'desc';

/** The last row of a page: its sort value and its id, which breaks ties. */
export interface KeysetPosition {
  value: string | number | null;
  id: string;
}

/** The order of a list and the row its page starts after. */
export interface KeysetOrder {
  /** The sort expression, or null to order by id alone. */
  key: Expression<unknown> | null;
  id: Expression<string>;
  order: SortOrder;
  after?: KeysetPosition | undefined;
}

/**
 * Folds ASCII letters to lowercase and compares byte by byte, the same on both stores: SQLite's
 * lower() changes ASCII letters only, and so does PostgreSQL's under the "C" collation, which also
 * orders by byte whatever the database's own collation is. Letters outside ASCII keep their case.
 */
export function foldedText(dialect: Dialect, column: Expression<string | null>): RawBuilder<string | null> {
  return dialect === 'postgres' ? sql<string | null>`lower(${column} collate "C")` : sql<string | null>`lower(${column})`;
}

/** Folds text as `foldedText` does in SQL, so a cursor records the value the row sorted by. */
export function foldText(text: string | null): string | null {
  return text === null ? null : text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Orders by the key, then by id in the same direction, and starts after `after`. Rows without a
 * key value (NULL) come last in both directions, so the NULLS LAST clause is spelled out: the two
 * stores' defaults differ.
 */
export function orderByKeyset<DB, TB extends keyof DB, O>(select: SelectQueryBuilder<DB, TB, O>, keyset: KeysetOrder): SelectQueryBuilder<DB, TB, O> {
  const direction = sql.raw(keyset.order);
  const beyond = sql.raw(keyset.order === 'asc' ? '>' : '<');
  const { key, id, after } = keyset;

  if (key === null) {
    const ordered = select.orderBy(sql`${id} ${direction}`);
    return after === undefined ? ordered : ordered.where(sql<SqlBool>`${id} ${beyond} ${after.id}`);
  }

  const ordered = select.orderBy(sql`${key} ${direction} nulls last`).orderBy(sql`${id} ${direction}`);
  if (after === undefined) return ordered;
  // NOTE: no index serves these sorts, so each page scans the list: about 70 ms for 100,000 tokens on
  // PostgreSQL (docs/benchmarks.md). An index on (column, id) helped SQLite, but PostgreSQL still
  // took as long for pages after the first with this OR condition.

  if (after.value === null) return ordered.where(sql<SqlBool>`(${key} is null and ${id} ${beyond} ${after.id})`);
  return ordered.where(sql<SqlBool>`(${key} ${beyond} ${after.value} or (${key} = ${after.value} and ${id} ${beyond} ${after.id}) or ${key} is null)`);
}

/** Escapes LIKE's wildcards, so searched text matches literally. */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Returns a condition that is true when `text` occurs, ignoring case, in any of the columns.
 * lower() on both sides, because LIKE ignores case in SQLite but not in PostgreSQL.
 */
export function containsText(columns: readonly Expression<string | null>[], text: string): RawBuilder<SqlBool> {
  return containsPattern(columns, `%${escapeLikePattern(text.toLowerCase())}%`);
}

/** Returns a condition that is true when the LIKE pattern, already escaped, matches any of the columns in lowercase. */
export function containsPattern(columns: readonly Expression<string | null>[], pattern: string): RawBuilder<SqlBool> {
  const matches = columns.map((column) => sql<SqlBool>`lower(${column}) like ${pattern} escape '\\'`);
  return sql<SqlBool>`(${sql.join(matches, sql` or `)})`;
}
