import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

// Every case sends one bad request as an admin with every scope, so that only input handling can
// reject it, and expects an exact status, the error envelope, and a message naming the field.

interface InvalidRequest {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** `:token` is replaced by the id of an active token in keyspace billing. */
  path: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  status: number;
  code: string;
  /** Text the message must contain, so that a client can tell which field to fix. */
  field: string;
}

const longText = (length: number) => 'x'.repeat(length);
const metadataOf = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`key${index}`, 'value']));

// The server clock starts at 2026-01-15T12:00:00Z; keyspace billing keeps the default 90-day maximum lifetime.
const tokenRequests: InvalidRequest[] = [
  {
    name: 'unknown field',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', colour: 'red' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.colour',
  },
  { name: 'missing keyspace', method: 'POST', path: '/v1/tokens', body: { name: 'a' }, status: 400, code: 'VALIDATION_FAILED', field: 'body.keyspace' },
  { name: 'empty object body', method: 'POST', path: '/v1/tokens', body: {}, status: 400, code: 'VALIDATION_FAILED', field: 'body.keyspace' },
  {
    name: 'number for name',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 123 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'empty name',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: '' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'string for expiresInSeconds',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresInSeconds: '3600' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresInSeconds',
  },
  {
    name: 'fractional expiresInSeconds',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresInSeconds: 1.5 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresInSeconds',
  },
  {
    name: 'zero expiresInSeconds',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresInSeconds: 0 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresInSeconds',
  },
  {
    name: 'array for metadata',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: ['team'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata',
  },
  {
    name: 'number as metadata value',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: { team: 7 } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata.team',
  },
  {
    name: 'string for scopes',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', scopes: 'invoices:read' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes',
  },
  {
    name: 'string for neverExpires',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', neverExpires: 'yes' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.neverExpires',
  },
  {
    name: 'array as body',
    method: 'POST',
    path: '/v1/tokens',
    body: [{ keyspace: 'billing', name: 'a' }],
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body',
  },
  { name: 'null as body', method: 'POST', path: '/v1/tokens', rawBody: 'null', status: 400, code: 'VALIDATION_FAILED', field: 'body' },
  {
    name: 'over-long name',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: longText(201) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'over-long owner',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', owner: longText(201) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.owner',
  },
  {
    name: 'over-long description',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', description: longText(2001) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.description',
  },
  {
    name: 'over-long metadata value',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: { team: longText(501) } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata.team',
  },
  {
    name: 'over-long metadata key',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: { [longText(65)]: 'v' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata',
  },
  {
    name: 'too many metadata keys',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: metadataOf(33) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata',
  },
  {
    name: 'NUL in name',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a\u0000b' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'NUL in metadata value',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: { team: '\u0000' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata.team',
  },
  {
    name: 'NUL in metadata key',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', metadata: { 'te\u0000am': 'x' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata',
  },
  {
    name: 'scope without action',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', scopes: ['invoices'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes[0]',
  },
  {
    name: 'uppercase scope',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', scopes: ['invoices:read', 'Invoices:Read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes[1]',
  },
  {
    name: 'scope outside vocabulary',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', scopes: ['invoices:delete'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'scopes',
  },
  {
    name: 'admin scope outside admin',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', scopes: ['admin'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'scopes[0]',
  },
  {
    name: 'resource scope on admin',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'admin', name: 'a', scopes: ['invoices:read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'scopes',
  },
  {
    name: 'adminKeyspaces outside admin',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', adminKeyspaces: ['billing'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'adminKeyspaces',
  },
  {
    name: 'adminKeyspaces names nothing',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'admin', name: 'a', scopes: ['tokens:read'], adminKeyspaces: ['nowhere'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'adminKeyspaces',
  },
  {
    name: 'invalid keyspace name',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'Billing!', name: 'a' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.keyspace',
  },
  { name: 'unknown keyspace', method: 'POST', path: '/v1/tokens', body: { keyspace: 'nowhere', name: 'a' }, status: 404, code: 'NOT_FOUND', field: 'keyspace' },
  {
    name: 'expiresAt in the past',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2026-01-01T00:00:00Z' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'expiresAt',
  },
  {
    name: 'expiresAt equal to now',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2026-01-15T12:00:00Z' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'expiresAt',
  },
  {
    name: 'expiresAt unparseable',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: 'next tuesday' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresAt',
  },
  {
    name: 'expiresAt without time',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2026-02-01' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresAt',
  },
  {
    name: 'expiresAt impossible date',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2026-02-30T00:00:00Z' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.expiresAt',
  },
  {
    name: 'expiresAt beyond policy',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2027-01-01T00:00:00Z' },
    status: 422,
    code: 'POLICY_VIOLATION',
    field: 'expiresAt',
  },
  {
    name: 'expiresInSeconds beyond policy',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresInSeconds: 91 * 86400 },
    status: 422,
    code: 'POLICY_VIOLATION',
    field: 'expiresInSeconds',
  },
  {
    name: 'neverExpires not allowed',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', neverExpires: true },
    status: 422,
    code: 'POLICY_VIOLATION',
    field: 'neverExpires',
  },
  {
    name: 'two expiry fields',
    method: 'POST',
    path: '/v1/tokens',
    body: { keyspace: 'billing', name: 'a', expiresAt: '2026-02-01T00:00:00Z', expiresInSeconds: 60 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'expiresAt',
  },
];

const keyspaceRequests: InvalidRequest[] = [
  {
    name: 'keyspace unknown field',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'ks-a', prefix: 'ksa', owner: 'me' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.owner',
  },
  {
    name: 'keyspace missing prefix',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'ks-a' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.prefix',
  },
  {
    name: 'uppercase keyspace name',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'Payments', prefix: 'pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'keyspace name with slash',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'pay/ments', prefix: 'pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'empty keyspace name',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: '', prefix: 'pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'over-long keyspace name',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'k'.repeat(64), prefix: 'pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'reserved keyspace name',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'admin', prefix: 'pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'name',
  },
  {
    name: 'duplicate keyspace name',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'billing', prefix: 'pay' },
    status: 409,
    code: 'CONFLICT',
    field: 'name',
  },
  {
    name: 'uppercase prefix',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'Pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.prefix',
  },
  {
    name: 'prefix starting with digit',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: '1pay' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.prefix',
  },
  {
    name: 'prefix ending in underscore',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay_' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'prefix',
  },
  {
    name: 'prefix with double underscore',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay__live' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'prefix',
  },
  {
    name: 'over-long prefix',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'p'.repeat(17) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.prefix',
  },
  {
    name: 'duplicate prefix',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'bill' },
    status: 409,
    code: 'CONFLICT',
    field: 'prefix',
  },
  {
    name: 'over-long keyspace description',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', description: longText(2001) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.description',
  },
  {
    name: 'keyspace scope without colon',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', scopes: ['charges'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes[0]',
  },
  {
    name: 'admin as keyspace scope',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', scopes: ['admin'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'scopes[0]',
  },
  {
    name: 'too many keyspace scopes',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', scopes: Array.from({ length: 65 }, (_, i) => `r${i}:read`) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes',
  },
  {
    name: 'array for policy',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', policy: [] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.policy',
  },
  {
    name: 'string for policy lifetime',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', policy: { maxLifetimeSeconds: '3600' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.policy.maxLifetimeSeconds',
  },
  {
    name: 'policy lifetime too short',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', policy: { maxLifetimeSeconds: 59 } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.policy.maxLifetimeSeconds',
  },
  {
    name: 'unknown policy field',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', policy: { rotateDaily: true } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.policy.rotateDaily',
  },
  {
    name: 'NUL in keyspace description',
    method: 'POST',
    path: '/v1/keyspaces',
    body: { name: 'payments', prefix: 'pay', description: 'a\u0000' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.description',
  },
  { name: 'invalid keyspace in path', method: 'GET', path: '/v1/keyspaces/Not%20Valid', status: 400, code: 'VALIDATION_FAILED', field: 'params.name' },
  { name: 'unknown keyspace in path', method: 'GET', path: '/v1/keyspaces/nowhere', status: 404, code: 'NOT_FOUND', field: 'keyspace' },
];

const tokenIdRequests: InvalidRequest[] = [
  { name: 'unknown token id', method: 'GET', path: '/v1/tokens/0190a5f2-0000-7000-8000-000000000000', status: 404, code: 'NOT_FOUND', field: 'token' },
  { name: 'non-uuid token id', method: 'GET', path: '/v1/tokens/not-a-token', status: 404, code: 'NOT_FOUND', field: 'token' },
  { name: 'NUL in token id', method: 'GET', path: '/v1/tokens/a%00b', status: 400, code: 'VALIDATION_FAILED', field: 'params.id' },
  { name: 'over-long token id', method: 'GET', path: `/v1/tokens/${'a'.repeat(101)}`, status: 414, code: 'VALIDATION_FAILED', field: 'path' },
  { name: 'broken percent-encoding', method: 'GET', path: '/v1/tokens/%E0%A4%A', status: 400, code: 'VALIDATION_FAILED', field: 'path' },
  { name: 'update unknown token', method: 'PATCH', path: '/v1/tokens/not-a-token', body: { name: 'b' }, status: 404, code: 'NOT_FOUND', field: 'token' },
  { name: 'rotate unknown token', method: 'POST', path: '/v1/tokens/not-a-token/rotate', status: 404, code: 'NOT_FOUND', field: 'token' },
  {
    name: 'revoke unknown token',
    method: 'POST',
    path: '/v1/tokens/not-a-token/revoke',
    body: { reason: 'gone' },
    status: 404,
    code: 'NOT_FOUND',
    field: 'token',
  },
  { name: 'disable unknown token', method: 'POST', path: '/v1/tokens/not-a-token/disable', status: 404, code: 'NOT_FOUND', field: 'token' },
  { name: 'update with empty object', method: 'PATCH', path: '/v1/tokens/:token', body: {}, status: 400, code: 'VALIDATION_FAILED', field: 'body' },
  {
    name: 'update unknown field',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { scopes: ['invoices:write'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes',
  },
  {
    name: 'update over-long name',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { name: longText(201) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.name',
  },
  {
    name: 'update over-long owner',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { owner: longText(201) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.owner',
  },
  {
    name: 'update number for description',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { description: 5 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.description',
  },
  {
    name: 'update over-long metadata value',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { metadata: { team: longText(501) } },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata.team',
  },
  {
    name: 'update NUL in owner',
    method: 'PATCH',
    path: '/v1/tokens/:token',
    body: { owner: '\u0000' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.owner',
  },
  { name: 'revoke without reason', method: 'POST', path: '/v1/tokens/:token/revoke', status: 400, code: 'VALIDATION_FAILED', field: 'body.reason' },
  {
    name: 'revoke over-long reason',
    method: 'POST',
    path: '/v1/tokens/:token/revoke',
    body: { reason: longText(501) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.reason',
  },
  {
    name: 'revoke number as reason',
    method: 'POST',
    path: '/v1/tokens/:token/revoke',
    body: { reason: 1 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.reason',
  },
  { name: 'enable an active token', method: 'POST', path: '/v1/tokens/:token/enable', status: 409, code: 'CONFLICT', field: 'token' },
  {
    name: 'rotate negative grace',
    method: 'POST',
    path: '/v1/tokens/:token/rotate',
    body: { gracePeriodSeconds: -1 },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.gracePeriodSeconds',
  },
  {
    name: 'rotate unknown field',
    method: 'POST',
    path: '/v1/tokens/:token/rotate',
    body: { scopes: [] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes',
  },
  {
    name: 'rotate beyond policy',
    method: 'POST',
    path: '/v1/tokens/:token/rotate',
    body: { expiresInSeconds: 91 * 86400 },
    status: 422,
    code: 'POLICY_VIOLATION',
    field: 'expiresInSeconds',
  },
];

const verifyRequests: InvalidRequest[] = [
  { name: 'verify without token', method: 'POST', path: '/v1/verify', body: {}, status: 400, code: 'VALIDATION_FAILED', field: 'body.token' },
  { name: 'verify number as token', method: 'POST', path: '/v1/verify', body: { token: 42 }, status: 400, code: 'VALIDATION_FAILED', field: 'body.token' },
  {
    name: 'verify over-long token',
    method: 'POST',
    path: '/v1/verify',
    body: { token: longText(1025) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.token',
  },
  {
    name: 'verify malformed scope',
    method: 'POST',
    path: '/v1/verify',
    body: { token: 'x', scopes: ['READ'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.scopes[0]',
  },
  {
    name: 'verify invalid ip',
    method: 'POST',
    path: '/v1/verify',
    body: { token: 'x', ip: '999.1.1.1' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.ip',
  },
  {
    name: 'verify unknown field',
    method: 'POST',
    path: '/v1/verify',
    body: { token: 'x', keyspace: 'billing' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.keyspace',
  },
];

const queryRequests: InvalidRequest[] = [
  { name: 'limit zero', method: 'GET', path: '/v1/tokens?limit=0', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.limit' },
  { name: 'limit 10000', method: 'GET', path: '/v1/tokens?limit=10000', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.limit' },
  { name: 'limit not a number', method: 'GET', path: '/v1/tokens?limit=ten', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.limit' },
  { name: 'limit negative', method: 'GET', path: '/v1/keyspaces?limit=-5', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.limit' },
  { name: 'limit fractional', method: 'GET', path: '/v1/audit?limit=2.5', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.limit' },
  { name: 'unknown state', method: 'GET', path: '/v1/tokens?state=zombie', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.state' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/tokens?colour=red', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.colour' },
  {
    name: 'invalid keyspace filter',
    method: 'GET',
    path: '/v1/tokens?keyspace=Not!Valid',
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'querystring.keyspace',
  },
  { name: 'unknown keyspace filter', method: 'GET', path: '/v1/tokens?keyspace=nowhere', status: 404, code: 'NOT_FOUND', field: 'keyspace' },
  { name: 'token cursor of symbols', method: 'GET', path: '/v1/tokens?cursor=!!!!', status: 400, code: 'VALIDATION_FAILED', field: 'cursor' },
  { name: 'token cursor with NUL', method: 'GET', path: '/v1/tokens?cursor=AA', status: 400, code: 'VALIDATION_FAILED', field: 'cursor' },
  { name: 'keyspace cursor with NUL', method: 'GET', path: '/v1/keyspaces?cursor=AA', status: 400, code: 'VALIDATION_FAILED', field: 'cursor' },
  {
    name: 'over-long cursor',
    method: 'GET',
    path: `/v1/tokens?cursor=${'A'.repeat(2001)}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'querystring.cursor',
  },
  { name: 'audit cursor not a number', method: 'GET', path: '/v1/audit?cursor=YWJj', status: 400, code: 'VALIDATION_FAILED', field: 'cursor' },
  { name: 'unknown audit order', method: 'GET', path: '/v1/audit?order=sideways', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.order' },
  { name: 'NUL in audit action', method: 'GET', path: '/v1/audit?action=a%00b', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.action' },
  { name: 'NUL in owner filter', method: 'GET', path: '/v1/tokens?owner=%00', status: 400, code: 'VALIDATION_FAILED', field: 'querystring.owner' },
];

const deepNesting = 100_000;
const encodingRequests: InvalidRequest[] = [
  {
    name: 'truncated JSON',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: '{"keyspace": "billing", "name": ',
    status: 400,
    code: 'MALFORMED_JSON',
    field: 'body',
  },
  {
    name: 'unquoted JSON keys',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: '{keyspace: "billing", name: "a"}',
    status: 400,
    code: 'MALFORMED_JSON',
    field: 'body',
  },
  {
    name: 'trailing comma',
    method: 'POST',
    path: '/v1/keyspaces',
    rawBody: '{"name": "payments", "prefix": "pay",}',
    status: 400,
    code: 'MALFORMED_JSON',
    field: 'body',
  },
  {
    name: 'proto key in JSON',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: '{"keyspace": "billing", "name": "a", "__proto__": {"admin": true}}',
    status: 400,
    code: 'MALFORMED_JSON',
    field: 'body',
  },
  {
    name: 'constructor prototype in JSON',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: '{"keyspace": "billing", "name": "a", "constructor": {"prototype": {"admin": true}}}',
    status: 400,
    code: 'MALFORMED_JSON',
    field: 'body',
  },
  { name: 'empty JSON body', method: 'POST', path: '/v1/tokens', rawBody: '', status: 400, code: 'MALFORMED_JSON', field: 'body' },
  { name: 'empty JSON verify body', method: 'POST', path: '/v1/verify', rawBody: '', status: 400, code: 'MALFORMED_JSON', field: 'body' },
  { name: 'whitespace JSON body', method: 'POST', path: '/v1/keyspaces', rawBody: '   ', status: 400, code: 'MALFORMED_JSON', field: 'body' },
  {
    name: 'plain text body',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: '{"keyspace": "billing", "name": "a"}',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
  },
  {
    name: 'form-encoded body',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: 'keyspace=billing&name=a',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
  },
  {
    name: 'XML body',
    method: 'POST',
    path: '/v1/verify',
    rawBody: '<token>x</token>',
    contentType: 'application/xml',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
  },
  {
    name: 'multipart body',
    method: 'POST',
    path: '/v1/keyspaces',
    rawBody: '--b\r\n\r\nx\r\n--b--',
    contentType: 'multipart/form-data; boundary=b',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
  },
  {
    name: 'deeply nested JSON',
    method: 'POST',
    path: '/v1/tokens',
    rawBody: `{"keyspace": "billing", "name": "a", "metadata": {"team": ${'['.repeat(deepNesting)}${']'.repeat(deepNesting)}}}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'body.metadata.team',
  },
];

const invalidRequests = [...tokenRequests, ...keyspaceRequests, ...tokenIdRequests, ...verifyRequests, ...queryRequests, ...encodingRequests];

function expectErrorEnvelope(body: any): void {
  expect(body).toBeTypeOf('object');
  expect(Object.keys(body)).toEqual(['error']);
  const keys = Object.keys(body.error).sort();
  expect(keys.filter((key) => key !== 'field')).toEqual(['code', 'message']);
  expect(body.error.code).toBeTypeOf('string');
  expect(body.error.message).toBeTypeOf('string');
  // A named field is one the message names too, so a reader of either learns what to fix.
  if (keys.includes('field')) expect(body.error.message).toContain(body.error.field);
}

describeEachDatabase('HTTP input validation', (target) => {
  let server: TestServer;
  let activeTokenId: string;

  beforeAll(async () => {
    server = await startTestServer(target, { clock: new FakeClock(), name: `validation-${target.name}` });
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write'] } });
    expect(keyspace.status).toBe(201);
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'reporting', scopes: ['invoices:read'] } });
    expect(issued.status).toBe(201);
    rememberSecret(issued.body.secret);
    activeTokenId = issued.body.token.id;
  });
  afterAll(async () => server?.stop());

  describe('rejected requests', () => {
    test.each(invalidRequests)('$name', async (invalid) => {
      const path = invalid.path.replace(':token', activeTokenId);
      const headers = invalid.contentType === undefined ? undefined : { 'content-type': invalid.contentType };
      const response = await server.request(invalid.method, path, { body: invalid.body, rawBody: invalid.rawBody, headers });

      expect(response.status).toBe(invalid.status);
      expectErrorEnvelope(response.body);
      expect(response.body.error.code).toBe(invalid.code);
      expect(response.body.error.message).toContain(invalid.field);
    });
  });

  test('every rejected request left state unchanged', async () => {
    const tokens = await server.request('GET', '/v1/tokens?keyspace=billing');
    expect(tokens.status).toBe(200);
    expect(tokens.body.items).toHaveLength(1);
    expect(tokens.body.items[0].id).toBe(activeTokenId);
    expect(tokens.body.items[0].state).toBe('active');
    expect(tokens.body.items[0].successorId).toBeNull();

    const keyspaces = await server.request('GET', '/v1/keyspaces');
    expect(keyspaces.body.items.map((keyspace: { name: string }) => keyspace.name).sort()).toEqual(['admin', 'billing']);
  });

  test('no request logged as server error', () => {
    // pino level 50 is error, the level at which the error handler logs every 500 it sends.
    const errors = server.logLines().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });

  test('10 MB body gets 413', async () => {
    const huge = JSON.stringify({ keyspace: 'billing', name: 'a', description: 'x'.repeat(10 * 1024 * 1024) });
    const response = await server.request('POST', '/v1/tokens', { rawBody: huge });

    expect(response.status).toBe(413);
    expectErrorEnvelope(response.body);
    expect(response.body.error.code).toBe('BODY_TOO_LARGE');
    expect(response.body.error.message).toContain('body');
  });

  test('errors never echo token', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'echo-check' } });
    expect(issued.status).toBe(201);
    const secret = rememberSecret(issued.body.secret);

    const bodies = [`{"token": "${secret}"`, `{"token": ${secret}}`, `${secret}`, `{"token": "${secret}", }`, `['${secret}']`];
    for (const rawBody of bodies) {
      const response = await server.request('POST', '/v1/verify', { rawBody });
      expect(response.status).toBe(400);
      expectErrorEnvelope(response.body);
      expect(response.body.error.code).toBe('MALFORMED_JSON');
      expect(JSON.stringify(response.body)).not.toContain(secret);
      expect(JSON.stringify(response.body)).not.toContain(secret.slice(5, 30));
    }

    const paths = [`/v1/tokens/${secret}${'x'.repeat(60)}`, `/v1/tokens/%E0%A4%A${secret}`, `/v1/keyspaces/${secret}`];
    for (const path of paths) {
      const response = await server.request('GET', path);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectErrorEnvelope(response.body);
      expect(JSON.stringify(response.body)).not.toContain(secret.slice(5, 30));
    }
  });

  test('JSON with charset parameter accepted', async () => {
    const response = await server.request('POST', '/v1/verify', {
      rawBody: JSON.stringify({ token: 'bill_nothing' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ valid: false, code: 'MALFORMED' });
  });

  test('neverExpires allowed by policy', async () => {
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'forever', prefix: 'frv', policy: { allowNoExpiry: true } } });
    expect(keyspace.status).toBe(201);

    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'forever', name: 'batch', neverExpires: true } });
    expect(issued.status).toBe(201);
    rememberSecret(issued.body.secret);
    expect(issued.body.token.expiresAt).toBeNull();
  });
});
