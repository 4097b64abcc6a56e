import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, startTestServer, type TestServer } from './support/fixtures.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { rotateToken } from '../src/services/rotation.js';
import { issueToken } from '../src/services/tokens.js';
import { everyKeyspace } from '../src/services/authorization.js';
import { verifyToken } from '../src/services/verifier.js';

// The load is bounded three ways: real time, total request count and requests in flight.
const loadMilliseconds = 2000;
const maxRequests = 20_000;
const maxInFlight = 8;
const graceSeconds = 3600;

interface TimedResponse {
  startedAt: number;
  finishedAt: number;
  status: number;
  code: string;
}

describeEachDatabase('rotation under verification load', (target) => {
  const clock = new FakeClock();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `rotation-load-${target.name}` });
    const created = await server.request('POST', '/v1/keyspaces', { body: { name: 'payments', prefix: 'pay', scopes: ['payments:charge'] } });
    expect(created.status).toBe(201);
  });
  afterAll(async () => server?.stop());

  /** Sends one verification request and records when it started and finished, in performance.now() milliseconds. */
  async function verifyOnce(secret: string): Promise<TimedResponse> {
    const startedAt = performance.now();
    const response = await server.request('POST', '/v1/verify', { body: { token: secret, scopes: ['payments:charge'] } });
    return { startedAt, finishedAt: performance.now(), status: response.status, code: String(response.body?.code ?? response.body?.error?.code) };
  }

  /**
   * Keeps `maxInFlight` verifications of `secret` running until `until` returns true or
   * `maxRequests` were sent, and returns every response.
   */
  async function verifyContinuously(secret: string, until: () => boolean): Promise<TimedResponse[]> {
    const responses: TimedResponse[] = [];
    let sent = 0;
    const worker = async () => {
      while (!until() && sent < maxRequests) {
        sent += 1;
        responses.push(await verifyOnce(secret));
      }
    };
    await Promise.all(Array.from({ length: maxInFlight }, worker));
    return responses;
  }

  test('no rejections during grace, all expired after', async () => {
    const issued = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'payments', name: 'checkout', owner: 'shop', scopes: ['payments:charge'] },
    });
    expect(issued.status).toBe(201);
    const oldSecret = rememberSecret(issued.body.secret as string);

    const loadStart = performance.now();
    const loadEnd = loadStart + loadMilliseconds;
    const load = verifyContinuously(oldSecret, () => performance.now() >= loadEnd);

    // Rotate halfway through the load, while verifications of the old token are in flight.
    await new Promise((resolve) => setTimeout(resolve, loadMilliseconds / 2));
    const rotationStart = performance.now();
    const rotated = await server.request('POST', `/v1/tokens/${issued.body.token.id}/rotate`, { body: { gracePeriodSeconds: graceSeconds } });
    const rotationEnd = performance.now();
    expect(rotated.status).toBe(201);
    const newSecret = rememberSecret(rotated.body.secret as string);

    const responses = await load;
    const rejected = responses.filter((response) => response.status !== 200 || response.code !== 'VALID');
    expect(rejected).toEqual([]);

    const overlapping = responses.filter((response) => response.startedAt < rotationEnd && response.finishedAt > rotationStart);
    const afterRotation = responses.filter((response) => response.startedAt >= rotationEnd);
    expect(overlapping.length).toBeGreaterThan(0);
    expect(afterRotation.length).toBeGreaterThan(0);
    expect(responses.length).toBeGreaterThan(maxInFlight * 2);

    clock.advanceSeconds(graceSeconds + 1);
    let sent = 0;
    const afterGraceResponses = await verifyContinuously(oldSecret, () => ++sent > 400);
    expect(afterGraceResponses).toHaveLength(400);
    const stillAccepted = afterGraceResponses.filter((response) => response.status !== 200 || response.code !== 'EXPIRED');
    expect(stillAccepted).toEqual([]);

    const successor = await server.request('POST', '/v1/verify', { body: { token: newSecret, scopes: ['payments:charge'] } });
    expect(successor.body).toMatchObject({ valid: true, code: 'VALID', tokenId: rotated.body.token.id });
  });

  // In process the lookups are fast enough to land between the cache delete inside the rotation's
  // transaction and its commit, which HTTP traffic rarely does. A lookup there reads the old row.
  test('rotation never leaves stale cache', async () => {
    const installationClock = new FakeClock();
    const installation = await openInstallation(target, { clock: installationClock, name: `rotation-cache-${target.name}` });
    try {
      const context = installation.tessera.context;
      await createKeyspace(context, installation.operator, { name: 'sessions', prefix: 'sess' });

      const rounds = 20;
      const stillValid: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        const issued = await issueToken(context, installation.operator, { keyspace: 'sessions', name: `round ${round}`, scopes: [] });
        rememberSecret(issued.secret);
        expect((await verifyToken(context, { token: issued.secret }, everyKeyspace)).code).toBe('VALID');

        let rotationDone = false;
        const lookups = Array.from({ length: maxInFlight }, async () => {
          for (let count = 0; !rotationDone && count < 10_000; count += 1) {
            expect((await verifyToken(context, { token: issued.secret }, everyKeyspace)).code).toBe('VALID');
            // Cache hits never wait on I/O, so yield to let the rotation's queries finish.
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
        const rotated = await rotateToken(context, installation.operator, issued.token.id, { gracePeriodSeconds: 60 });
        rememberSecret(rotated.secret);
        rotationDone = true;
        await Promise.all(lookups);

        installationClock.advanceSeconds(61);
        const afterGrace = await verifyToken(context, { token: issued.secret }, everyKeyspace);
        if (afterGrace.code !== 'EXPIRED') stillValid.push(round);
      }
      expect(stillValid).toEqual([]);
    } finally {
      await installation.close();
    }
  });
});
