import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const tokenCount = 120;
const owners = ['team-a', 'team-b', 'team-c'];
const extraKeyspaceCount = 28;

type State = 'active' | 'revoked' | 'disabled' | 'expired';

/** One token the suite created, in creation order. */
interface Created {
  id: string;
  keyspace: 'alpha' | 'beta';
  owner: string;
  state: State;
}

/** Returns the state the suite puts a token in, by its position in creation order. */
function plannedState(index: number): State {
  if (index % 10 === 0) return 'revoked';
  if (index % 10 === 1) return 'disabled';
  if (index % 10 === 2) return 'expired';
  return 'active';
}

describeEachDatabase('token and keyspace listing', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let limitedAdmin: string;
  let adminTokenIds: string[];
  const created: Created[] = [];

  /** Follows nextCursor from the first page to the last and returns every page. */
  async function readPages(path: string, limit: number, token?: string): Promise<{ items: any[]; nextCursor: string | null }[]> {
    const pages: { items: any[]; nextCursor: string | null }[] = [];
    const separator = path.includes('?') ? '&' : '?';
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await server.request('GET', `${path}${separator}limit=${limit}${query}`, token === undefined ? {} : { token });
      expect(response.status).toBe(200);
      pages.push(response.body);
      cursor = response.body.nextCursor;
      // Bounded, so a cursor that never ends fails the test instead of hanging it.
      expect(pages.length).toBeLessThanOrEqual(50);
    } while (cursor !== null);
    return pages;
  }

  async function listTokenIds(query: string, token?: string): Promise<string[]> {
    const pages = await readPages(`/v1/tokens${query}`, 25, token);
    return pages.flatMap((page) => page.items.map((item: { id: string }) => item.id));
  }

  /** Ids of the created tokens that match, newest first, as the API orders them. */
  function expectedIds(matches: (token: Created) => boolean): string[] {
    return created
      .filter(matches)
      .map((token) => token.id)
      .reverse();
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `listing-${target.name}` });

    for (const name of ['alpha', 'beta']) {
      const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name, prefix: name.slice(0, 3), scopes: ['files:read'] } });
      expect(keyspace.status).toBe(201);
    }
    // Created out of name order, so paging by name cannot pass by following creation order.
    for (let step = 0; step < extraKeyspaceCount; step += 1) {
      const number = String((step * 11) % extraKeyspaceCount).padStart(2, '0');
      const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: `zone-${number}`, prefix: `zone${number}` } });
      expect(keyspace.status).toBe(201);
    }

    const limited = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'alpha operator', scopes: ['tokens:read', 'keyspaces:read'], adminKeyspaces: ['alpha'] },
    });
    expect(limited.status).toBe(201);
    limitedAdmin = rememberSecret(limited.body.secret as string);

    for (let index = 0; index < tokenCount; index += 1) {
      clock.advanceSeconds(1);
      const keyspace = index % 2 === 0 ? 'alpha' : 'beta';
      const owner = owners[index % owners.length]!;
      const state = plannedState(index);
      const body: Record<string, unknown> = { keyspace, owner, name: `token ${index}`, scopes: ['files:read'] };
      if (state === 'expired') body['expiresInSeconds'] = 3600;

      const issued = await server.request('POST', '/v1/tokens', { body });
      expect(issued.status).toBe(201);
      rememberSecret(issued.body.secret as string);
      created.push({ id: issued.body.token.id, keyspace, owner, state });
    }

    for (const token of created) {
      if (token.state === 'revoked')
        expect((await server.request('POST', `/v1/tokens/${token.id}/revoke`, { body: { reason: 'listing test' } })).status).toBe(200);
      if (token.state === 'disabled') expect((await server.request('POST', `/v1/tokens/${token.id}/disable`)).status).toBe(200);
    }
    // Past the one-hour expiry of the tokens planned as expired. The others live for 90 days.
    clock.advanceSeconds(2 * 3600);

    const adminTokens = await server.request('GET', '/v1/tokens?keyspace=admin');
    expect(adminTokens.status).toBe(200);
    adminTokenIds = adminTokens.body.items.map((item: { id: string }) => item.id);
    expect(adminTokenIds).toHaveLength(2);
  });
  afterAll(async () => server?.stop());

  test('pages cover every token once', async () => {
    const pages = await readPages('/v1/tokens', 25);
    const total = tokenCount + adminTokenIds.length;
    expect(pages).toHaveLength(Math.ceil(total / 25));

    pages.forEach((page, index) => {
      const isLast = index === pages.length - 1;
      expect(page.items).toHaveLength(isLast ? total - 25 * (pages.length - 1) : 25);
      if (isLast) expect(page.nextCursor).toBeNull();
      else expect(typeof page.nextCursor).toBe('string');
    });

    const ids = pages.flatMap((page) => page.items.map((item: { id: string }) => item.id));
    expect(new Set(ids).size).toBe(ids.length);
    // Newest first: the suite's tokens in reverse creation order, then the two older admin tokens.
    expect(ids).toEqual([...expectedIds(() => true), ...adminTokenIds]);

    const createdTimes = pages.flatMap((page) => page.items.map((item: { createdAt: string }) => Date.parse(item.createdAt)));
    for (let index = 1; index < createdTimes.length; index += 1) expect(createdTimes[index]!).toBeLessThanOrEqual(createdTimes[index - 1]!);
  });

  test('filter by keyspace', async () => {
    expect(await listTokenIds('?keyspace=alpha')).toEqual(expectedIds((token) => token.keyspace === 'alpha'));
    expect(await listTokenIds('?keyspace=beta')).toEqual(expectedIds((token) => token.keyspace === 'beta'));
    expect(await listTokenIds('?keyspace=zone-03')).toEqual([]);
  });

  test('filter by owner', async () => {
    for (const owner of owners) {
      expect(await listTokenIds(`?owner=${owner}`)).toEqual(expectedIds((token) => token.owner === owner));
    }
    expect(await listTokenIds('?owner=nobody')).toEqual([]);
  });

  test('filter by state', async () => {
    for (const state of ['active', 'revoked', 'disabled', 'expired'] as const) {
      const ids = await listTokenIds(`?state=${state}&keyspace=alpha`);
      expect(ids).toEqual(expectedIds((token) => token.keyspace === 'alpha' && token.state === state));
    }

    const expired = await server.request('GET', '/v1/tokens?state=expired&limit=500');
    expect(expired.body.items.map((item: { id: string }) => item.id)).toEqual(expectedIds((token) => token.state === 'expired'));
    for (const item of expired.body.items) expect(item.state).toBe('expired');
  });

  test('combined filters intersect', async () => {
    const ids = await listTokenIds('?keyspace=beta&owner=team-c&state=active');
    const expected = expectedIds((token) => token.keyspace === 'beta' && token.owner === 'team-c' && token.state === 'active');
    expect(expected.length).toBeGreaterThan(0);
    expect(ids).toEqual(expected);
  });

  test('keyspaces page by name', async () => {
    const pages = await readPages('/v1/keyspaces', 5);
    const total = 3 + extraKeyspaceCount;
    expect(pages).toHaveLength(Math.ceil(total / 5));
    expect(pages.at(-1)!.nextCursor).toBeNull();
    for (const page of pages.slice(0, -1)) expect(page.items).toHaveLength(5);

    const names = pages.flatMap((page) => page.items.map((item: { name: string }) => item.name));
    const zones = Array.from({ length: extraKeyspaceCount }, (_, number) => `zone-${String(number).padStart(2, '0')}`);
    expect(names).toEqual(['admin', 'alpha', 'beta', ...zones]);
  });

  test('limited admin sees one keyspace', async () => {
    const ids = await listTokenIds('', limitedAdmin);
    expect(ids).toEqual(expectedIds((token) => token.keyspace === 'alpha'));
    expect(await listTokenIds('?keyspace=alpha&state=disabled', limitedAdmin)).toEqual(
      expectedIds((token) => token.keyspace === 'alpha' && token.state === 'disabled'),
    );

    const keyspaces = await server.request('GET', '/v1/keyspaces', { token: limitedAdmin });
    expect(keyspaces.status).toBe(200);
    expect(keyspaces.body.items.map((item: { name: string }) => item.name)).toEqual(['alpha']);
    expect(keyspaces.body.nextCursor).toBeNull();
  });

  test('limited admin denied other keyspaces', async () => {
    for (const keyspace of ['beta', 'admin']) {
      const listed = await server.request('GET', `/v1/tokens?keyspace=${keyspace}`, { token: limitedAdmin });
      expect(listed.status).toBe(403);
      expect(listed.body.error.code).toBe('FORBIDDEN');
    }

    const betaToken = created.find((token) => token.keyspace === 'beta')!;
    const fetched = await server.request('GET', `/v1/tokens/${betaToken.id}`, { token: limitedAdmin });
    expect(fetched.status).toBe(404);

    const keyspace = await server.request('GET', '/v1/keyspaces/beta', { token: limitedAdmin });
    expect(keyspace.status).toBe(403);
  });

  test('invalid cursor and limit rejected', async () => {
    const badCursor = await server.request('GET', '/v1/tokens?cursor=!!!');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.message).toContain('cursor');

    for (const limit of ['0', '501', 'ten']) {
      const badLimit = await server.request('GET', `/v1/tokens?limit=${limit}`);
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.error.message).toContain('limit');
    }
  });
});
