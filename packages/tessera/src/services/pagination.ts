import { validationError } from '../core/errors.js';

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
