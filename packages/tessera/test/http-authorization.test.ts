import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

// Every admin route is called by every kind of caller. The expected status follows from one rule:
// a route succeeds for a token with its scope or with `admin`, gets 403 for any other valid admin
// token, and 401 for anything that is not a valid admin token.

const adminScopes = ['admin', 'keyspaces:read', 'keyspaces:write', 'tokens:read', 'tokens:write', 'tokens:verify', 'audit:read'] as const;
type AdminScope = (typeof adminScopes)[number];
const nonAdminScopes = adminScopes.filter((scope) => scope !== 'admin');

interface PreparedRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
}

interface AdminRoute {
  name: string;
  /** The scope that grants the route; `admin` grants every route. */
  scope: AdminScope;
  successStatus: 200 | 201;
  /** Status for a token with every scope but `admin`, limited to keyspace `other`. */
  limitedStatus: number;
  /** Status for an unlimited token without the route's scope; 403 unless the target is hidden from it. */
  deniedStatus?: number;
  /** Builds a fresh request, creating what it acts on with the root admin token. */
  prepare(): Promise<PreparedRequest>;
}

interface Caller {
  name: string;
  /** The bearer token, or null to send no Authorization header. */
  token: string | null;
  /** The admin token's id, for finding its audit entries. */
  id: string | null;
  scope?: AdminScope;
  authenticated: boolean;
  limited?: boolean;
}

interface IssuedToken {
  id: string;
  secret: string;
}

function expectedStatus(route: AdminRoute, caller: Caller): number {
  if (!caller.authenticated) return 401;
  if (caller.limited) return route.limitedStatus;
  if (caller.scope === 'admin' || caller.scope === route.scope) return route.successStatus;
  return route.deniedStatus ?? 403;
}

describeEachDatabase('HTTP authorization', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let routes: AdminRoute[] = [];
  const callers: Caller[] = [];
  /** Status of every request of the route table, by caller name. */
  const statusesByCaller = new Map<string, number[]>();
  const createdSecrets: string[] = [];
  let counter = 0;

  async function issue(body: Record<string, unknown>): Promise<IssuedToken> {
    const response = await server.request('POST', '/v1/tokens', { body: { name: `fixture-${++counter}`, ...body } });
    expect(response.status).toBe(201);
    const secret = rememberSecret(response.body.secret as string);
    createdSecrets.push(secret);
    return { id: response.body.token.id, secret };
  }

  /** Reads every audit entry that matches the query, following nextCursor. */
  async function readAudit(query: string): Promise<any[]> {
    const entries: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await server.request('GET', `/v1/audit?${query}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      entries.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return entries;
  }

  async function changeState(id: string, change: 'revoke' | 'disable'): Promise<void> {
    const response = await server.request('POST', `/v1/tokens/${id}/${change}`, { body: change === 'revoke' ? { reason: 'fixture' } : {} });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `authorization-${target.name}` });
    for (const [name, prefix] of [
      ['billing', 'bill'],
      ['other', 'oth'],
    ]) {
      const response = await server.request('POST', '/v1/keyspaces', { body: { name, prefix, scopes: ['invoices:read'] } });
      expect(response.status).toBe(201);
    }

    for (const scope of adminScopes) {
      const token = await issue({ keyspace: 'admin', scopes: [scope] });
      callers.push({ name: `scope ${scope}`, token: token.secret, id: token.id, scope, authenticated: true });
    }
    const unscoped = await issue({ keyspace: 'admin', scopes: [] });
    callers.push({ name: 'no scopes', token: unscoped.secret, id: unscoped.id, authenticated: true });
    const limited = await issue({ keyspace: 'admin', scopes: nonAdminScopes, adminKeyspaces: ['other'] });
    callers.push({ name: 'limited to other', token: limited.secret, id: limited.id, authenticated: true, limited: true });

    const revoked = await issue({ keyspace: 'admin', scopes: ['admin'] });
    await changeState(revoked.id, 'revoke');
    const disabled = await issue({ keyspace: 'admin', scopes: ['admin'] });
    await changeState(disabled.id, 'disable');
    const expiring = await issue({ keyspace: 'admin', scopes: ['admin'], expiresInSeconds: 60 });
    const billingToken = await issue({ keyspace: 'billing', scopes: ['invoices:read'] });
    const neverIssued = rememberSecret(generateToken('tessera_admin'));
    clock.advanceSeconds(61);

    callers.push(
      { name: 'revoked admin', token: revoked.secret, id: revoked.id, authenticated: false },
      { name: 'disabled admin', token: disabled.secret, id: disabled.id, authenticated: false },
      { name: 'expired admin', token: expiring.secret, id: expiring.id, authenticated: false },
      { name: 'non-admin token', token: billingToken.secret, id: null, authenticated: false },
      { name: 'never-issued token', token: neverIssued, id: null, authenticated: false },
      { name: 'malformed token', token: 'tessera_admin_not-a-token', id: null, authenticated: false }, // tessera:allow not a token
      { name: 'no header', token: null, id: null, authenticated: false },
    );

    const billingTarget = await issue({ keyspace: 'billing', scopes: ['invoices:read'] });
    const adminTarget = await issue({ keyspace: 'admin', scopes: ['tokens:read'] });
    routes = [
      {
        name: 'POST /v1/keyspaces',
        scope: 'keyspaces:write',
        successStatus: 201,
        limitedStatus: 403,
        prepare: async () => ({ method: 'POST', path: '/v1/keyspaces', body: { name: `ks-${++counter}`, prefix: `ks${counter}` } }),
      },
      {
        name: 'GET /v1/keyspaces',
        scope: 'keyspaces:read',
        successStatus: 200,
        limitedStatus: 200,
        prepare: async () => ({ method: 'GET', path: '/v1/keyspaces' }),
      },
      {
        name: 'GET /v1/keyspaces/:name',
        scope: 'keyspaces:read',
        successStatus: 200,
        limitedStatus: 403,
        prepare: async () => ({ method: 'GET', path: '/v1/keyspaces/billing' }),
      },
      {
        name: 'GET /v1/keyspaces/admin',
        scope: 'admin',
        successStatus: 200,
        limitedStatus: 403,
        prepare: async () => ({ method: 'GET', path: '/v1/keyspaces/admin' }),
      },
      {
        name: 'POST /v1/tokens',
        scope: 'tokens:write',
        successStatus: 201,
        limitedStatus: 403,
        prepare: async () => ({ method: 'POST', path: '/v1/tokens', body: { keyspace: 'billing', name: `issued-${++counter}` } }),
      },
      {
        name: 'POST /v1/tokens in admin',
        scope: 'admin',
        successStatus: 201,
        limitedStatus: 403,
        prepare: async () => ({ method: 'POST', path: '/v1/tokens', body: { keyspace: 'admin', name: `escalation-${++counter}`, scopes: ['admin'] } }),
      },
      { name: 'GET /v1/tokens', scope: 'tokens:read', successStatus: 200, limitedStatus: 200, prepare: async () => ({ method: 'GET', path: '/v1/tokens' }) },
      {
        name: 'GET /v1/tokens of admin',
        scope: 'admin',
        successStatus: 200,
        limitedStatus: 403,
        prepare: async () => ({ method: 'GET', path: '/v1/tokens?keyspace=admin' }),
      },
      {
        name: 'GET /v1/tokens/:id',
        scope: 'tokens:read',
        successStatus: 200,
        limitedStatus: 404,
        prepare: async () => ({ method: 'GET', path: `/v1/tokens/${billingTarget.id}` }),
      },
      {
        name: 'GET /v1/tokens/:id of admin',
        scope: 'admin',
        successStatus: 200,
        limitedStatus: 404,
        // Admin tokens read as absent to every caller without the admin scope.
        deniedStatus: 404,
        prepare: async () => ({ method: 'GET', path: `/v1/tokens/${adminTarget.id}` }),
      },
      {
        name: 'PATCH /v1/tokens/:id',
        scope: 'tokens:write',
        successStatus: 200,
        limitedStatus: 404,
        prepare: async () => ({ method: 'PATCH', path: `/v1/tokens/${billingTarget.id}`, body: { description: `edit ${++counter}` } }),
      },
      {
        name: 'POST /v1/tokens/:id/rotate',
        scope: 'tokens:write',
        successStatus: 201,
        limitedStatus: 404,
        prepare: async () => ({ method: 'POST', path: `/v1/tokens/${(await issue({ keyspace: 'billing' })).id}/rotate` }),
      },
      {
        name: 'POST /v1/tokens/:id/revoke',
        scope: 'tokens:write',
        successStatus: 200,
        limitedStatus: 404,
        prepare: async () => ({ method: 'POST', path: `/v1/tokens/${(await issue({ keyspace: 'billing' })).id}/revoke`, body: { reason: 'test' } }),
      },
      {
        name: 'POST /v1/tokens/:id/disable',
        scope: 'tokens:write',
        successStatus: 200,
        limitedStatus: 404,
        prepare: async () => ({ method: 'POST', path: `/v1/tokens/${(await issue({ keyspace: 'billing' })).id}/disable` }),
      },
      {
        name: 'POST /v1/tokens/:id/enable',
        scope: 'tokens:write',
        successStatus: 200,
        limitedStatus: 404,
        prepare: async () => {
          const token = await issue({ keyspace: 'billing' });
          await changeState(token.id, 'disable');
          return { method: 'POST', path: `/v1/tokens/${token.id}/enable` };
        },
      },
      {
        name: 'POST /v1/verify',
        scope: 'tokens:verify',
        successStatus: 200,
        limitedStatus: 200,
        prepare: async () => ({ method: 'POST', path: '/v1/verify', body: { token: billingTarget.secret } }),
      },
      { name: 'GET /v1/audit', scope: 'audit:read', successStatus: 200, limitedStatus: 200, prepare: async () => ({ method: 'GET', path: '/v1/audit' }) },
      {
        name: 'GET /v1/audit/verify',
        scope: 'audit:read',
        successStatus: 200,
        // The chain spans every keyspace, so only unlimited tokens may check it.
        limitedStatus: 403,
        prepare: async () => ({ method: 'GET', path: '/v1/audit/verify' }),
      },
    ];
  });
  afterAll(async () => server?.stop());

  test('every route against every caller', async () => {
    for (const route of routes) {
      const expected: Record<string, number> = {};
      const actual: Record<string, number> = {};
      for (const caller of callers) {
        const request = await route.prepare();
        const response = await server.request(request.method, request.path, { body: request.body, token: caller.token });
        if (typeof response.body?.secret === 'string') rememberSecret(response.body.secret);

        expected[caller.name] = expectedStatus(route, caller);
        actual[caller.name] = response.status;
        statusesByCaller.set(caller.name, [...(statusesByCaller.get(caller.name) ?? []), response.status]);
        if (response.status >= 400) {
          expect(Object.keys(response.body)).toEqual(['error']);
          expect(response.body.error.code).toBe({ 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[response.status]);
        }
      }
      // One comparison per route, so a failure shows the route's whole row of callers.
      expect({ route: route.name, statuses: actual }).toEqual({ route: route.name, statuses: expected });
    }
  });

  test('failed authentication is audited', async () => {
    const rejected = callers.filter((caller) => !caller.authenticated);
    const rejectedCount = rejected.reduce((sum, caller) => sum + (statusesByCaller.get(caller.name) ?? []).length, 0);
    expect(rejectedCount).toBe(rejected.length * routes.length);

    const entries = await readAudit('action=auth.failed');
    expect(entries).toHaveLength(rejectedCount);
    for (const entry of entries) {
      expect(entry.action).toBe('auth.failed');
      expect(entry.outcome).toBe('failure');
      expect(entry.actor.type).toBe('anonymous');
    }

    const reasons = new Set(entries.map((entry) => entry.details.reason));
    expect(reasons).toEqual(new Set(['revoked', 'disabled', 'expired', 'not_found', 'malformed', 'missing_header']));
  });

  test('403s are audited as denied', async () => {
    for (const caller of callers.filter((candidate) => candidate.authenticated)) {
      const forbidden = (statusesByCaller.get(caller.name) ?? []).filter((status) => status === 403).length;
      const entries = await readAudit(`actorId=${caller.id}`);
      const denied = entries.filter((entry) => entry.outcome === 'denied');
      expect({ caller: caller.name, denied: denied.length }).toEqual({ caller: caller.name, denied: forbidden });
    }
  });

  test('403 names the missing scope', async () => {
    const unscoped = callers.find((caller) => caller.name === 'no scopes')!;
    const response = await server.request('GET', '/v1/audit', { token: unscoped.token });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain("'audit:read'");

    const tokenReader = callers.find((caller) => caller.scope === 'tokens:read')!;
    const adminList = await server.request('GET', '/v1/tokens?keyspace=admin', { token: tokenReader.token });
    expect(adminList.status).toBe(403);
    expect(adminList.body.error.message).toContain("'admin'");
  });

  test('limited token sees its keyspace only', async () => {
    const limited = callers.find((caller) => caller.limited)!;
    const billingToken = await issue({ keyspace: 'billing', scopes: ['invoices:read'] });
    const otherToken = await issue({ keyspace: 'other', scopes: ['invoices:read'] });

    const billingVerify = await server.request('POST', '/v1/verify', { body: { token: billingToken.secret }, token: limited.token });
    expect(billingVerify.status).toBe(200);
    expect(billingVerify.body).toEqual({ valid: false, code: 'NOT_FOUND' });

    const otherVerify = await server.request('POST', '/v1/verify', { body: { token: otherToken.secret }, token: limited.token });
    expect(otherVerify.status).toBe(200);
    expect(otherVerify.body).toMatchObject({ valid: true, code: 'VALID', tokenId: otherToken.id, keyspace: 'other' });

    const billingRead = await server.request('GET', `/v1/tokens/${billingToken.id}`, { token: limited.token });
    expect(billingRead.status).toBe(404);
    expect(billingRead.body.error.code).toBe('NOT_FOUND');

    const otherRead = await server.request('GET', `/v1/tokens/${otherToken.id}`, { token: limited.token });
    expect(otherRead.status).toBe(200);
    expect(otherRead.body.keyspace).toBe('other');

    const listed = await server.request('GET', '/v1/tokens?limit=500', { token: limited.token });
    expect(listed.status).toBe(200);
    expect(new Set(listed.body.items.map((token: { keyspace: string }) => token.keyspace))).toEqual(new Set(['other']));
    expect(listed.body.items.map((token: { id: string }) => token.id)).toContain(otherToken.id);

    const billingList = await server.request('GET', '/v1/tokens?keyspace=billing', { token: limited.token });
    expect(billingList.status).toBe(403);

    const keyspaces = await server.request('GET', '/v1/keyspaces', { token: limited.token });
    expect(keyspaces.status).toBe(200);
    expect(keyspaces.body.items.map((keyspace: { name: string }) => keyspace.name)).toEqual(['other']);

    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'other', name: 'in-scope' }, token: limited.token });
    expect(issued.status).toBe(201);
    rememberSecret(issued.body.secret);
  });

  test('limited token reads its keyspace audit', async () => {
    const limited = callers.find((caller) => caller.limited)!;
    const response = await server.request('GET', '/v1/audit?limit=500', { token: limited.token });
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBeGreaterThan(0);
    expect(new Set(response.body.items.map((entry: { keyspace: string | null }) => entry.keyspace))).toEqual(new Set(['other']));

    const unlimited = await server.request('GET', '/v1/audit?limit=500');
    const keyspaces = new Set(unlimited.body.items.map((entry: { keyspace: string | null }) => entry.keyspace));
    expect(keyspaces.has('billing')).toBe(true);
    expect(keyspaces.has(null)).toBe(true);
  });

  test('audit holds no token plaintext', async () => {
    const text = JSON.stringify(await readAudit('order=asc'));
    for (const secret of [...createdSecrets, ...callers.flatMap((caller) => (caller.token ? [caller.token] : []))]) {
      expect(text).not.toContain(secret);
    }
  });
});
