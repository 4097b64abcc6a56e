import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.js';
import { Tessera } from '../src/services/tessera.js';
import { createTestLogger } from './support/artifacts.js';
import { describeEachDatabase } from './support/fixtures.js';
import type { TestDatabase } from './support/databases.js';

describeEachDatabase('readiness', (target) => {
  let database: TestDatabase;
  let tessera: Tessera;
  let app: FastifyInstance;
  let started = false;
  let url = '';

  beforeAll(async () => {
    database = await target.create();
    const { logger } = createTestLogger(`readiness-${target.name}`);
    tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, create: true, logger });
    app = await buildServer(tessera.context, logger, { isStarted: () => started });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await tessera?.close();
    await database?.drop();
  });

  test('readyz waits for start-up', async () => {
    const starting = await fetch(`${url}/readyz`);
    expect(starting.status).toBe(503);
    expect(((await starting.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');

    const alive = await fetch(`${url}/healthz`);
    expect(alive.status).toBe(200);

    started = true;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
