import { describe, test } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { localOperator, type Actor } from '../../src/services/actor.js';
import { initialise } from '../../src/services/bootstrap.js';
import { Tessera } from '../../src/services/tessera.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/http/start.js';
import { rememberSecret, createTestLogger } from './artifacts.js';
import { databaseTargets, type DatabaseTarget, type TestDatabase } from './databases.js';

/**
 * Runs a suite once per store, SQLite and PostgreSQL. PostgreSQL suites are reported as skipped
 * where it is unreachable, and fail instead on CI (see databases.ts).
 */
export function describeEachDatabase(name: string, suite: (target: DatabaseTarget) => void): void {
  for (const target of databaseTargets) {
    describe.skipIf(!target.available)(`${name} [${target.name}]`, () => suite(target));
  }
}

/** Registers a test only where it applies, so a check for one store is not reported as skipped on the other. */
export function testIf(condition: boolean): typeof test {
  const skipRegistration = () => {};
  return condition ? test : (skipRegistration as unknown as typeof test);
}

export interface TestInstallation {
  tessera: Tessera;
  database: TestDatabase;
  operator: Actor;
  adminToken: string;
  close(): Promise<void>;
}

/** Opens an initialised installation on a fresh database, for tests that call the services in-process. */
export async function openInstallation(target: DatabaseTarget, options: { clock?: Clock; name?: string } = {}): Promise<TestInstallation> {
  const database = await target.create();
  const { logger } = createTestLogger(options.name ?? `installation-${target.name}`);
  const tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, create: true, clock: options.clock, logger });
  const operator = localOperator();
  const { secret } = await initialise(tessera.context, operator);
  rememberSecret(secret);
  return {
    tessera,
    database,
    operator,
    adminToken: secret,
    async close() {
      await tessera.close();
      await database.drop();
    },
  };
}

export interface TestServer extends RunningServer {
  adminToken: string;
  database: TestDatabase;
  logLines: () => string[];
  /** Sends a JSON request with the admin token (or the given one) over loopback. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/**
 * Starts a real server on a loopback port over a fresh database. Its scheduler runs only when the
 * test passes `scheduler`, so that no background job changes what other tests compare. Its jobs
 * are unpaced (busy share 1) unless the test sets `busyShare`: these tests drive the jobs with a
 * fake clock, and pauses on the real clock would only slow them down. scheduler-pacing.test.ts
 * covers the pacer, and tests that spawn `tessera serve` run it with the default share.
 */
export async function startTestServer(
  target: DatabaseTarget,
  options: { clock?: Clock; name?: string; database?: TestDatabase; scheduler?: StartOptions['scheduler'] } = {},
): Promise<TestServer> {
  const database = options.database ?? (await target.create());
  const { logger, lines } = createTestLogger(options.name ?? `server-${target.name}`);
  const server = await startServer({
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    host: '127.0.0.1',
    port: 0,
    logger,
    clock: options.clock,
    scheduler: options.scheduler ? { busyShare: 1, ...options.scheduler } : false,
  });
  const adminToken = server.initialAdminToken ?? '';
  if (adminToken) rememberSecret(adminToken);

  return {
    ...server,
    adminToken,
    database,
    logLines: lines,
    async request(method, path, requestOptions = {}) {
      const token = requestOptions.token === undefined ? adminToken : requestOptions.token;
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let body: string | undefined = requestOptions.rawBody;
      if (requestOptions.body !== undefined) body = JSON.stringify(requestOptions.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON, so the test gets the text.
      }
      return { status: response.status, body: parsed };
    },
    async stop() {
      await server.close();
      if (!options.database) await database.drop();
    },
  };
}
