import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, startTestServer, type TestServer } from './support/fixtures.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { changeTokenState, getToken, issueToken } from '../src/services/tokens.js';
import { everyKeyspace } from '../src/services/authorization.js';
import { verifyToken } from '../src/services/verifier.js';

const day = 86_400;

describeEachDatabase('token states and expiry', (target) => {
  const clock = new FakeClock();
  let server: TestServer;

  async function issue(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string; token: any }> {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'reports', name: 'state subject', scopes: ['reports:read'], ...body } });
    expect(issued.status).toBe(201);
    const secret = rememberSecret(issued.body.secret as string);
    return { id: issued.body.token.id as string, secret, token: issued.body.token };
  }

  async function verify(secret: string, scopes?: string[]): Promise<any> {
    const verified = await server.request('POST', '/v1/verify', { body: scopes === undefined ? { token: secret } : { token: secret, scopes } });
    expect(verified.status).toBe(200);
    return verified.body;
  }

  async function changeState(id: string, change: 'revoke' | 'disable' | 'enable', reason?: string): Promise<{ status: number; body: any }> {
    return server.request('POST', `/v1/tokens/${id}/${change}`, reason === undefined ? {} : { body: { reason } });
  }

  beforeAll(async () => {
    server = await startTestServer(target, { clock, name: `token-states-${target.name}` });
    const keyspaces = [
      { name: 'reports', prefix: 'rep', scopes: ['reports:read', 'reports:write', 'reports:delete', 'invoices:*'] },
      { name: 'robots', prefix: 'bot', policy: { allowNoExpiry: true } },
    ];
    for (const body of keyspaces) {
      const created = await server.request('POST', '/v1/keyspaces', { body });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => server?.stop());

  test('revoke requires a reason', async () => {
    const token = await issue();

    const withoutBody = await server.request('POST', `/v1/tokens/${token.id}/revoke`);
    expect(withoutBody.status).toBe(400);
    expect(withoutBody.body.error.code).toBe('VALIDATION_FAILED');
    expect(withoutBody.body.error.message).toContain('reason');

    const emptyBody = await server.request('POST', `/v1/tokens/${token.id}/revoke`, { body: {} });
    expect(emptyBody.status).toBe(400);
    expect(emptyBody.body.error.message).toContain('reason');

    const emptyReason = await changeState(token.id, 'revoke', '');
    expect(emptyReason.status).toBe(400);
    expect(emptyReason.body.error.message).toContain('reason');

    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });
  });

  test('revoke applies at once after cached verify', async () => {
    const token = await issue();
    // Two verifications: the second is served from this node's cache.
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });

    const revoked = await changeState(token.id, 'revoke', 'laptop stolen');
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');
    expect(revoked.body.stateReason).toBe('laptop stolen');
    expect(revoked.body.stateChangedAt).toBe(new Date(clock.now()).toISOString());

    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'REVOKED', tokenId: token.id });
    const fetched = await server.request('GET', `/v1/tokens/${token.id}`);
    expect(fetched.body.state).toBe('revoked');
  });

  test('disable then enable', async () => {
    const token = await issue();
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });

    const disabled = await changeState(token.id, 'disable', 'owner on leave');
    expect(disabled.status).toBe(200);
    expect(disabled.body.state).toBe('disabled');
    expect(disabled.body.stateReason).toBe('owner on leave');
    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'DISABLED' });

    const enabled = await changeState(token.id, 'enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body.state).toBe('active');
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });
  });

  test('enable on active token conflicts', async () => {
    const token = await issue();
    const enabled = await changeState(token.id, 'enable');
    expect(enabled.status).toBe(409);
    expect(enabled.body.error.code).toBe('CONFLICT');
    expect(enabled.body.error.message).toBe(`token '${token.id}' is already active`);
  });

  test('revoke on revoked token conflicts', async () => {
    const token = await issue();
    expect((await changeState(token.id, 'revoke', 'first')).status).toBe(200);

    const again = await changeState(token.id, 'revoke', 'second');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(again.body.error.message).toBe(`token '${token.id}' is already revoked`);

    // The first reason stays on record.
    const fetched = await server.request('GET', `/v1/tokens/${token.id}`);
    expect(fetched.body.stateReason).toBe('first');
  });

  test('revoked token cannot be re-enabled', async () => {
    const token = await issue();
    expect((await changeState(token.id, 'revoke', 'compromised')).status).toBe(200);

    for (const change of ['enable', 'disable'] as const) {
      const attempt = await changeState(token.id, change);
      expect(attempt.status).toBe(409);
      expect(attempt.body.error.message).toContain('is revoked');
    }
    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'REVOKED' });
  });

  test('disabled token can be revoked', async () => {
    const token = await issue();
    expect((await changeState(token.id, 'disable')).status).toBe(200);
    const revoked = await changeState(token.id, 'revoke', 'no longer needed');
    expect(revoked.status).toBe(200);
    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'REVOKED' });
  });

  test('expires after expiresInSeconds', async () => {
    const issuedAt = clock.now();
    const token = await issue({ expiresInSeconds: 3600 });
    expect(token.token.expiresAt).toBe(new Date(issuedAt + 3600_000).toISOString());

    clock.advanceSeconds(3599);
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });

    clock.advanceSeconds(1);
    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'EXPIRED', tokenId: token.id });
    const fetched = await server.request('GET', `/v1/tokens/${token.id}`);
    expect(fetched.body.state).toBe('expired');

    // An expired token can still be revoked, so the record shows it was withdrawn.
    const revoked = await changeState(token.id, 'revoke', 'cleanup');
    expect(revoked.status).toBe(200);
  });

  test('default lifetime is policy max', async () => {
    const issuedAt = clock.now();
    const token = await issue();
    expect(token.token.expiresAt).toBe(new Date(issuedAt + 90 * day * 1000).toISOString());

    clock.advanceSeconds(90 * day - 1);
    expect(await verify(token.secret)).toMatchObject({ valid: true, code: 'VALID' });
    clock.advanceSeconds(1);
    expect(await verify(token.secret)).toMatchObject({ valid: false, code: 'EXPIRED' });
  });

  test('lifetime beyond policy max rejected', async () => {
    const rejected = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'reports', name: 'too long', scopes: ['reports:read'], expiresInSeconds: 90 * day + 1 },
    });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.code).toBe('POLICY_VIOLATION');
    expect(rejected.body.error.message).toContain('expiresInSeconds');
  });

  test('neverExpires rejected by default policy', async () => {
    const rejected = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'reports', name: 'forever', scopes: ['reports:read'], neverExpires: true },
    });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.code).toBe('POLICY_VIOLATION');
    expect(rejected.body.error.message).toContain('neverExpires');
    expect(rejected.body.error.message).toContain('allowNoExpiry');
  });

  test('neverExpires accepted with allowNoExpiry', async () => {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'robots', name: 'build agent', neverExpires: true } });
    expect(issued.status).toBe(201);
    const secret = rememberSecret(issued.body.secret as string);
    expect(issued.body.token.expiresAt).toBeNull();

    clock.advanceSeconds(3650 * day);
    const verified = await verify(secret);
    expect(verified).toMatchObject({ valid: true, code: 'VALID', expiresAt: null });
  });

  test('insufficient scope lists missing scopes', async () => {
    const token = await issue({ scopes: ['reports:read'] });
    const verified = await verify(token.secret, ['reports:read', 'reports:write', 'invoices:read']);
    expect(verified.valid).toBe(false);
    expect(verified.code).toBe('INSUFFICIENT_SCOPE');
    expect(verified.missingScopes).toEqual(['reports:write', 'invoices:read']);

    const enough = await verify(token.secret, ['reports:read']);
    expect(enough).toMatchObject({ valid: true, code: 'VALID' });
    expect(enough).not.toHaveProperty('missingScopes');
  });

  test('wildcard scope covers every action', async () => {
    const token = await issue({ scopes: ['invoices:*'] });
    expect(await verify(token.secret, ['invoices:read', 'invoices:write', 'invoices:refund'])).toMatchObject({ valid: true, code: 'VALID' });

    const otherResource = await verify(token.secret, ['invoices:read', 'reports:read']);
    expect(otherResource.code).toBe('INSUFFICIENT_SCOPE');
    expect(otherResource.missingScopes).toEqual(['reports:read']);
  });

  test('verify response carries token facts', async () => {
    const issuedAt = clock.now();
    const token = await issue({
      owner: 'analytics',
      scopes: ['reports:read', 'reports:write'],
      metadata: { team: 'bi', environment: 'staging' },
      expiresInSeconds: 7200,
    });

    const verified = await verify(token.secret, ['reports:read']);
    expect(verified).toEqual({
      valid: true,
      code: 'VALID',
      tokenId: token.id,
      keyspace: 'reports',
      owner: 'analytics',
      scopes: ['reports:read', 'reports:write'],
      expiresAt: new Date(issuedAt + 7200_000).toISOString(),
      metadata: { team: 'bi', environment: 'staging' },
    });
  });
});

describeEachDatabase('token states in process', (target) => {
  test('last use written only on flush', async () => {
    const clock = new FakeClock();
    const installation = await openInstallation(target, { clock, name: `last-use-${target.name}` });
    try {
      const context = installation.tessera.context;
      await createKeyspace(context, installation.operator, { name: 'mobile', prefix: 'mob' });
      const issued = await issueToken(context, installation.operator, { keyspace: 'mobile', name: 'app', scopes: [] });
      rememberSecret(issued.secret);

      const verifiedAt = clock.now();
      const verified = await verifyToken(context, { token: issued.secret, ip: '127.0.0.1' }, everyKeyspace);
      expect(verified.code).toBe('VALID');

      const beforeFlush = await getToken(context, installation.operator, issued.token.id);
      expect(beforeFlush.lastUsedAt).toBeNull();
      expect(beforeFlush.lastUsedIp).toBeNull();
      expect(context.usage.queueDepth).toBe(1);

      // The recorded time is the verification's, not the flush's.
      clock.advanceSeconds(30);
      await context.usage.flush();
      const afterFlush = await getToken(context, installation.operator, issued.token.id);
      expect(afterFlush.lastUsedAt).toBe(new Date(verifiedAt).toISOString());
      expect(afterFlush.lastUsedIp).toBe('127.0.0.1');
      expect(context.usage.queueDepth).toBe(0);
    } finally {
      await installation.close();
    }
  });

  test('failed verification records no use', async () => {
    const clock = new FakeClock();
    const installation = await openInstallation(target, { clock, name: `no-use-${target.name}` });
    try {
      const context = installation.tessera.context;
      await createKeyspace(context, installation.operator, { name: 'mobile', prefix: 'mob' });
      const issued = await issueToken(context, installation.operator, { keyspace: 'mobile', name: 'app', scopes: [] });
      rememberSecret(issued.secret);
      await changeTokenState(context, installation.operator, issued.token.id, 'disable', null);

      expect((await verifyToken(context, { token: issued.secret, ip: '127.0.0.1' }, everyKeyspace)).code).toBe('DISABLED');
      await context.usage.flush();
      const fetched = await getToken(context, installation.operator, issued.token.id);
      expect(fetched.lastUsedAt).toBeNull();
    } finally {
      await installation.close();
    }
  });

  // A lookup that reads the row between the cache delete and the commit must not bring the
  // active row back into the cache.
  test('revoke during concurrent verifications', async () => {
    const installation = await openInstallation(target, { clock: new FakeClock(), name: `revoke-load-${target.name}` });
    try {
      const context = installation.tessera.context;
      await createKeyspace(context, installation.operator, { name: 'kiosk', prefix: 'kio' });

      const acceptedAfterRevoke: number[] = [];
      for (let round = 0; round < 20; round += 1) {
        const issued = await issueToken(context, installation.operator, { keyspace: 'kiosk', name: `round ${round}`, scopes: [] });
        rememberSecret(issued.secret);
        expect((await verifyToken(context, { token: issued.secret }, everyKeyspace)).code).toBe('VALID');

        let revokeDone = false;
        const lookups = Array.from({ length: 8 }, async () => {
          for (let count = 0; !revokeDone && count < 10_000; count += 1) {
            await verifyToken(context, { token: issued.secret }, everyKeyspace);
            // Cache hits never wait on I/O, so yield to let the revocation's queries finish.
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
        await changeTokenState(context, installation.operator, issued.token.id, 'revoke', 'kiosk replaced');
        revokeDone = true;
        await Promise.all(lookups);

        const afterRevoke = await verifyToken(context, { token: issued.secret }, everyKeyspace);
        if (afterRevoke.code !== 'REVOKED') acceptedAfterRevoke.push(round);
      }
      expect(acceptedAfterRevoke).toEqual([]);
    } finally {
      await installation.close();
    }
  });
});
