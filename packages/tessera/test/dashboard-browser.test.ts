import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { newTokenRow } from '../src/services/tokens.js';
import { rememberSecret, runDir } from './support/artifacts.js';
import { launchBrowser, type TestBrowser } from './support/browser.js';
import { databaseTargets } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

// The browser suite runs on the embedded default, SQLite, because the API it drives is tested on both stores elsewhere.
const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;
const liveUpdateTimeoutMs = 15_000;

describe('dashboard in Chromium', () => {
  // Starts at the real time, so the browser's "expires in N days" agrees with the server.
  const clock = new FakeClock(Date.now());
  let server: TestServer;
  let browser: TestBrowser;
  let readOnlyAdmin: string;
  let shortLivedAdmin: string;
  /** Every secret the browser was given or showed, searched for in storage, cookies and URLs after each step. */
  const secrets: string[] = [];

  async function createAdminToken(name: string, body: Record<string, unknown>): Promise<string> {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name, owner: 'ops', ...body } });
    expect(response.status).toBe(201);
    secrets.push(rememberSecret(response.body.secret));
    return response.body.secret;
  }

  async function signIn(token: string): Promise<void> {
    const page = browser.page;
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signOut(): Promise<void> {
    await browser.page.getByRole('button', { name: 'Sign out' }).click();
    await browser.page.getByLabel('Admin token').waitFor();
  }

  const checkpoint = (step: string) => browser.checkpoint(secrets, step);

  beforeAll(async () => {
    server = await startTestServer(sqlite, { clock, name: 'dashboard-browser' });
    secrets.push(server.adminToken);
    const keyspace = await server.request('POST', '/v1/keyspaces', {
      body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read', 'invoices:write', 'refunds:write'], description: 'invoice API' },
    });
    expect(keyspace.status).toBe(201);
    // Without scopes of its own, so the create form falls back to a neutral scopes hint.
    const unscoped = await server.request('POST', '/v1/keyspaces', { body: { name: 'sandbox', prefix: 'sbx' } });
    expect(unscoped.status).toBe(201);
    readOnlyAdmin = await createAdminToken('read-only dashboard', { scopes: ['tokens:read', 'keyspaces:read'], neverExpires: true });
    shortLivedAdmin = await createAdminToken('short-lived dashboard', { scopes: ['admin'], expiresInSeconds: 60 });

    browser = await launchBrowser(server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sign in rejects a wrong admin token', async () => {
    const page = browser.page;
    await page.goto(server.url);
    await browser.screenshot('01-sign-in');

    // Well-formed, so the rejection comes from the server's lookup, not the checksum.
    const wrongToken = generateToken('tessera_admin');
    secrets.push(wrongToken);
    await signIn(wrongToken);

    const error = page.getByRole('alert');
    await expect.poll(() => error.textContent()).toContain('the server rejected this admin token');
    expect(await error.textContent()).toContain('mistyped, expired, revoked, disabled or not an admin token');
    await browser.screenshot('02-sign-in-wrong-token');
    await checkpoint('a wrong sign-in');
  });

  test('sign in rejects an expired admin token', async () => {
    clock.advanceSeconds(120);
    await signIn(shortLivedAdmin);

    await expect.poll(() => browser.page.getByRole('alert').textContent()).toContain('the server rejected this admin token');
    await checkpoint('an expired sign-in');
  });

  test('token lifecycle through the dashboard', async () => {
    const page = browser.page;
    await signIn(server.adminToken);
    await page.locator('[data-loaded="overview"]').waitFor();
    expect(await page.getByLabel('Admin token').count()).toBe(0);
    await browser.screenshot('03-overview');
    await checkpoint('sign-in');

    // Keyboard only: Tab to the Tokens link and follow it.
    for (let presses = 0; presses < 15; presses += 1) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement?.textContent')) === 'Tokens') break;
    }
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Tokens');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();

    // Create, and read the secret that is shown once.
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    const keyspaceField = dialog.getByLabel('Keyspace', { exact: true });
    const scopesField = dialog.getByLabel(/^Scopes/);
    const adminWarning = dialog.getByText('This issues an admin token for the Tessera API');

    // `admin` comes first by name, but the form starts on the first other keyspace, with its own scopes as the hint.
    await expect.poll(() => keyspaceField.inputValue()).toBe('billing');
    expect(await keyspaceField.locator('option').first().textContent()).toBe('admin');
    expect(await scopesField.getAttribute('placeholder')).toBe('invoices:read, invoices:write, refunds:write');
    expect(await adminWarning.count()).toBe(0);

    await keyspaceField.selectOption('sandbox');
    expect(await scopesField.getAttribute('placeholder')).toBe('e.g. orders:read, orders:write');

    // Choosing `admin` stays possible, with a warning and the admin keyspace's scopes as the hint.
    const adminKeyspace = await server.request('GET', '/v1/keyspaces/admin');
    expect(adminKeyspace.status).toBe(200);
    const adminScopes = adminKeyspace.body.scopes as string[];
    await keyspaceField.selectOption('admin');
    await adminWarning.waitFor();
    expect(await keyspaceField.getAttribute('aria-describedby')).toBe('create-admin-warning');
    expect(await scopesField.getAttribute('placeholder')).toBe(adminScopes.length > 0 ? adminScopes.join(', ') : 'e.g. orders:read, orders:write');
    await browser.screenshot('04a-create-admin-warning');

    await keyspaceField.selectOption('billing');
    await expect.poll(() => adminWarning.count()).toBe(0);
    await dialog.getByLabel('Name').fill('invoice sync');
    await dialog.getByLabel('Owner (optional)').fill('team-billing');
    await dialog.getByLabel(/^Description/).fill('pulls invoices into the ledger nightly');
    await scopesField.fill('invoices:read');
    await browser.screenshot('04b-create-token-form');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const secretValue = page.getByTestId('secret-value');
    await secretValue.waitFor();
    const secret = rememberSecret((await secretValue.textContent()) ?? '');
    secrets.push(secret);
    expect(secret).toMatch(/^bill_[0-9A-Za-z]{49}$/);
    await browser.screenshot('04-token-created');
    await checkpoint('creating a token');

    await page.getByRole('button', { name: 'Copy secret' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    const verified = await server.request('POST', '/v1/verify', { body: { token: secret } });
    expect(verified.body.code).toBe('VALID');
    const stored = await server.request('GET', `/v1/tokens/${verified.body.tokenId}`);
    expect(stored.body.keyspace).toBe('billing');
    expect(stored.body.owner).toBe('team-billing');
    expect(stored.body.description).toBe('pulls invoices into the ledger nightly');
    expect(stored.body.scopes).toEqual(['invoices:read']);

    // Once dismissed, the secret is gone from the page.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(secret);

    const row = page.getByTestId('token-table').getByRole('row', { name: /invoice sync/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('team-billing');
    expect(await row.textContent()).toContain('active');
    await browser.screenshot('05-token-list');

    // Detail, then rotate with a one-hour grace period.
    await row.getByRole('link', { name: 'invoice sync' }).click();
    await page.getByRole('heading', { name: /invoice sync/, level: 1 }).waitFor();
    expect(page.url()).not.toContain(secret);
    await page.getByRole('button', { name: 'Rotate' }).click();
    const graceField = page.getByRole('dialog').getByLabel('Grace period in hours');
    expect(await graceField.inputValue()).toBe('24');
    await graceField.fill('1');
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('heading', { name: /secret of its successor/ }).waitFor();
    const successorSecret = rememberSecret((await page.getByTestId('secret-value').textContent()) ?? '');
    secrets.push(successorSecret);
    expect(successorSecret).toMatch(/^bill_/);
    expect(successorSecret).not.toBe(secret);
    await expect
      .poll(() =>
        page
          .getByRole('list', { name: /lineage/ })
          .getByRole('listitem')
          .count(),
      )
      .toBe(2);
    expect(await page.getByRole('button', { name: 'Rotate' }).isDisabled()).toBe(true);
    await browser.screenshot('06-token-rotated');
    await checkpoint('rotating a token');

    // Revoke the predecessor, which requires a reason.
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // Escape cancels a confirmation and changes nothing.
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('active');

    await page.getByRole('button', { name: 'Revoke' }).click();
    const revokeDialog = page.getByRole('dialog');
    await revokeDialog.getByLabel(/^Reason/).fill('moved to the successor');
    await revokeDialog.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('revoked');
    expect(await page.getByRole('button', { name: 'Revoke' }).isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('audit-table').textContent()).toContain('token.revoke');
    await browser.screenshot('07-token-revoked');
    await checkpoint('revoking a token');

    const revoked = await server.request('POST', '/v1/verify', { body: { token: secret } });
    expect(revoked.body.code).toBe('REVOKED');
  }, 120_000);

  test('token list updates without a reload', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByTestId('token-table').waitFor();

    const created = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'created elsewhere', owner: 'team-billing' } });
    expect(created.status).toBe(201);
    secrets.push(rememberSecret(created.body.secret));

    await page
      .getByTestId('token-table')
      .getByRole('row', { name: /created elsewhere/ })
      .waitFor({ timeout: liveUpdateTimeoutMs });
    await page.getByRole('combobox', { name: 'State' }).selectOption('revoked');
    await expect.poll(() => page.getByTestId('token-table').getByRole('row').count()).toBe(2);
    expect(await page.getByTestId('token-table').textContent()).toContain('invoice sync');
    await page.getByRole('combobox', { name: 'State' }).selectOption('');
    await page.getByRole('searchbox', { name: 'Search' }).fill('ELSEWHERE');
    await expect.poll(() => page.getByTestId('token-table').getByRole('row').count()).toBe(2);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');

    // Only the rotated predecessor expires within a day, and it is revoked, so no active token matches.
    const expiringWithin = page.getByRole('combobox', { name: 'Expiring within' });
    await expiringWithin.selectOption('1');
    await expect.poll(() => page.getByTestId('token-table').getByRole('row').count()).toBe(1);
    await expiringWithin.selectOption('90');
    await page
      .getByTestId('token-table')
      .getByRole('row', { name: /created elsewhere/ })
      .waitFor();
    await expiringWithin.selectOption('');
    await checkpoint('live update of the list');
  }, 60_000);

  test('audit log shows entries and chain status', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Audit log' }).click();

    await expect.poll(() => page.getByTestId('chain-status').textContent()).toContain('Hash chain verified');
    const table = page.getByTestId('audit-table');
    await expect.poll(() => table.textContent()).toContain('token.rotate');
    expect(await table.textContent()).toContain('token.create');
    await browser.screenshot('08-audit-log');

    await page.getByLabel('Action').fill('token.revoke');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    expect(await table.textContent()).toContain('moved to the successor');
    await checkpoint('reading the audit log');
  });

  test('overview reads in dark mode and on a phone', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.locator('[data-loaded="overview"]').waitFor();
    await page.getByTestId('expiry-chart').waitFor();
    expect(await page.getByTestId('count-revoked').textContent()).toBe('1');

    await page.emulateMedia({ colorScheme: 'dark' });
    const darkBackground = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(darkBackground).toBe('rgb(15, 20, 25)');
    await browser.screenshot('09-overview-dark');

    // The toggle overrides the system's scheme, then hands it back.
    const themeButton = page.getByRole('button', { name: /^Colour scheme/ });
    await themeButton.click();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(246, 247, 249)');
    await themeButton.click();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(15, 20, 25)');
    await themeButton.click();
    expect(await themeButton.textContent()).toBe('Theme: system');

    await page.setViewportSize({ width: 390, height: 844 });
    const navigationBox = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
    const mainBox = await page.locator('main').boundingBox();
    // On a phone the navigation sits above the content instead of beside it.
    expect(navigationBox!.y + navigationBox!.height).toBeLessThanOrEqual(mainBox!.y);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await browser.screenshot('10-overview-phone-dark');

    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByTestId('token-table').waitFor();
    await browser.screenshot('11-tokens-phone-dark');

    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await checkpoint('dark mode and phone layout');
  });

  test('token without a scope sees actions disabled and the 403', async () => {
    const page = browser.page;
    await signOut();
    await signIn(readOnlyAdmin);
    await page.locator('[data-loaded="overview"]').waitFor();

    await page.getByRole('link', { name: 'Tokens' }).click();
    await page
      .getByTestId('token-table')
      .getByRole('row', { name: /invoice sync/ })
      .first()
      .waitFor();
    expect(await page.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true);
    expect(await page.locator('#create-denied').textContent()).toContain("lacks the 'tokens:write' scope");

    await page.getByRole('link', { name: 'created elsewhere' }).click();
    await page.getByRole('heading', { name: /created elsewhere/, level: 1 }).waitFor();
    for (const action of ['Rotate', 'Revoke', 'Disable']) {
      expect(await page.getByRole('button', { name: action }).isDisabled(), action).toBe(true);
    }
    // The token's audit trail needs audit:read, which this token lacks: the API's 403 is shown as it came.
    const denied = page.locator('[role="alert"][data-status="403"]');
    await denied.waitFor();
    expect(await denied.textContent()).toContain('403 Forbidden');
    expect(await denied.textContent()).toContain("this admin token lacks the 'audit:read' scope");
    await browser.screenshot('12-read-only-token');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.locator('[role="alert"][data-status="403"]').count()).toBeGreaterThan(0);
    await checkpoint('a read-only token');
  });

  test('token list sorts by expiry on the server', async () => {
    const page = browser.page;
    await signOut();
    await signIn(server.adminToken);
    await page.locator('[data-loaded="overview"]').waitFor();

    // More tokens than one page of 500; the soonest expiry belongs to the oldest token, which the
    // newest-first first page does not contain, so only the server's sort can show it first.
    const keyspace = await server.request('POST', '/v1/keyspaces', { body: { name: 'ledger', prefix: 'ledger' } });
    expect(keyspace.status).toBe(201);
    const now = clock.now();
    const hour = 3_600_000;
    await insertKeyspaceTokens(server, 'ledger', now, [{ name: 'expires first', expiresAt: now + hour }]);
    const middle = Array.from({ length: 600 }, (_, index) => ({ name: `ledger ${index}`, expiresAt: now + (2 + (index % 50)) * 24 * hour }));
    await insertKeyspaceTokens(server, 'ledger', now, middle);
    await insertKeyspaceTokens(server, 'ledger', now, [
      { name: 'expires last', expiresAt: now + 80 * 24 * hour },
      { name: 'never expires', expiresAt: null },
    ]);

    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByTestId('token-table').waitFor();
    await page.getByRole('combobox', { name: 'Keyspace' }).selectOption('ledger');
    await page.getByText('The first 500 matching tokens; load more to see the rest.').waitFor();
    const table = page.getByTestId('token-table');
    const firstRow = table.getByRole('row').nth(1);
    const expires = table.getByRole('columnheader', { name: 'Expires' });

    await expires.getByRole('button').click();
    await expect.poll(() => firstRow.getByRole('link').textContent()).toBe('expires first');
    expect(await expires.getAttribute('aria-sort')).toBe('ascending');
    await browser.screenshot('13-tokens-sorted-by-expiry');

    await expires.getByRole('button').click();
    await expect.poll(() => firstRow.getByRole('link').textContent()).toBe('expires last');
    expect(await expires.getAttribute('aria-sort')).toBe('descending');
    // A token without expiry comes last in both orders, so it is on no first page.
    expect(await table.getByRole('row', { name: /never expires/ }).count()).toBe(0);

    await page.getByRole('combobox', { name: 'Keyspace' }).selectOption('');
    await checkpoint('the token list sorted by expiry');
  }, 120_000);

  test('overview with 10,000 tokens', async () => {
    const page = browser.page;
    await signOut();
    await signIn(server.adminToken);
    await page.locator('[data-loaded="overview"]').waitFor();
    const baseline = await measureOverview(page, 5);

    await insertTokens(server, 10_000, clock.now());
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByTestId('token-table').waitFor();
    const loaded = await measureOverview(page, 5);
    expect(Number(await page.getByTestId('count-total').textContent())).toBeGreaterThanOrEqual(10_000);
    await browser.screenshot('14-overview-10000-tokens');

    // A cold load: the page and its bundle are fetched again, then sign-in leads to the overview.
    const coldStarted = Date.now();
    await page.goto(server.url);
    await signIn(server.adminToken);
    await page.locator('[data-loaded="overview"]').waitFor();
    const coldLoadMs = Date.now() - coldStarted;

    // Recorded, never asserted: docs/benchmarks.md reports it with the machine it ran on.
    const tokens = Number(await page.getByTestId('count-total').textContent());
    const result = { tokens, baselineMs: baseline, tenThousandMs: loaded, coldLoadMs };
    const benchmarksDir = join(runDir, 'benchmarks');
    mkdirSync(benchmarksDir, { recursive: true });
    writeFileSync(join(benchmarksDir, 'dashboard-overview.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`dashboard overview: ${JSON.stringify(result)}`);
    await checkpoint('the large overview');
  }, 180_000);
});

/** Opens the overview `runs` times from the token list and returns each time to a rendered summary, in milliseconds. */
async function measureOverview(page: TestBrowser['page'], runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    const started = Date.now();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.locator('[data-loaded="overview"]').waitFor();
    await page.getByTestId('expiry-chart').waitFor();
    times.push(Date.now() - started);
  }
  return times;
}

/** Writes token rows with the given names and expiries straight into a keyspace, in the order given; their secrets are dropped. */
async function insertKeyspaceTokens(
  server: TestServer,
  keyspaceName: string,
  now: number,
  tokens: { name: string; expiresAt: number | null }[],
): Promise<void> {
  const context = server.tessera.context;
  const keyspace = await context.db.selectFrom('keyspaces').selectAll().where('name', '=', keyspaceName).executeTakeFirstOrThrow();
  const rows = tokens.map((token) =>
    newTokenRow(context, keyspace, generateToken(keyspace.prefix), now, {
      name: token.name,
      owner: 'ledger-team',
      description: null,
      scopes: '[]',
      expires_at: token.expiresAt,
      metadata: '{}',
      created_by: null,
      predecessor_id: null,
      admin_keyspaces: null,
      limits: null,
    }),
  );
  // In batches, because SQLite allows at most 32,766 bound values in one statement.
  for (let start = 0; start < rows.length; start += 500)
    await context.db
      .insertInto('tokens')
      .values(rows.slice(start, start + 500))
      .execute();
}

/**
 * Writes `count` token rows straight into the store, spread over states, owners and the next 120
 * days, because issuing 10,000 tokens one request at a time would dominate the test. Their
 * secrets are generated and dropped: no test needs them.
 */
async function insertTokens(server: TestServer, count: number, now: number): Promise<void> {
  const context = server.tessera.context;
  const keyspace = await context.db.selectFrom('keyspaces').selectAll().where('name', '=', 'billing').executeTakeFirstOrThrow();
  const states = ['active', 'active', 'active', 'active', 'disabled', 'revoked'];
  const batchSize = 500;
  for (let start = 0; start < count; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, count - start) }, (_, offset) => {
      const index = start + offset;
      const row = newTokenRow(context, keyspace, generateToken(keyspace.prefix), now, {
        name: `bulk ${index}`,
        owner: index % 7 === 0 ? null : `team-${index % 25}`,
        description: null,
        scopes: '["invoices:read"]',
        expires_at: now + ((index % 120) + 0.5) * 86_400_000,
        metadata: '{}',
        created_by: null,
        predecessor_id: null,
        admin_keyspaces: null,
        limits: null,
      });
      return {
        ...row,
        state: states[index % states.length]!,
        created_at: now - (index % 200) * 86_400_000,
        last_used_at: index % 3 === 0 ? null : now - (index % 150) * 86_400_000,
      };
    });
    await context.db.insertInto('tokens').values(rows).execute();
  }
}
