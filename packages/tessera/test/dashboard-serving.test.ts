import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildServer } from '../src/http/server.js';
import { defaultDashboardDir } from '../src/http/dashboard.js';
import { createTestLogger } from './support/artifacts.js';
import { databaseTargets } from './support/databases.js';
import { openInstallation, startTestServer, type TestInstallation, type TestServer } from './support/fixtures.js';

// Serving static files does not touch the store, so SQLite alone covers it.
const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(sqlite, { name: 'dashboard-serving' });
});

afterAll(async () => {
  await server?.stop();
});

test('root serves the built dashboard', async () => {
  const response = await fetch(`${server.url}/`);
  const html = await response.text();

  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(html).toContain('<div id="root"></div>');
  expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
});

test('dashboard responses carry a strict content security policy', async () => {
  const response = await fetch(`${server.url}/`);
  const policy = response.headers.get('content-security-policy') ?? '';
  // Read to the end, so the connection is idle and the server can close it when the suite stops.
  await response.arrayBuffer();

  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("connect-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain('unsafe-inline');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
});

test('dashboard assets are served with long caching', async () => {
  const html = await (await fetch(`${server.url}/`)).text();
  const script = /src="\.\/(assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
  const response = await fetch(`${server.url}/${script}`);
  const body = await response.text();

  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/javascript/);
  expect(response.headers.get('cache-control')).toContain('immutable');
  expect(body.length).toBeGreaterThan(1000);
});

test('api paths keep working beside the dashboard', async () => {
  const unknown = await server.request('GET', '/v1/no-such-route');
  const health = await server.request('GET', '/healthz', { token: null });
  const openapi = await server.request('GET', '/openapi.json', { token: null });
  const missingFile = await server.request('GET', '/no-such-file.js', { token: null });

  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('NOT_FOUND');
  expect(health.body).toEqual({ status: 'ok' });
  expect(Object.keys(openapi.body.paths)).toContain('/v1/tokens/summary');
  expect(Object.keys(openapi.body.paths).some((path) => path.startsWith('/assets'))).toBe(false);
  expect(missingFile.status).toBe(404);
  expect(missingFile.body.error.code).toBe('NOT_FOUND');
});

test('server without a built dashboard still serves the api', async () => {
  const emptyDir = mkdtempSync(join(tmpdir(), 'tessera-no-dashboard-'));
  const installation: TestInstallation = await openInstallation(sqlite, { name: 'no-dashboard' });
  const { logger, lines } = createTestLogger('no-dashboard-server');
  const app = await buildServer(installation.tessera.context, logger, { dashboardDir: emptyDir });
  try {
    const root = await app.inject({ method: 'GET', url: '/' });
    const health = await app.inject({ method: 'GET', url: '/healthz' });

    expect(root.statusCode).toBe(404);
    expect(root.json().error.code).toBe('NOT_FOUND');
    expect(health.statusCode).toBe(200);
    expect(lines().some((line) => line.includes('dashboard not built'))).toBe(true);
  } finally {
    await app.close();
    await installation.close();
    rmSync(emptyDir, { recursive: true, force: true });
  }
});

test('default dashboard folder is the dashboard package build', () => {
  expect(defaultDashboardDir.replaceAll('\\', '/')).toMatch(/packages\/dashboard\/dist$/);
});
