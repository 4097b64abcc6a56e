import { validationError } from '../core/errors.js';
import type { KeysetPosition, SortOrder } from '../store/keyset.js';

export const defaultPageSize = 50;
export const maxPageSize = 500;

/** Cursors are opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(String(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString();
  // A key with U+0000 matches no row, and PostgreSQL rejects it in a text comparison.
  if (key.length === 0 || key.length > 200 || key.includes('\u0000'))
    throw validationError('cursor', 'not a cursor from a previous page; pass nextCursor unchanged or omit it');
  return key;
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) throw validationError('limit', `must be an integer from 1 to ${maxPageSize}`);
  return limit;
}

/** Reads a cursor that carries a sequence number, as the audit log and the event outbox page by. */
export function decodeSeqCursor(cursor: string | undefined): number | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  // Digits only: Number() also reads "1e21", which PostgreSQL rejects as a bigint.
  if (!/^\d{1,15}$/.test(key)) throw validationError('cursor', 'not a cursor from a previous page; pass nextCursor unchanged or omit it');
  return Number(key);
}

/** A sort that a list route accepts: the API's field name, and whether its values are text or times. */
export interface SortField {
  name: string;
  kind: 'text' | 'time';
}

// Long enough for the cursor of a 200-character name, even where each character takes a JSON escape or four UTF-8 bytes.
export const sortedCursorMaxLength = 2000;

// Names and owners are at most 200 characters, which JavaScript counts as up to 400 UTF-16 code units.
const maxSortTextUnits = 400;

// A string with U+0000 matches no row, and PostgreSQL rejects it in a text comparison.
function isCursorText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && !value.includes('\u0000');
}

function isSortValue(value: unknown, kind: SortField['kind']): boolean {
  if (value === null) return true;
  if (kind === 'time') return Number.isSafeInteger(value);
  return isCursorText(value, maxSortTextUnits);
}

const invalidCursor = 'not a cursor from a previous page; pass nextCursor unchanged or omit it';

/**
 * Encodes the last row of a sorted page. The cursor names its sort and order, so that it is never
 * read under another one, where it would skip or repeat rows.
 */
export function encodeSortedCursor(sort: string, order: SortOrder, position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([sort, order, position.value, position.id])).toString('base64url');
}

/** Reads a cursor from `encodeSortedCursor` and checks that it belongs to this sort and order. */
export function decodeSortedCursor(cursor: string | undefined, sort: SortField, order: SortOrder): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw validationError('cursor', invalidCursor);
  }
  if (!Array.isArray(decoded) || decoded.length !== 4) throw validationError('cursor', invalidCursor);

  const [cursorSort, cursorOrder, value, id] = decoded as unknown[];
  // The names are echoed only in the shape of a field name, so a forged cursor cannot put a token into the message.
  if (typeof cursorSort !== 'string' || !/^[A-Za-z]{1,20}$/.test(cursorSort) || (cursorOrder !== 'asc' && cursorOrder !== 'desc')) {
    throw validationError('cursor', invalidCursor);
  }
  if (cursorSort !== sort.name || cursorOrder !== order) {
    throw validationError(
      'cursor',
      `belongs to a list sorted by ${cursorSort} (${cursorOrder}), not by ${sort.name} (${order}); pass the sort and order of the page it came from, or omit the cursor`,
    );
  }
  if (!isCursorText(id, 200) || id === '' || !isSortValue(value, sort.kind)) throw validationError('cursor', invalidCursor);
  return { value: value as string | number | null, id };
}

/** The sort of one list request: a field the list offers, or its id order, and a direction. */
export interface ListSort {
  field: SortField;
  order: SortOrder;
}

/** Sorting by id alone is each list's default, and a cursor names it like any other sort. */
export const idSortField: SortField = { name: 'id', kind: 'text' };

/**
 * Checks the requested sort and order against the fields a list offers. Without `sort` the list
 * keeps its id order, `idOrder` unless `order` is given; with `sort` the order defaults to asc.
 */
export function chooseSort(fields: readonly SortField[], sort: string | undefined, order: string | undefined, idOrder: SortOrder): ListSort {
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw validationError('order', 'must be asc or desc');
  if (sort === undefined) return { field: idSortField, order: order ?? idOrder };

  const field = fields.find((candidate) => candidate.name === sort);
  if (!field) throw validationError('sort', `must be one of ${fields.map((candidate) => candidate.name).join(', ')}; omit it for the default order`);
  return { field, order: order ?? 'asc' };
}

/** Returns the cursor of the page after `rows`, or null when they were the last. */
export function nextSortedCursor<Row extends { id: string }>(
  rows: readonly Row[],
  limit: number,
  sort: ListSort,
  valueOf: (row: Row) => string | number | null,
): string | null {
  const last = rows.at(-1);
  if (rows.length < limit || !last) return null;
  return encodeSortedCursor(sort.field.name, sort.order, { value: sort.field === idSortField ? null : valueOf(last), id: last.id });
}
