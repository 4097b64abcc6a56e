import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { launchBrowser, type TestBrowser } from './support/browser.js';
import { databaseTargets } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { startTestServer, type TestServer } from './support/fixtures.js';
import { startMockProvider, writeRotatorScripts, type MockProvider, type RotatorScripts } from './support/mock-provider.js';

// On the embedded default, SQLite: the secrets and review APIs are tested on both stores elsewhere.
const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

/** Generates a fake Stripe test key of the documented shape, new on every run. */
function fakeStripeKey(): string {
  return `sk_test_${randomBytes(18).toString('hex')}`;
}

describe('dashboard secrets and access review in Chromium', () => {
  const clock = new FakeClock(Date.now());
  let server: TestServer;
  let browser: TestBrowser;
  let secretReader: string;
  let stripeKey: string;
  let provider: MockProvider;
  let scripts: RotatorScripts;
  /** The id and hint of the server's initial admin token, which creates most secrets here. */
  let admin: { id: string; hint: string };
  /** Every admin token and secret value the browser was given or showed, searched for in storage, cookies and URLs after each step. */
  const secrets: string[] = [];

  const signIn = (token: string) => browser.signIn(token);
  const checkpoint = (step: string) => browser.checkpoint(secrets, step);

  async function createSecret(body: Record<string, unknown>): Promise<void> {
    const response = await server.request('POST', '/v1/secrets', { body });
    expect(response.status).toBe(201);
  }

  beforeAll(async () => {
    server = await startTestServer(sqlite, { clock, name: 'dashboard-secrets' });
    secrets.push(server.adminToken);
    const me = await server.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    admin = { id: me.body.id, hint: me.body.hint };

    const reader = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'secret reader', owner: 'ops', scopes: ['tokens:read', 'secrets:read'], neverExpires: true },
    });
    expect(reader.status).toBe(201);
    secretReader = rememberSecret(reader.body.secret);
    secrets.push(secretReader);

    stripeKey = rememberSecret(fakeStripeKey());
    secrets.push(stripeKey);
    await createSecret({
      name: 'STRIPE_KEY',
      environment: 'production',
      value: stripeKey,
      owner: 'payments',
      description: 'card charges from the checkout service',
      rotationMethod: 'roll in the Stripe dashboard',
      expiresAt: '2030-06-30',
    });

    const orphanValue = rememberSecret(`legacy-${randomBytes(16).toString('hex')}`);
    secrets.push(orphanValue);
    await createSecret({ name: 'LEGACY_FTP_PASSWORD', environment: 'staging', value: orphanValue, owner: 'departed-contractor' });

    const ownerlessValue = rememberSecret(`ownerless-${randomBytes(16).toString('hex')}`);
    secrets.push(ownerlessValue);
    await createSecret({ name: 'UNCLAIMED_WEBHOOK', environment: 'staging', value: ownerlessValue });

    browser = await launchBrowser(server.url);
    await browser.page.goto(server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.close();
    scripts?.remove();
  });

  test('secret list, reveal and leave', async () => {
    const page = browser.page;
    await signIn(server.adminToken);

    // The overview counts secrets beside tokens: one of the three has no owner.
    await expect.poll(() => page.getByTestId('count-secrets').textContent()).toBe('3');
    expect(await page.getByTestId('count-secrets-ownerless').textContent()).toBe('1');
    expect(await page.getByTestId('count-secrets-stale').textContent()).toBe('0');
    await browser.screenshot('secrets-01-overview');

    await page.getByRole('link', { name: 'Secrets' }).click();
    const table = page.getByTestId('secret-table');
    const row = table.getByRole('row', { name: /STRIPE_KEY/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('payments');
    // The provider is recognised from the value's prefix.
    expect(await row.textContent()).toContain('stripe');
    expect(await page.content()).not.toContain(stripeKey);
    await browser.screenshot('secrets-02-list');

    await page.getByRole('combobox', { name: 'Provider' }).selectOption('stripe');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('');
    await page.getByRole('searchbox', { name: 'Search' }).fill('CHECKOUT');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('search').getByLabel('Environment').fill('staging');
    await expect.poll(() => table.getByRole('row').count()).toBe(3);
    await page.getByRole('search').getByLabel('Environment').fill('');
    await checkpoint('the secret list');

    await row.getByRole('link', { name: 'STRIPE_KEY' }).click();
    await page.getByRole('heading', { name: /STRIPE_KEY/, level: 1 }).waitFor();
    expect(await page.getByTestId('version-table').getByRole('row').count()).toBe(2);
    // Creators are named by their hint, as in the audit trail, not by their token id.
    const firstVersion = page.getByTestId('version-table').getByRole('row').nth(1);
    expect(await firstVersion.textContent()).toContain(admin.hint);
    expect(await firstVersion.textContent()).not.toContain(admin.id);
    expect(await page.getByTestId('secret-details').textContent()).toContain(`by ${admin.hint}`);
    expect(await page.getByTestId('secret-details').textContent()).toContain('roll in the Stripe dashboard');
    expect(await page.content()).not.toContain(stripeKey);
    expect(await page.getByText(/writes a secret\.reveal entry to the audit log/).count()).toBe(1);

    await page.getByRole('button', { name: 'Reveal value' }).click();
    await expect.poll(() => page.getByTestId('revealed-value').textContent()).toBe(stripeKey);
    await browser.screenshot('secrets-03-revealed');
    await checkpoint('revealing a secret');

    const details = await server.request('GET', '/v1/secrets/production/STRIPE_KEY');
    const audit = await server.request('GET', `/v1/audit?targetId=${details.body.id}&action=secret.reveal`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].details.purpose).toBe('dashboard');
    expect(details.body.lastReadAt).not.toBeNull();
    await expect.poll(() => page.getByTestId('audit-table').textContent()).toContain('secret.reveal');

    // Leaving the page drops the value, and coming back shows the reveal button again.
    await page.getByRole('link', { name: 'Secrets' }).click();
    await table.waitFor();
    expect(await page.content()).not.toContain(stripeKey);
    await page.goBack();
    await page.getByRole('heading', { name: /STRIPE_KEY/, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Reveal value' }).waitFor();
    expect(await page.getByTestId('revealed-value').count()).toBe(0);
    expect(await page.content()).not.toContain(stripeKey);
    await checkpoint('leaving a revealed secret');
  }, 60_000);

  test('secret add, edit and remove', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('button', { name: 'Add secret' }).click();

    const value = rememberSecret(fakeStripeKey());
    secrets.push(value);
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Name/).fill('REFUND_KEY');
    await dialog.getByLabel('Environment', { exact: true }).fill('production');
    await dialog.getByLabel('Value', { exact: true }).fill(value);
    await dialog.getByLabel('Owner', { exact: true }).fill('payments');
    await dialog.getByRole('button', { name: 'Add secret' }).click();
    await page.getByRole('status').filter({ hasText: 'Stored REFUND_KEY' }).waitFor();
    await page
      .getByTestId('secret-table')
      .getByRole('row', { name: /REFUND_KEY/ })
      .waitFor();
    await checkpoint('adding a secret');

    // A bad name is rejected by the API, and its message names the field.
    await page.getByRole('button', { name: 'Add secret' }).click();
    await dialog.getByLabel(/^Name/).evaluate((input) => input.removeAttribute('pattern'));
    await dialog.getByLabel(/^Name/).fill('not-a-variable');
    await dialog.getByLabel('Environment', { exact: true }).fill('production');
    await dialog.getByLabel('Value', { exact: true }).fill(value);
    await dialog.getByRole('button', { name: 'Add secret' }).click();
    const rejected = dialog.locator('[role="alert"][data-status="400"]');
    await rejected.waitFor();
    expect(await rejected.textContent()).toContain('name');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('secret-table').getByRole('link', { name: 'REFUND_KEY' }).click();
    await page.getByRole('heading', { name: /REFUND_KEY/, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const newValue = rememberSecret(fakeStripeKey());
    secrets.push(newValue);
    await dialog.getByLabel(/^New value/).fill(newValue);
    await dialog.getByLabel(/^Description/).fill('refunds from the support tool');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('version-table').getByRole('row').count()).toBe(3);
    expect(await page.getByTestId('secret-details').textContent()).toContain('refunds from the support tool');
    await browser.screenshot('secrets-04-edited');
    await checkpoint('editing a secret');

    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
    await expect
      .poll(() =>
        page
          .getByTestId('secret-table')
          .getByRole('row', { name: /REFUND_KEY/ })
          .count(),
      )
      .toBe(0);
    expect((await server.request('GET', '/v1/secrets/production/REFUND_KEY')).status).toBe(404);
    await checkpoint('removing a secret');
  }, 60_000);

  test('secret list follows the event outbox', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByTestId('secret-table').waitFor();

    const value = rememberSecret(`elsewhere-${randomBytes(16).toString('hex')}`);
    secrets.push(value);
    await createSecret({ name: 'ADDED_ELSEWHERE', environment: 'staging', value, owner: 'payments' });
    await page
      .getByTestId('secret-table')
      .getByRole('row', { name: /ADDED_ELSEWHERE/ })
      .waitFor({ timeout: 15_000 });

    // The page follows GET /v1/events with a cursor beside its polling.
    const eventReads = browser.requestedUrls().filter((url) => url.includes('/v1/events?'));
    expect(eventReads.some((url) => url.includes('cursor='))).toBe(true);
    await checkpoint('following the event outbox');
  }, 30_000);

  test('access review flags orphans and exports', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Access review' }).click();
    // The API takes the list comma-separated, so the page rejects a name with a comma and names the line.
    await page.getByLabel(/^Current members/).fill('payments\nops, platform\n');
    await page.getByRole('button', { name: 'Run review' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('“ops, platform” contains a comma');
    expect(await page.locator('[data-loaded="review"]').count()).toBe(0);

    await page.getByLabel(/^Current members/).fill('# the platform team\npayments\nops\n');
    await page.getByRole('button', { name: 'Run review' }).click();
    await page.locator('[data-loaded="review"]').waitFor();

    const orphan = page.getByRole('region', { name: 'Owner departed-contractor' });
    expect(await orphan.getAttribute('data-orphaned')).toBe('true');
    expect(await orphan.textContent()).toContain('LEGACY_FTP_PASSWORD');
    expect(await orphan.textContent()).toContain('orphaned');
    expect(await page.getByRole('region', { name: 'Owner payments' }).getAttribute('data-orphaned')).toBe('false');
    expect(await page.getByRole('region', { name: 'Owner none' }).getAttribute('data-orphaned')).toBe('true');
    await browser.screenshot('secrets-05-review');

    const exports: Record<string, RegExp> = { 'Export Markdown': /\.md$/, 'Export CSV': /\.csv$/, 'Export JSON': /\.json$/ };
    const contents: Record<string, string> = {};
    for (const [label, fileName] of Object.entries(exports)) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label }).click()]);
      expect(download.suggestedFilename()).toMatch(fileName);
      expect(download.url()).toMatch(/^blob:/);
      contents[label] = await readFile((await download.path())!, 'utf8');
      for (const secret of secrets) expect(contents[label]!.includes(secret), `a secret in the ${label} file`).toBe(false);
    }
    expect(contents['Export Markdown']).toContain('## departed-contractor (orphaned)');
    expect(contents['Export CSV']).toContain('departed-contractor,yes,secret,staging,LEGACY_FTP_PASSWORD');
    const report = JSON.parse(contents['Export JSON']!);
    expect(report.members).toEqual(['payments', 'ops']);
    expect(report.owners.find((owner: { owner: string | null }) => owner.owner === 'departed-contractor').orphaned).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await browser.screenshot('secrets-06-review-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await checkpoint('the access review');
  }, 60_000);

  test('secret rotation history and retirement', async () => {
    // An exec rotator against a mock provider on loopback, as the rotation tests set one up.
    provider = await startMockProvider();
    scripts = writeRotatorScripts(provider);
    secrets.push(provider.initialKey);
    await createSecret({ name: 'PROVIDER_KEY', environment: 'production', value: provider.initialKey, owner: 'payments' });
    const rotator = await server.request('PUT', '/v1/secrets/production/PROVIDER_KEY/rotator', {
      body: { kind: 'exec', command: scripts.rotator(), testCommand: scripts.test(), timeoutSeconds: 10, gracePeriodSeconds: 2 * 86400 },
    });
    expect(rotator.status).toBe(200);

    // A worker reads the value before the rotation and not after it, so it still has the old value.
    const worker = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'checkout worker', scopes: ['secrets:reveal'], neverExpires: true },
    });
    const workerToken = rememberSecret(worker.body.secret);
    secrets.push(workerToken);
    expect((await server.request('POST', '/v1/secrets/production/PROVIDER_KEY/reveal', { token: workerToken, body: {} })).status).toBe(200);
    clock.advance(60_000);
    const rotated = await server.request('POST', '/v1/secrets/production/PROVIDER_KEY/rotate');
    expect(rotated.body.state).toBe('current');

    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByTestId('secret-table').getByRole('link', { name: 'PROVIDER_KEY' }).click();
    await page.getByRole('heading', { name: /PROVIDER_KEY/, level: 1 }).waitFor();

    const history = page.getByTestId('rotation-table');
    await history.waitFor();
    const rows = history.getByRole('row');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain('current');
    expect(await rows.nth(1).textContent()).toContain('1 → 2');
    expect(await history.getByRole('columnheader', { name: 'Started by' }).count()).toBe(1);
    expect(await rows.nth(1).textContent()).toContain(admin.hint);
    expect(await rows.nth(1).textContent()).not.toContain(admin.id);
    expect(await page.getByTestId('rotation-status').textContent()).toContain('exec');
    expect(await page.getByTestId('rotation-status').textContent()).toContain('current at');

    const panel = page.getByTestId('retirement-panel');
    await panel.waitFor();
    expect(await panel.getByRole('status').textContent()).toContain('Version 1 is still in use');
    const notSwitched = page.getByTestId('not-switched');
    expect(await notSwitched.getByRole('row').count()).toBe(2);
    expect(await notSwitched.textContent()).toContain('127.0.0.1');
    await browser.screenshot('secrets-07-rotation-history');

    const before = (await server.request('GET', '/v1/secrets/production/PROVIDER_KEY/retirement')).body.graceEndsAt;
    await panel.getByRole('button', { name: 'Extend grace' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Extend by hours').fill('12');
    await dialog.getByRole('button', { name: 'Extend grace' }).click();
    await expect
      .poll(async () => (await server.request('GET', '/v1/secrets/production/PROVIDER_KEY/retirement')).body.graceEndsAt)
      .toBe(new Date(Date.parse(before) + 12 * 3_600_000).toISOString());
    const audit = await server.request('GET', '/v1/audit?action=secret.extend_grace');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].details.extendBySeconds).toBe(12 * 3600);
    await checkpoint('the rotation history and retirement panel');
  }, 60_000);

  test('version creator named beyond the audit trail', async () => {
    const deployer = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'deploy bot', owner: 'ops', scopes: ['secrets:write'], neverExpires: true },
    });
    expect(deployer.status).toBe(201);
    secrets.push(rememberSecret(deployer.body.secret));
    const deployValue = rememberSecret(`deploy-${randomBytes(16).toString('hex')}`);
    secrets.push(deployValue);
    const created = await server.request('POST', '/v1/secrets', {
      token: deployer.body.secret,
      body: { name: 'DEPLOY_KEY', environment: 'staging', value: deployValue, owner: 'deploy' },
    });
    expect(created.status).toBe(201);

    // 50 later edits push the creation out of the 50 audit entries the page loads, so only the
    // lookup by actor can name the creator.
    for (let edit = 1; edit <= 50; edit += 1) {
      const updated = await server.request('PATCH', '/v1/secrets/staging/DEPLOY_KEY', { body: { description: `edit ${edit}` } });
      expect(updated.status).toBe(200);
    }
    const trail = await server.request('GET', `/v1/audit?targetId=${created.body.secret.id}&limit=50`);
    expect(trail.body.items.some((entry: { actor: { id: string } }) => entry.actor.id === deployer.body.token.id)).toBe(false);

    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByTestId('secret-table').getByRole('link', { name: 'DEPLOY_KEY' }).click();
    await page.getByRole('heading', { name: /DEPLOY_KEY/, level: 1 }).waitFor();
    const version = page.getByTestId('version-table').getByRole('row').nth(1);
    await expect.poll(() => version.textContent()).toContain(deployer.body.token.hint);
    expect(await version.textContent()).not.toContain(deployer.body.token.id);
    expect(await page.getByTestId('audit-table').textContent()).not.toContain(deployer.body.token.hint);
    await checkpoint('a version creator outside the audit trail');
  }, 60_000);

  test('token without secret scopes sees actions disabled', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(secretReader);

    await page.getByRole('link', { name: 'Secrets' }).click();
    expect(await page.getByRole('button', { name: 'Add secret' }).isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'STRIPE_KEY' }).click();
    await page.getByRole('heading', { name: /STRIPE_KEY/, level: 1 }).waitFor();

    const reveal = page.getByRole('button', { name: 'Reveal value' });
    expect(await reveal.isDisabled()).toBe(true);
    expect(await page.locator('#reveal-denied').textContent()).toContain("lacks the 'secrets:reveal' scope");
    expect(await page.locator('#reveal-denied').textContent()).toContain('403');
    expect(await page.getByRole('button', { name: 'Edit' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Remove' }).isDisabled()).toBe(true);
    expect(await page.locator('#secret-write-denied').textContent()).toContain("lacks the 'secrets:write' scope");
    // Without audit:read no hint can be looked up, so the creator is shown by token id.
    expect(await page.getByTestId('version-table').getByRole('row').nth(1).textContent()).toContain(admin.id);
    await browser.screenshot('secrets-08-read-only');

    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByTestId('secret-table').getByRole('link', { name: 'PROVIDER_KEY' }).click();
    const extend = page.getByTestId('retirement-panel').getByRole('button', { name: 'Extend grace' });
    await extend.waitFor();
    expect(await extend.isDisabled()).toBe(true);
    expect(await page.locator('#grace-write-denied').textContent()).toContain("lacks the 'secrets:write' scope");
    expect(await page.locator('#grace-write-denied').textContent()).toContain('403');

    // The server rejects a reveal with this token too, whatever the page shows.
    const denied = await server.request('POST', '/v1/secrets/production/STRIPE_KEY/reveal', { token: secretReader, body: {} });
    expect(denied.status).toBe(403);

    await page.getByRole('link', { name: 'Access review' }).click();
    expect(await page.getByRole('button', { name: 'Run review' }).isDisabled()).toBe(true);
    expect(await page.locator('#review-denied').textContent()).toContain("lacks the 'review:read' scope");
    await checkpoint('a token without secret scopes');
  }, 60_000);
});
