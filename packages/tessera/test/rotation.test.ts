import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

const day = 86_400;
const defaultGraceSeconds = 24 * 3600;

describeEachDatabase('token rotation', (target) => {
  const clock = new FakeClock();
  let server: TestServer;

  /** Issues a token in `keyspace` and returns its record and remembered plaintext. */
  async function issue(keyspace: string, body: Record<string, unknown> = {}): Promise<{ id: string; secret: string; token: any }> {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace, name: 'rotation subject', scopes: ['orders:read'], ...body } });
    expect(issued.status).toBe(201);
    const secret = rememberSecret(issued.body.secret as string);
    return { id: issued.body.token.id as string, secret, token: issued.body.token };
  }

  async function rotate(id: string, body?: Record<string, unknown>): Promise<{ status: number; body: any }> {
    const rotated = await server.request('POST', `/v1/tokens/${id}/rotate`, body === undefined ? {} : { body });
    if (typeof rotated.body?.secret === 'string') rememberSecret(rotated.body.secret);
    return rotated;
  }

  async function verify(secret: string): Promise<any> {
    const verified = await server.request('POST', '/v1/verify', { body: { token: secret } });
    expect(verified.status).toBe(200);
    return verified.body;
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `rotation-${target.name}` });
    const keyspaces = [
      { name: 'orders', prefix: 'ord', scopes: ['orders:read', 'orders:write'] },
      { name: 'devices', prefix: 'dev', scopes: ['orders:read'], policy: { allowSelfRotation: true, gracePeriodSeconds: 3600 } },
    ];
    for (const body of keyspaces) {
      const created = await server.request('POST', '/v1/keyspaces', { body });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => server?.stop());

  test('successor secret returned only once', async () => {
    const original = await issue('orders');
    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(201);

    const successorSecret = rotated.body.secret as string;
    expect(successorSecret.startsWith('ord_')).toBe(true);
    expect(successorSecret).not.toBe(original.secret);
    expect(rotated.body.token.hint).toBe(`ord_…${successorSecret.slice(-4)}`);

    for (const id of [rotated.body.token.id, original.id]) {
      const fetched = await server.request('GET', `/v1/tokens/${id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).not.toHaveProperty('secret');
      expect(JSON.stringify(fetched.body)).not.toContain(successorSecret);
      expect(JSON.stringify(fetched.body)).not.toContain(original.secret);
    }
  });

  test('default grace shortens predecessor expiry', async () => {
    const original = await issue('orders');
    expect(original.token.expiresAt).toBe(new Date(clock.now() + 90 * day * 1000).toISOString());

    clock.advanceSeconds(60);
    const rotatedAt = clock.now();
    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(201);

    const graceEnd = new Date(rotatedAt + defaultGraceSeconds * 1000).toISOString();
    expect(rotated.body.predecessor.expiresAt).toBe(graceEnd);
    const fetched = await server.request('GET', `/v1/tokens/${original.id}`);
    expect(fetched.body.expiresAt).toBe(graceEnd);
    expect(fetched.body.state).toBe('active');
  });

  test('explicit grace period overrides default', async () => {
    const original = await issue('orders');
    const rotatedAt = clock.now();
    const rotated = await rotate(original.id, { gracePeriodSeconds: 600 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.predecessor.expiresAt).toBe(new Date(rotatedAt + 600_000).toISOString());

    const audit = await server.request('GET', `/v1/audit?action=token.rotate&targetId=${original.id}`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].details.gracePeriodSeconds).toBe(600);
  });

  test('zero grace expires predecessor at once', async () => {
    const original = await issue('orders');
    const rotated = await rotate(original.id, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);

    expect(await verify(original.secret)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await verify(rotated.body.secret)).toMatchObject({ valid: true, code: 'VALID' });
  });

  test('sooner own expiry is kept', async () => {
    const original = await issue('orders', { expiresInSeconds: 3600 });
    const ownExpiry = original.token.expiresAt as string;

    clock.advanceSeconds(600);
    const rotatedAt = clock.now();
    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(201);
    expect(rotated.body.predecessor.expiresAt).toBe(ownExpiry);

    // The successor gets the predecessor's full lifetime, counted from the rotation.
    expect(rotated.body.token.expiresAt).toBe(new Date(rotatedAt + 3600_000).toISOString());
  });

  test('both verify during grace, then only successor', async () => {
    const original = await issue('orders');
    expect(await verify(original.secret)).toMatchObject({ valid: true, code: 'VALID' });

    const rotated = await rotate(original.id, { gracePeriodSeconds: 3600 });
    expect(rotated.status).toBe(201);
    const successorSecret = rotated.body.secret as string;

    clock.advanceSeconds(3599);
    expect(await verify(original.secret)).toMatchObject({ valid: true, code: 'VALID', tokenId: original.id });
    expect(await verify(successorSecret)).toMatchObject({ valid: true, code: 'VALID', tokenId: rotated.body.token.id });

    clock.advanceSeconds(2);
    expect(await verify(original.secret)).toMatchObject({ valid: false, code: 'EXPIRED', tokenId: original.id });
    expect(await verify(successorSecret)).toMatchObject({ valid: true, code: 'VALID', tokenId: rotated.body.token.id });

    const fetched = await server.request('GET', `/v1/tokens/${original.id}`);
    expect(fetched.body.state).toBe('expired');
  });

  test('successor inherits fields and links', async () => {
    const original = await issue('orders', {
      name: 'nightly export',
      owner: 'warehouse-team',
      description: 'reads orders for the export job',
      scopes: ['orders:read', 'orders:write'],
      metadata: { env: 'production', ticket: 'ops-42' },
    });
    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(201);

    const successor = rotated.body.token;
    expect(successor.id).not.toBe(original.id);
    expect(successor.keyspace).toBe('orders');
    expect(successor.name).toBe('nightly export');
    expect(successor.owner).toBe('warehouse-team');
    expect(successor.description).toBe('reads orders for the export job');
    expect(successor.scopes).toEqual(['orders:read', 'orders:write']);
    expect(successor.metadata).toEqual({ env: 'production', ticket: 'ops-42' });
    expect(successor.state).toBe('active');
    expect(successor.predecessorId).toBe(original.id);
    expect(successor.successorId).toBeNull();

    const predecessor = await server.request('GET', `/v1/tokens/${original.id}`);
    expect(predecessor.body.successorId).toBe(successor.id);
    expect(predecessor.body.predecessorId).toBeNull();

    const fetchedSuccessor = await server.request('GET', `/v1/tokens/${successor.id}`);
    expect(fetchedSuccessor.body.predecessorId).toBe(original.id);

    const verified = await verify(rotated.body.secret);
    expect(verified).toMatchObject({
      valid: true,
      tokenId: successor.id,
      keyspace: 'orders',
      owner: 'warehouse-team',
      scopes: ['orders:read', 'orders:write'],
      metadata: { env: 'production', ticket: 'ops-42' },
    });
  });

  test('second rotation of predecessor conflicts', async () => {
    const original = await issue('orders');
    const first = await rotate(original.id);
    expect(first.status).toBe(201);

    const second = await rotate(original.id);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('CONFLICT');
    expect(second.body.error.message).toContain('already rotated');
    expect(second.body.error.message).toContain(first.body.token.id);

    // The successor itself can be rotated, which extends the chain.
    const third = await rotate(first.body.token.id);
    expect(third.status).toBe(201);
    expect(third.body.token.predecessorId).toBe(first.body.token.id);
  });

  test('revoked token cannot be rotated', async () => {
    const original = await issue('orders');
    const revoked = await server.request('POST', `/v1/tokens/${original.id}/revoke`, { body: { reason: 'leaked in a log' } });
    expect(revoked.status).toBe(200);

    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(409);
    expect(rotated.body.error.code).toBe('CONFLICT');
    expect(rotated.body.error.message).toContain('is revoked');
  });

  test('expired token cannot be rotated', async () => {
    const original = await issue('orders', { expiresInSeconds: 60 });
    clock.advanceSeconds(61);

    const rotated = await rotate(original.id);
    expect(rotated.status).toBe(409);
    expect(rotated.body.error.code).toBe('CONFLICT');
    expect(rotated.body.error.message).toContain('is expired');

    const fetched = await server.request('GET', `/v1/tokens/${original.id}`);
    expect(fetched.body.successorId).toBeNull();
  });

  test('self-rotation allowed by policy', async () => {
    const original = await issue('devices', { owner: 'sensor-17', metadata: { site: 'north' } });
    const rotatedAt = clock.now();

    const rotated = await server.request('POST', '/v1/tokens/self/rotate', { token: original.secret });
    expect(rotated.status).toBe(201);
    const successorSecret = rememberSecret(rotated.body.secret as string);
    expect(successorSecret.startsWith('dev_')).toBe(true);
    expect(rotated.body.token).toMatchObject({ keyspace: 'devices', owner: 'sensor-17', metadata: { site: 'north' }, predecessorId: original.id });

    // The keyspace policy's grace period of one hour applies.
    expect(rotated.body.predecessor.expiresAt).toBe(new Date(rotatedAt + 3600_000).toISOString());
    expect(await verify(original.secret)).toMatchObject({ valid: true, code: 'VALID' });
    expect(await verify(successorSecret)).toMatchObject({ valid: true, code: 'VALID' });

    const audit = await server.request('GET', `/v1/audit?action=token.self_rotate&targetId=${original.id}`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    const entry = audit.body.items[0];
    expect(entry.actor.type).toBe('token');
    expect(entry.actor.id).toBe(original.id);
    expect(entry.actor.hint).toBe(original.token.hint);
    expect(entry.outcome).toBe('success');
    expect(entry.details.successorId).toBe(rotated.body.token.id);
  });

  test('self-rotation rotates only once', async () => {
    const original = await issue('devices');
    const first = await server.request('POST', '/v1/tokens/self/rotate', { token: original.secret });
    expect(first.status).toBe(201);
    rememberSecret(first.body.secret as string);

    const second = await server.request('POST', '/v1/tokens/self/rotate', { token: original.secret });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('CONFLICT');
  });

  test('self-rotation rejected without policy', async () => {
    const original = await issue('orders');
    const rotated = await server.request('POST', '/v1/tokens/self/rotate', { token: original.secret });
    expect(rotated.status).toBe(403);
    expect(rotated.body.error.code).toBe('FORBIDDEN');
    expect(rotated.body.error.message).toContain("keyspace 'orders' does not allow self-rotation");
    expect(rotated.body.error.message).toContain('allowSelfRotation');

    const fetched = await server.request('GET', `/v1/tokens/${original.id}`);
    expect(fetched.body.successorId).toBeNull();
    const audit = await server.request('GET', `/v1/audit?action=token.self_rotate&targetId=${original.id}`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ outcome: 'denied', actor: { id: original.id }, details: { reason: 'self_rotation_not_allowed' } });
  });

  test('self-rotation authenticates before validating', async () => {
    const rotated = await server.request('POST', '/v1/tokens/self/rotate', { token: null, body: { gracePeriodSeconds: 'soon' } });
    expect(rotated.status).toBe(401);
    expect(rotated.body.error.code).toBe('UNAUTHENTICATED');
  });

  test('self-rotation needs a valid bearer', async () => {
    const original = await issue('devices');
    const revoked = await server.request('POST', `/v1/tokens/${original.id}/revoke`, { body: { reason: 'device retired' } });
    expect(revoked.status).toBe(200);

    const rotated = await server.request('POST', '/v1/tokens/self/rotate', { token: original.secret });
    expect(rotated.status).toBe(401);
    expect(rotated.body.error.code).toBe('UNAUTHENTICATED');

    const anonymous = await server.request('POST', '/v1/tokens/self/rotate', { token: null });
    expect(anonymous.status).toBe(401);
  });
});
