import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { documentedOrder, foldAscii } from './support/list-order.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86_400;
const pageLimit = 5;

type SortField = 'name' | 'owner' | 'createdAt' | 'expiresAt' | 'lastUsedAt';

interface ListedToken {
  id: string;
  name: string;
  owner: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/**
 * The tokens of the suite: names and owners that differ only in case, equal expiries (created in
 * the same second with the same lifetime), tokens without owner, expiry or use. `used` is the
 * second, counted from the first verification, at which the token is verified.
 */
const planned: { name: string; owner: string | null; expiresInDays: number | null; used: number | null; description?: string }[] = [
  { name: 'alpha', owner: 'Ops', expiresInDays: 10, used: 0 },
  { name: 'Alpha', owner: 'ops', expiresInDays: 10, used: 0 },
  { name: 'beta', owner: null, expiresInDays: null, used: 5 },
  { name: 'Gamma', owner: 'dev', expiresInDays: 5, used: null },
  { name: 'delta', owner: null, expiresInDays: null, used: null },
  { name: '50%_off', owner: 'ops', expiresInDays: 20, used: 5, description: 'Spring campaign' },
  { name: 'zeta', owner: 'Dev', expiresInDays: 5, used: null },
  { name: 'eta', owner: 'qa', expiresInDays: null, used: 9 },
  { name: 'theta', owner: 'qa', expiresInDays: 1, used: null },
  { name: '50x off', owner: 'ops', expiresInDays: 20, used: null },
  { name: 'kappa', owner: null, expiresInDays: 3, used: 2 },
  { name: 'a_b', owner: 'dev', expiresInDays: null, used: null },
  { name: 'Mu', owner: 'qa', expiresInDays: 1, used: null },
];

function sortValue(token: ListedToken, field: SortField): string | number | null {
  switch (field) {
    case 'name':
      return foldAscii(token.name);
    case 'owner':
      return token.owner === null ? null : foldAscii(token.owner);
    default: {
      const time = token[field];
      return time === null ? null : Date.parse(time);
    }
  }
}

function expectedOrder(tokens: readonly ListedToken[], field: SortField, order: 'asc' | 'desc'): string[] {
  return documentedOrder(tokens, (item) => sortValue(item, field), order);
}

describeEachDatabase('token list sorting and text search', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let all: ListedToken[] = [];

  /** Follows nextCursor to the end and returns the ids in the order the pages gave them, and the page count. */
  async function readSorted(query: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const cursorParameter: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await server.request('GET', `/v1/tokens?keyspace=catalog&limit=${pageLimit}&${query}${cursorParameter}`);
      expect(response.status).toBe(200);
      ids.push(...response.body.items.map((token: ListedToken) => token.id));
      cursor = response.body.nextCursor;
      pages += 1;
      // Bounded, so a cursor that never ends fails the test instead of hanging it.
      expect(pages).toBeLessThanOrEqual(10);
    } while (cursor !== null);
    return { ids, pages };
  }

  async function firstPage(query: string): Promise<{ status: number; body: any }> {
    return server.request('GET', `/v1/tokens?keyspace=catalog&limit=${pageLimit}&${query}`);
  }

  function namesOf(ids: readonly string[]): string[] {
    return ids.map((id) => all.find((token) => token.id === id)!.name);
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `token-list-sorting-${target.name}` });
    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'catalog', prefix: 'cat', policy: { maxLifetimeSeconds: 3650 * day, allowNoExpiry: true } },
    });
    expect(keyspace.status).toBe(201);

    const secrets = new Map<string, string>();
    for (const [index, token] of planned.entries()) {
      const lifetime = token.expiresInDays === null ? { neverExpires: true } : { expiresInSeconds: token.expiresInDays * day };
      const body = { keyspace: 'catalog', name: token.name, ...(token.owner !== null && { owner: token.owner }), description: token.description, ...lifetime };
      const response = await server.request('POST', '/v1/tokens', { body });
      expect(response.status).toBe(201);
      secrets.set(token.name, rememberSecret(response.body.secret));
      // Two tokens per second, so creation times tie in pairs and ids must break the ties.
      if (index % 2 === 1) clock.advanceSeconds(1);
    }

    let second = 0;
    for (const token of [...planned].filter((item) => item.used !== null).sort((a, b) => a.used! - b.used!)) {
      clock.advanceSeconds(token.used! - second);
      second = token.used!;
      const verified = await server.request('POST', '/v1/verify', { body: { token: secrets.get(token.name) } });
      expect(verified.body.valid).toBe(true);
    }
    await server.tessera.context.usage.flush();

    const listed = await server.request('GET', '/v1/tokens?keyspace=catalog&limit=500');
    expect(listed.status).toBe(200);
    all = listed.body.items;
    expect(all).toHaveLength(planned.length);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('fixture has ties and missing values', () => {
    // Without these, the paging tests below could pass while ties or NULLs were mishandled.
    for (const field of ['name', 'owner', 'createdAt', 'expiresAt', 'lastUsedAt'] as const) {
      const values = all.map((token) => sortValue(token, field)).filter((value) => value !== null);
      expect(new Set(values).size, `${field} has a tie`).toBeLessThan(values.length);
    }
    for (const field of ['owner', 'expiresAt', 'lastUsedAt'] as const) {
      expect(all.filter((token) => sortValue(token, field) === null).length, `${field} has NULLs`).toBeGreaterThan(1);
    }
  });

  for (const field of ['name', 'owner', 'createdAt', 'expiresAt', 'lastUsedAt'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      test(`paging by ${field} ${order}`, async () => {
        const { ids, pages } = await readSorted(`sort=${field}&order=${order}`);

        expect(pages).toBe(3);
        expect(new Set(ids).size).toBe(planned.length);
        expect(ids).toEqual(expectedOrder(all, field, order));
      });
    }
  }

  test('sort names ignore ASCII case', async () => {
    const { ids } = await readSorted('sort=name');
    const names = namesOf(ids);
    const alphas = all
      .filter((token) => foldAscii(token.name) === 'alpha')
      .map((token) => token.id)
      .sort();

    // Byte order after folding: '%' < 'x' and '_' < 'l'.
    expect(names.map(foldAscii)).toEqual(['50%_off', '50x off', 'a_b', 'alpha', 'alpha', 'beta', 'delta', 'eta', 'gamma', 'kappa', 'mu', 'theta', 'zeta']);
    expect(ids.slice(3, 5)).toEqual(alphas);
  });

  test('missing values come last both ways', async () => {
    for (const order of ['asc', 'desc']) {
      const names = namesOf((await readSorted(`sort=expiresAt&order=${order}`)).ids);
      expect(names.slice(-4).sort()).toEqual(['a_b', 'beta', 'delta', 'eta']);
    }
    expect(namesOf((await readSorted('sort=expiresAt')).ids).slice(0, 2)).toEqual(['theta', 'Mu']);
    expect(namesOf((await readSorted('sort=lastUsedAt&order=desc')).ids)[0]).toBe('eta');
  });

  test('default stays newest first', async () => {
    const newestFirst = [...all]
      .map((token) => token.id)
      .sort()
      .reverse();

    expect((await readSorted('')).ids).toEqual(newestFirst);
    expect((await readSorted('order=asc')).ids).toEqual([...newestFirst].reverse());
  });

  test('sort combines with filters', async () => {
    // theta was created two seconds before Mu with the same lifetime; eta never expires.
    const { ids } = await readSorted('sort=expiresAt&order=desc&owner=qa');

    expect(namesOf(ids)).toEqual(['Mu', 'theta', 'eta']);
  });

  test('unknown sort or order is rejected', async () => {
    const badSort = await firstPage('sort=hint');
    const badOrder = await firstPage('sort=name&order=up');

    expect(badSort.status).toBe(400);
    expect(badSort.body.error.code).toBe('VALIDATION_FAILED');
    expect(badSort.body.error.message).toContain('sort');
    expect(badSort.body.error.message).toContain('expiresAt');
    expect(badOrder.status).toBe(400);
    expect(badOrder.body.error.message).toContain('order');
  });

  test('cursor of another sort is rejected', async () => {
    const byName = await firstPage('sort=name');
    const byDefault = await firstPage('');
    const cursor = encodeURIComponent(byName.body.nextCursor);

    const otherSort = await firstPage(`sort=owner&cursor=${cursor}`);
    const otherOrder = await firstPage(`sort=name&order=desc&cursor=${cursor}`);
    const withoutSort = await firstPage(`cursor=${cursor}`);
    const defaultCursor = await firstPage(`sort=name&cursor=${encodeURIComponent(byDefault.body.nextCursor)}`);

    for (const response of [otherSort, otherOrder, withoutSort, defaultCursor]) {
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.field).toBe('cursor');
    }
    expect(otherSort.body.error.message).toContain('sorted by name (asc)');
  });

  test('malformed cursors are rejected', async () => {
    const encode = (value: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64url'));
    const id = all[0]!.id;
    const forgedToken = `tessera_admin_${'A'.repeat(49)}`;
    const cursors = [
      'not-a-cursor',
      encode(['expiresAt', 'asc', 'soon', id]),
      encode(['expiresAt', 'asc', 1.5, id]),
      encode(['expiresAt', 'asc', 1, '']),
      encode(['expiresAt', 'asc', 1, `a\u0000b`]),
      encode(['expiresAt', 'asc', 1]),
      encode({ sort: 'expiresAt' }),
      encode([forgedToken, 'asc', 1, id]),
    ];

    for (const cursor of cursors) {
      const response = await firstPage(`sort=expiresAt&cursor=${cursor}`);
      expect(response.status, cursor).toBe(400);
      expect(response.body.error.field).toBe('cursor');
      expect(response.body.error.message).not.toContain(forgedToken);
    }
  });

  test('q matches wildcards literally', async () => {
    const names = async (q: string) => namesOf((await readSorted(`sort=name&q=${encodeURIComponent(q)}`)).ids);

    expect(await names('50%')).toEqual(['50%_off']);
    expect(await names('a_b')).toEqual(['a_b']);
    expect(await names('%_')).toEqual(['50%_off']);
    expect(await names('\\')).toEqual([]);
  });

  test('q searches description and owner', async () => {
    const names = async (q: string) => namesOf((await readSorted(`sort=name&q=${encodeURIComponent(q)}`)).ids);

    expect(await names('SPRING')).toEqual(['50%_off']);
    expect((await names('OPS')).length).toBe(all.filter((token) => token.owner !== null && foldAscii(token.owner) === 'ops').length);
  });

  test('q and the older search agree', async () => {
    const byQ = await readSorted('q=eta');
    const bySearch = await readSorted('search=eta');
    const conflicting = await firstPage('q=eta&search=beta');

    expect(namesOf(byQ.ids).sort()).toEqual(['beta', 'eta', 'theta', 'zeta']);
    expect(bySearch.ids).toEqual(byQ.ids);
    expect(conflicting.status).toBe(400);
    expect(conflicting.body.error.field).toBe('q');
  });

  test('cursor carries the longest names', async () => {
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'long-names', prefix: 'long' } });
    expect(keyspace.status).toBe(201);
    // 200 characters each: outside the BMP (400 UTF-16 code units), and with quotes that JSON escapes.
    const names = ['\u{1F600}'.repeat(200), '"'.repeat(200), `${'é'.repeat(199)}"`];
    for (const name of names) {
      const created = await server.request('POST', '/v1/tokens', { body: { keyspace: 'long-names', name } });
      expect(created.status).toBe(201);
      rememberSecret(created.body.secret);
    }

    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const cursorParameter: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await server.request('GET', `/v1/tokens?keyspace=long-names&sort=name&limit=1${cursorParameter}`);
      expect(response.status).toBe(200);
      listed.push(...response.body.items.map((token: ListedToken) => token.name));
      cursor = response.body.nextCursor;
      expect(listed.length).toBeLessThanOrEqual(names.length + 1);
    } while (cursor !== null);

    // Byte order: '"' (0x22) before 'é' (0xC3 0xA9) before U+1F600 (0xF0 ...).
    expect(listed).toEqual([names[1], names[2], names[0]]);
  });

  test('CLI sorts remotely and locally', async () => {
    const expected = namesOf(expectedOrder(all, 'expiresAt', 'desc'));
    const remote = await runCli(
      ['--url', server.url, '--json', 'token', 'list', '--keyspace', 'catalog', '--sort', 'expiresAt', '--order', 'desc', '--limit', '7'],
      {
        env: { TESSERA_TOKEN: server.adminToken },
      },
    );
    const local = await runCli(
      ['--data-dir', server.database.dataDir, '--json', 'token', 'list', '--keyspace', 'catalog', '--sort', 'expiresAt', '--order', 'desc'],
      {
        env: { DATABASE_URL: server.database.databaseUrl },
      },
    );
    const searched = await runCli(['--url', server.url, '--json', 'token', 'list', '--keyspace', 'catalog', '--search', 'ALPHA', '--sort', 'name'], {
      env: { TESSERA_TOKEN: server.adminToken },
    });

    expect(remote.code, remote.stderr).toBe(0);
    expect(JSON.parse(remote.stdout).map((token: ListedToken) => token.name)).toEqual(expected.slice(0, 7));
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout).map((token: ListedToken) => token.name)).toEqual(expected);
    expect(searched.code, searched.stderr).toBe(0);
    expect(JSON.parse(searched.stdout).map((token: ListedToken) => foldAscii(token.name))).toEqual(['alpha', 'alpha']);
  });

  test('CLI rejects an unknown sort', async () => {
    const result = await runCli(['--url', server.url, 'token', 'list', '--sort', 'hint'], { env: { TESSERA_TOKEN: server.adminToken } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--sort');
  });
});
