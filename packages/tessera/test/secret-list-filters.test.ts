import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { FakeClock } from './support/fake-clock.js';
import { documentedOrder, foldAscii } from './support/list-order.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

type SortField = 'name' | 'expiresAt' | 'updatedAt';

interface ListedSecret {
  id: string;
  name: string;
  provider: string | null;
  expiresAt: string | null;
  updatedAt: string;
}

/** The secrets of the suite, created one second apart; names differ in case, some expiries tie or are missing. */
const planned = [
  { name: 'STRIPE_KEY', provider: 'stripe', expiresAt: '2027-03-01', tags: ['payments'], description: '100% of card charges' },
  { name: 'stripe_webhook', provider: 'stripe', expiresAt: null, tags: ['payments', 'hooks'], description: null },
  { name: 'GITHUB_TOKEN', provider: 'github', expiresAt: '2027-01-15', tags: ['ci'], description: 'release job' },
  { name: 'A_B', provider: null, expiresAt: '2027-01-15', tags: ['Team_Ops'], description: null },
  { name: 'AXB', provider: null, expiresAt: null, tags: ['teamXops'], description: 'legacy' },
  { name: 'github_app', provider: 'github', expiresAt: '2027-06-30', tags: [], description: 'a "quoted" note' },
  { name: 'Zulu_KEY', provider: 'twilio', expiresAt: '2027-01-15', tags: ['sms'], description: null },
];

function sortValue(secret: ListedSecret, field: SortField): string | number | null {
  if (field === 'name') return foldAscii(secret.name);
  const time = secret[field];
  return time === null ? null : Date.parse(time);
}

function expectedOrder(secrets: readonly ListedSecret[], field: SortField, order: 'asc' | 'desc'): string[] {
  return documentedOrder(secrets, (item) => sortValue(item, field), order);
}

describeEachDatabase('secret list filters and sorting', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let all: ListedSecret[] = [];

  /** Follows nextCursor with pages of 3 and returns the names in the order the pages gave them. */
  async function readNames(query: string): Promise<{ names: string[]; ids: string[]; pages: number }> {
    const items: ListedSecret[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const cursorParameter: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await server.request('GET', `/v1/secrets?environment=production&limit=3&${query}${cursorParameter}`);
      expect(response.status).toBe(200);
      items.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages += 1;
      // Bounded, so a cursor that never ends fails the test instead of hanging it.
      expect(pages).toBeLessThanOrEqual(10);
    } while (cursor !== null);
    return { names: items.map((secret) => secret.name), ids: items.map((secret) => secret.id), pages };
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `secret-list-filters-${target.name}` });
    for (const secret of planned) {
      const value = rememberSecret(`value-${randomBytes(16).toString('hex')}`);
      const response = await server.request('POST', '/v1/secrets', { body: { ...secret, environment: 'production', value } });
      expect(response.status).toBe(201);
      clock.advanceSeconds(1);
    }
    // A secret elsewhere, which the environment filter must leave out.
    const staging = await server.request('POST', '/v1/secrets', {
      body: { name: 'STRIPE_KEY', environment: 'staging', provider: 'stripe', value: rememberSecret(`value-${randomBytes(16).toString('hex')}`) },
    });
    expect(staging.status).toBe(201);
    // Updated last, so updatedAt no longer follows creation order.
    const updated = await server.request('PATCH', '/v1/secrets/production/STRIPE_KEY', { body: { owner: 'payments' } });
    expect(updated.status).toBe(200);

    const listed = await server.request('GET', '/v1/secrets?environment=production&limit=500');
    expect(listed.status).toBe(200);
    all = listed.body.items;
    expect(all.map((secret) => secret.provider)).toEqual(planned.map((secret) => secret.provider));
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const field of ['name', 'expiresAt', 'updatedAt'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      test(`paging by ${field} ${order}`, async () => {
        const { ids, pages } = await readNames(`sort=${field}&order=${order}`);

        expect(pages).toBe(3);
        expect(ids).toEqual(expectedOrder(all, field, order));
      });
    }
  }

  test('sort orders names and expiries', async () => {
    expect((await readNames('sort=name')).names).toEqual(['A_B', 'AXB', 'github_app', 'GITHUB_TOKEN', 'STRIPE_KEY', 'stripe_webhook', 'Zulu_KEY']);
    expect((await readNames('sort=expiresAt&order=desc')).names.slice(-2)).toEqual(['AXB', 'stripe_webhook']);
    expect((await readNames('sort=updatedAt&order=desc')).names[0]).toBe('STRIPE_KEY');
  });

  test('default stays oldest first', async () => {
    expect((await readNames('')).names).toEqual(planned.map((secret) => secret.name));
    expect((await readNames('order=desc')).names).toEqual(planned.map((secret) => secret.name).reverse());
  });

  test('provider filter matches exactly', async () => {
    expect((await readNames('provider=stripe&sort=name')).names).toEqual(['STRIPE_KEY', 'stripe_webhook']);
    expect((await readNames('provider=git')).names).toEqual([]);
  });

  test('q searches names, descriptions and tags', async () => {
    const names = async (q: string) => (await readNames(`sort=name&q=${encodeURIComponent(q)}`)).names;

    expect(await names('webhook')).toEqual(['stripe_webhook']);
    expect(await names('RELEASE')).toEqual(['GITHUB_TOKEN']);
    expect(await names('hooks')).toEqual(['stripe_webhook']);
    expect(await names('twilio')).toEqual(['Zulu_KEY']);
    expect(await names('team_ops')).toEqual(['A_B']);
  });

  test('q matches wildcards and quotes literally', async () => {
    const names = async (q: string) => (await readNames(`sort=name&q=${encodeURIComponent(q)}`)).names;

    expect(await names('a_b')).toEqual(['A_B']);
    expect(await names('100%')).toEqual(['STRIPE_KEY']);
    expect(await names('"quoted"')).toEqual(['github_app']);
    // Two tags are stored as ["payments","hooks"]; a search never spans the quotes between them.
    expect(await names('payments","hooks')).toEqual([]);
    expect(await names('s","h')).toEqual([]);
  });

  test('filters combine with sorting', async () => {
    const { names } = await readNames('provider=github&q=git&sort=expiresAt&order=desc');

    expect(names).toEqual(['github_app', 'GITHUB_TOKEN']);
  });

  test('CLI filters and sorts secrets', async () => {
    const args = ['--url', server.url, '--json', 'secret', 'list', '--env', 'production', '--provider', 'github', '--sort', 'expiresAt', '--order', 'desc'];
    const listed = await runCli(args, { env: { TESSERA_TOKEN: server.adminToken } });
    const searched = await runCli(['--url', server.url, '--json', 'secret', 'list', '--search', 'team_ops'], { env: { TESSERA_TOKEN: server.adminToken } });

    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((secret: ListedSecret) => secret.name)).toEqual(['github_app', 'GITHUB_TOKEN']);
    expect(searched.code, searched.stderr).toBe(0);
    expect(JSON.parse(searched.stdout).map((secret: ListedSecret) => secret.name)).toEqual(['A_B']);
  });

  test('invalid list parameters are rejected', async () => {
    const byName = await server.request('GET', '/v1/secrets?sort=name&limit=2');
    const cases = [
      { query: 'sort=owner', field: 'sort' },
      { query: 'order=sideways', field: 'order' },
      { query: 'provider=Not%20A%20Provider', field: 'provider' },
      { query: `sort=updatedAt&cursor=${encodeURIComponent(byName.body.nextCursor)}`, field: 'cursor' },
      { query: 'cursor=abc', field: 'cursor' },
    ];

    for (const { query, field } of cases) {
      const response = await server.request('GET', `/v1/secrets?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.message, query).toContain(field);
    }
  });
});
