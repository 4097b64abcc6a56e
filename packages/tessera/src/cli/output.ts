import Table from 'cli-table3';
import type { Keyspace, Token } from '../services/views.js';
import { formatDuration } from '../core/duration.js';

export interface OutputOptions {
  json: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(head: string[], rows: (string | number | null)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => (cell === null ? '-' : String(cell))));
  process.stdout.write(`${table.toString()}\n`);
}

/** Key/value rows for one record. */
export function printDetails(rows: [string, string | number | null][]): void {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of rows) table.push({ [key]: value === null ? '-' : String(value) });
  process.stdout.write(`${table.toString()}\n`);
}

export function shortTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');
}

export function printTokenList(tokens: Token[]): void {
  printTable(
    ['id', 'keyspace', 'name', 'owner', 'state', 'hint', 'expires', 'last used'],
    tokens.map((token) => [
      token.id,
      token.keyspace,
      token.name,
      token.owner,
      token.state,
      token.hint,
      shortTime(token.expiresAt),
      shortTime(token.lastUsedAt),
    ]),
  );
}

export function printToken(token: Token): void {
  printDetails([
    ['id', token.id],
    ['keyspace', token.keyspace],
    ['name', token.name],
    ['owner', token.owner],
    ['description', token.description],
    ['scopes', token.scopes.join(' ') || null],
    ['state', token.stateReason ? `${token.state} (${token.stateReason})` : token.state],
    ['hint', token.hint],
    ['created', shortTime(token.createdAt)],
    ['expires', shortTime(token.expiresAt) ?? 'never'],
    ['last used', token.lastUsedAt ? `${shortTime(token.lastUsedAt)} from ${token.lastUsedIp ?? 'unknown'}` : null],
    ['predecessor', token.predecessorId],
    ['successor', token.successorId],
    ['metadata', Object.keys(token.metadata).length ? JSON.stringify(token.metadata) : null],
  ]);
}

export function printKeyspaces(keyspaces: Keyspace[]): void {
  printTable(
    ['name', 'prefix', 'scopes', 'max lifetime', 'grace', 'self-rotation', 'description'],
    keyspaces.map((keyspace) => [
      keyspace.name,
      keyspace.prefix,
      keyspace.scopes.join(' ') || 'any',
      keyspace.policy.allowNoExpiry ? `${formatDuration(keyspace.policy.maxLifetimeSeconds)} or none` : formatDuration(keyspace.policy.maxLifetimeSeconds),
      formatDuration(keyspace.policy.gracePeriodSeconds),
      keyspace.policy.allowSelfRotation ? 'yes' : 'no',
      keyspace.description,
    ]),
  );
}
