import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startServe, type ServeProcess } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/fixtures.js';
import { startMockProvider, writeRotatorScripts, type HoldPoint, type MockProvider, type RotatorScripts } from './support/mock-provider.js';

// Each case kills the server while a rotation waits at one point, then restarts it. The first two
// points are in the pending step (before and after the provider issued a key), the last two in the
// applied step (before and after the test program activated the new key).
const killPoints: { point: HoldPoint; step: string }[] = [
  { point: 'rotate', step: 'pending' },
  { point: 'issued', step: 'pending' },
  { point: 'test', step: 'applied' },
  { point: 'activated', step: 'applied' },
];

describeEachDatabase('secret rotation crash', (target) => {
  let database: TestDatabase;
  let provider: MockProvider;
  let scripts: RotatorScripts;
  let server: ServeProcess | undefined;
  let adminToken: string;

  async function serve(): Promise<ServeProcess> {
    const port = await freePort();
    const databaseArgs = database.databaseUrl ? ['--database-url', database.databaseUrl] : [];
    return startServe({
      name: `rotation-crash-${target.name}`,
      args: ['serve', '--data-dir', database.dataDir, ...databaseArgs, '--port', String(port)],
      port,
    });
  }

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  beforeAll(async () => {
    database = await target.create();
    provider = await startMockProvider();
    scripts = writeRotatorScripts(provider);
    server = await serve();
    adminToken = await server.waitForAdminToken();
  });
  afterAll(async () => {
    await server?.stop();
    await provider?.close();
    scripts?.remove();
    await database?.drop();
  });

  for (const [index, { point, step }] of killPoints.entries()) {
    test(`SIGKILL in ${step} at ${point} resumes`, { timeout: 120_000 }, async () => {
      const name = `KILLED_${index}`;
      const before = provider.validKeys();
      expect(before).toHaveLength(1);
      expect((await call('POST', '/v1/secrets', { name, environment: 'production', value: before[0] })).status).toBe(201);
      const rotator = { kind: 'exec', command: scripts.rotator(), testCommand: scripts.test(), timeoutSeconds: 5, gracePeriodSeconds: 3600 };
      expect((await call('PUT', `/v1/secrets/production/${name}/rotator`, rotator)).status).toBe(200);

      scripts.hold(point);
      void call('POST', `/v1/secrets/production/${name}/rotate`).catch(() => undefined);
      await expect.poll(() => scripts.reached(point), { timeout: 10_000 }).toBe(true);
      await server!.kill();

      scripts.release(point);
      server = await serve();

      // The scheduler resumes the rotation once the interrupted step is older than its timeout and margin.
      await expect.poll(async () => (await call('POST', `/v1/secrets/production/${name}/reveal`, {})).body.version, { timeout: 60_000, interval: 500 }).toBe(2);
      const current = (await call('POST', `/v1/secrets/production/${name}/reveal`, {})).body;
      expect(current.value).not.toBe(before[0]);
      expect(provider.validKeys()).toEqual([current.value]);

      const previous = (await call('POST', `/v1/secrets/production/${name}/reveal`, { version: 1 })).body;
      expect(previous.value).toBe(before[0]);

      const details = (await call('GET', `/v1/secrets/production/${name}`)).body;
      expect(details.versions.map((version: { version: number }) => version.version)).toEqual([2, 1]);
      expect(server!.stdout()).not.toContain(current.value);
    });
  }
});
