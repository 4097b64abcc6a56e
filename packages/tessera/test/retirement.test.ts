import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const hour = 3_600_000;
const day = 24 * hour;

describeEachDatabase('retiring a rotated token', (target) => {
  const clock = new FakeClock();
  let server: TestServer;
  let predecessor = { id: '', secret: '' };
  let unused = { id: '' };

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await server.request(method, path, body === undefined ? {} : { body });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  async function issue(name: string): Promise<{ id: string; secret: string }> {
    const issued = await call('POST', '/v1/tokens', { keyspace: 'ledger', name, scopes: [], expiresInSeconds: 30 * 86400 });
    return { id: issued.token.id, secret: rememberSecret(issued.secret) };
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: 'retirement' });
    await call('POST', '/v1/keyspaces', { name: 'ledger', prefix: 'ldg', policy: { gracePeriodSeconds: 24 * 3600 } });
    predecessor = await issue('posting');
    unused = await issue('archive');
    const rotated = await call('POST', `/v1/tokens/${predecessor.id}/rotate`, {});
    rememberSecret(rotated.secret);
    await call('POST', `/v1/tokens/${unused.id}/rotate`, {});
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('report shows no use right after rotation', async () => {
    const report = await call('GET', `/v1/tokens/${predecessor.id}/retirement`);
    expect(report.stillInUse).toBe(false);
    expect(report.lastPresentedAt).toBeNull();
    expect(report.canExtendGrace).toBe(false);
    expect(report.graceEndsAt).toBe(new Date(clock.now() + 24 * hour).toISOString());
  });

  test('presented predecessor reads as still in use', async () => {
    clock.advance(hour);
    // The calling service passes the address its client connected from.
    const verified = await call('POST', '/v1/verify', { token: predecessor.secret, ip: '127.0.0.9' });
    expect(verified.code).toBe('VALID');

    const report = await call('GET', `/v1/tokens/${predecessor.id}/retirement`);
    expect(report.stillInUse).toBe(true);
    expect(report.lastPresentedAt).toBe(new Date(clock.now()).toISOString());
    expect(report.lastPresentedFrom).toBe('127.0.0.9');
    expect(report.attemptsSinceRotation).toBe(1);
    expect(report.networksSinceRotation).toEqual([{ network: '127.0.0.0/24', attempts: 1 }]);
    expect(report.canExtendGrace).toBe(true);
  });

  test('grace extends while in use', async () => {
    const before = await call('GET', `/v1/tokens/${predecessor.id}/retirement`);
    const extended = await call('POST', `/v1/tokens/${predecessor.id}/extend-grace`, { extendBySeconds: 12 * 3600 });
    expect(Date.parse(extended.graceEndsAt) - Date.parse(before.graceEndsAt)).toBe(12 * hour);

    const [event] = (await call('GET', `/v1/events?type=token.grace_extended&subjectId=${predecessor.id}`)).items;
    expect(event.data.extendBySeconds).toBe(12 * 3600);
    const token = await call('GET', `/v1/tokens/${predecessor.id}`);
    expect(token.expiresAt).toBe(extended.graceEndsAt);
  });

  test('grace extension rejected where inapplicable', async () => {
    const fresh = await issue('fresh');
    const cases: [string, unknown, number][] = [
      [unused.id, { extendBySeconds: 3600 }, 409],
      [fresh.id, { extendBySeconds: 3600 }, 409],
      [predecessor.id, { extendBySeconds: 2 * 86400 }, 422],
      [predecessor.id, { extendBySeconds: 10 }, 400],
      [predecessor.id, { extendBySeconds: '1h' }, 400],
      ['no-such-token', { extendBySeconds: 3600 }, 404],
    ];
    for (const [id, body, status] of cases) {
      const response = await server.request('POST', `/v1/tokens/${id}/extend-grace`, { body });
      expect(response.status, `${id} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`).toBe(status);
    }
    expect((await server.request('GET', `/v1/tokens/${fresh.id}/retirement`)).status).toBe(409);
  });

  test('successor id named as the wrong one', async () => {
    const { successorId } = await call('GET', `/v1/tokens/${predecessor.id}/retirement`);
    const response = await server.request('GET', `/v1/tokens/${successorId}/retirement`);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain(`is the successor of '${predecessor.id}'`);
    expect(response.body.error.message).toContain(`pass '${predecessor.id}' instead`);
  });

  test('attempt just before rotation not counted', async () => {
    const early = await issue('early');
    clock.advance(20_000);
    await call('POST', '/v1/verify', { token: early.secret, ip: '127.0.0.7' });
    clock.advance(10_000);
    rememberSecret((await call('POST', `/v1/tokens/${early.id}/rotate`, {})).secret);

    // The attempt shares the rotation's minute counter but came before the rotation.
    const report = await call('GET', `/v1/tokens/${early.id}/retirement`);
    expect(report.attemptsSinceRotation).toBe(0);
    expect(report.stillInUse).toBe(false);
    expect(report.canExtendGrace).toBe(false);
  });

  test('attempts counted per source network', async () => {
    clock.advance(2 * hour);
    await call('POST', '/v1/verify', { token: predecessor.secret, ip: '127.0.1.5' });
    await call('POST', '/v1/verify', { token: predecessor.secret, ip: '127.0.1.6' });
    clock.advance(day);
    await call('POST', '/v1/verify', { token: predecessor.secret, ip: '127.0.0.9' });

    const report = await call('GET', `/v1/tokens/${predecessor.id}/retirement`);
    // One attempt an hour after the rotation, then three more; the last is read from the day counters.
    expect(report.attemptsSinceRotation).toBe(4);
    expect(report.networksSinceRotation).toEqual([
      { network: '127.0.0.0/24', attempts: 2 },
      { network: '127.0.1.0/24', attempts: 2 },
    ]);
  });
});
