import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { launchBrowser, type TestBrowser } from './support/browser.js';
import { databaseTargets } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

// On the embedded default, SQLite: the alerts and usage APIs are tested on both stores elsewhere.
const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;
const minute = 60_000;

describe('dashboard alerts, anomalies and usage in Chromium', () => {
  const clock = new FakeClock(Date.now());
  let server: TestServer;
  let browser: TestBrowser;
  let alertReader: string;
  let usedTokenId = '';
  let retiredTokenId = '';
  let suspendedTokenId = '';
  /** Every admin token and token secret the test holds, searched for in storage, cookies and URLs after each step. */
  const secrets: string[] = [];

  const signIn = (token: string) => browser.signIn(token);
  const checkpoint = (step: string) => browser.checkpoint(secrets, step);

  async function issue(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const response = await server.request('POST', '/v1/tokens', { body });
    expect(response.status).toBe(201);
    const secret = rememberSecret(response.body.secret);
    secrets.push(secret);
    return { id: response.body.token.id, secret };
  }

  async function verify(secret: string, ip: string): Promise<string> {
    const response = await server.request('POST', '/v1/verify', { body: { token: secret, ip } });
    expect(response.status).toBe(200);
    return response.body.code;
  }

  /** Writes the server's pending usage: reading a token's usage flushes the buffer first, and anomaly detection follows each flush. */
  async function flushUsage(tokenId: string): Promise<void> {
    const response = await server.request('GET', `/v1/usage/${tokenId}?step=minute`);
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    server = await startTestServer(sqlite, { clock, name: 'dashboard-alerts', scheduler: {} });
    secrets.push(server.adminToken);

    expect((await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill', scopes: ['invoices:read'] } })).status).toBe(201);
    const watched = await server.request('POST', '/v1/keyspaces', {
      body: {
        name: 'reports',
        prefix: 'rep',
        policy: { anomaly: { response: 'suspend', learningPeriodSeconds: 60 }, limits: { rateLimits: [{ limit: 50, windowSeconds: 1 }] } },
      },
    });
    expect(watched.status).toBe(201);

    const reader = await issue({
      keyspace: 'admin',
      name: 'alert reader',
      owner: 'ops',
      scopes: ['tokens:read', 'alerts:read', 'audit:read'],
      neverExpires: true,
    });
    alertReader = reader.secret;

    // A token with limits of its own, verified from two allowed networks and once from outside the allowlist.
    const used = await issue({
      keyspace: 'billing',
      name: 'invoice sync',
      owner: 'finance',
      scopes: ['invoices:read'],
      limits: {
        rateLimits: [{ limit: 100, windowSeconds: 60 }],
        quota: { uses: 5000, refillSeconds: 2_592_000 },
        allowedNetworks: ['203.0.113.0/24', '198.51.100.7'],
      },
    });
    usedTokenId = used.id;
    for (let call = 0; call < 4; call += 1) expect(await verify(used.secret, `203.0.113.${10 + call}`)).toBe('VALID');
    expect(await verify(used.secret, '198.51.100.7')).toBe('VALID');
    expect(await verify(used.secret, '192.0.2.1')).toBe('IP_NOT_ALLOWED');
    await flushUsage(usedTokenId);

    // A revoked token that is still presented: the detector reports it without a learning period.
    const retired = await issue({ keyspace: 'billing', name: 'old batch job', owner: 'finance', scopes: [] });
    retiredTokenId = retired.id;
    expect((await server.request('POST', `/v1/tokens/${retiredTokenId}/revoke`, { body: { reason: 'replaced by invoice sync' } })).status).toBe(200);
    expect(await verify(retired.secret, '203.0.113.77')).toBe('REVOKED');
    await flushUsage(retiredTokenId);

    // A token used from a second network after its one-minute learning period, in a keyspace whose response suspends it.
    const watchedToken = await issue({ keyspace: 'reports', name: 'report export', owner: 'analytics', scopes: [] });
    suspendedTokenId = watchedToken.id;
    expect(await verify(watchedToken.secret, '203.0.113.20')).toBe('VALID');
    await flushUsage(suspendedTokenId);
    clock.advance(2 * minute);
    expect(await verify(watchedToken.secret, '198.51.100.50')).toBe('VALID');
    await flushUsage(suspendedTokenId);
    expect((await server.request('GET', `/v1/tokens/${suspendedTokenId}`)).body.state).toBe('suspended');

    // The event-dispatch job raises alerts from the new events, as the scheduler's timer would.
    clock.advance(5_000);
    await server.scheduler!.runDueJobs();
    const open = await server.request('GET', '/v1/alerts?type=token.anomaly');
    expect(open.body.items.map((alert: { subject: { id: string } }) => alert.subject.id).sort()).toEqual([retiredTokenId, suspendedTokenId].sort());

    browser = await launchBrowser(server.url);
    await browser.page.goto(server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('anomaly alert shows and is acknowledged', async () => {
    const page = browser.page;
    await signIn(server.adminToken);

    // The overview counts the two open anomaly alerts.
    await expect.poll(() => page.getByTestId('count-open-anomalies').textContent()).toBe('2');
    expect(Number(await page.getByTestId('count-open-alerts').textContent())).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('open-alert-list').textContent()).toContain('anomaly');
    await browser.screenshot('alerts-01-overview');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Alerts and anomalies', level: 1 }).waitFor();
    await page.getByRole('search').getByLabel('Type').fill('token.anomaly');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const cards = page
      .getByTestId('alert-list')
      .getByRole('listitem')
      .filter({ has: page.locator('[data-testid="alert-status"]') });
    await expect.poll(() => cards.count()).toBe(2);

    // The evidence of the retired token's alert: its kind, the network it was presented from and the count.
    const retiredCard = cards.filter({ has: page.locator(`a[href="#/tokens/${retiredTokenId}"]`) });
    const evidence = retiredCard.getByTestId('alert-evidence');
    await evidence.first().waitFor();
    const evidenceText = await evidence.first().textContent();
    expect(evidenceText).toContain('retired_token_presented');
    expect(evidenceText).toContain('203.0.113.0/24: 1');
    expect(evidenceText).toContain('revoked calls');

    const suspendedCard = cards.filter({ has: page.locator(`a[href="#/tokens/${suspendedTokenId}"]`) });
    await suspendedCard.getByTestId('alert-evidence').first().waitFor();
    const suspendedEvidence = await suspendedCard.getByTestId('alert-evidence').allTextContents();
    expect(suspendedEvidence.join(' ')).toContain('198.51.100.0/24');
    expect(suspendedEvidence.join(' ')).toContain('response: suspend');
    await browser.screenshot('alerts-02-page');
    await checkpoint('the alerts page');

    // Acknowledge opens a confirmation, and cancelling it changes nothing.
    await retiredCard.getByRole('button', { name: 'Acknowledge' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await retiredCard.getByTestId('alert-status').textContent()).toBe('open');
    await retiredCard.getByRole('button', { name: 'Acknowledge' }).click();
    await browser.screenshot('alerts-03-acknowledge');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => cards.count()).toBe(1);

    const acknowledged = await server.request('GET', '/v1/alerts?status=acknowledged');
    expect(acknowledged.body.items.map((alert: { subject: { id: string } }) => alert.subject.id)).toEqual([retiredTokenId]);

    await page.getByRole('search').getByLabel('Status').selectOption('acknowledged');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().getByTestId('alert-status').textContent()).toMatch(/^acknowledged by /);
    expect(await cards.first().getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => page.getByTestId('count-open-anomalies').textContent()).toBe('1');
    await checkpoint('acknowledging an alert');
  });

  test('token usage chart and networks', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/#/tokens/${usedTokenId}`);
    await page.getByRole('heading', { name: /invoice sync/, level: 1 }).waitFor();
    await page.locator('[data-loaded="usage"]').waitFor();

    const chart = page.getByTestId('usage-chart');
    expect(await chart.locator('rect[data-code="VALID"]').count()).toBe(1);
    expect(await chart.locator('rect[data-code="IP_NOT_ALLOWED"]').count()).toBe(1);
    expect(await page.locator('figcaption').filter({ hasText: 'verifications in this range' }).textContent()).toContain('VALID 5');

    const networks = page.getByTestId('network-table');
    expect(await networks.getByRole('row', { name: /203\.0\.113\.0\/24/ }).textContent()).toContain('4');
    expect(await networks.getByRole('row', { name: /198\.51\.100\.0\/24/ }).textContent()).toContain('1');
    expect(await networks.getByRole('row', { name: /192\.0\.2\.0\/24/ }).textContent()).toContain('1');

    const limits = await page.getByTestId('token-limits').textContent();
    expect(limits).toContain('100 per minute');
    expect(limits).toContain('5000 uses, refilled every 30 days');
    expect(limits).toContain('203.0.113.0/24');
    expect(limits).toContain('198.51.100.7');
    await browser.screenshot('alerts-04-token-usage');

    // By minute, all six verifications fall in one bucket, because they were made within a minute.
    await page.getByLabel('Step').selectOption('minute');
    await expect.poll(() => chart.locator('title').first().textContent()).toBe('Verifications per minute by result code');
    expect(await chart.locator('g[data-total="6"]').count()).toBe(1);
    await checkpoint('the token usage');
  });

  test('suspended token is enabled', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/#/tokens/${suspendedTokenId}`);
    const heading = page.getByRole('heading', { name: /report export/, level: 1 });
    await heading.waitFor();
    expect(await heading.locator('.badge').textContent()).toBe('suspended');
    expect(await page.getByTestId('suspended-notice').count()).toBe(1);
    // The token sets no limits, so the keyspace policy's apply.
    const limits = await page.getByTestId('token-limits').textContent();
    expect(limits).toContain('50 per second (from the keyspace policy)');
    expect(limits).toContain('Quotanone');
    await browser.screenshot('alerts-05-suspended');

    await page.getByRole('group', { name: 'Token actions' }).getByRole('button', { name: 'Enable' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('suspended because of an anomaly');
    await dialog.getByLabel('Reason (optional)').fill('checked: a new office network');
    await dialog.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => heading.locator('.badge').textContent()).toBe('active');
    expect((await server.request('GET', `/v1/tokens/${suspendedTokenId}`)).body.state).toBe('active');
    await checkpoint('enabling a suspended token');
  });

  test('acknowledge disabled without alerts:write', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(alertReader);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    const acknowledge = page.getByRole('button', { name: 'Acknowledge' });
    await acknowledge.first().waitFor();
    expect(await acknowledge.first().isDisabled()).toBe(true);
    expect(await page.locator('#acknowledge-denied').textContent()).toContain("lacks the 'alerts:write' scope");

    // Without usage:read the token page explains the missing scope instead of a chart.
    await page.goto(`${server.url}/#/tokens/${usedTokenId}`);
    await page.getByRole('heading', { name: /invoice sync/, level: 1 }).waitFor();
    expect(await page.getByText("lacks the 'usage:read' scope").count()).toBe(1);
    await browser.screenshot('alerts-06-read-only');
    await checkpoint('the read-only alerts page');
  });
});
