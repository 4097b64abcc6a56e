import { afterAll, beforeAll, expect, test } from 'vitest';
import { tokenHint } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

describeEachDatabase('tokens pasted into free text', (target) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(target, { name: `free-text-${target.name}` });
    await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } });
  });
  afterAll(async () => server?.stop());

  async function issue(body: Record<string, unknown> = {}) {
    const response = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'job', ...body } });
    expect(response.status).toBe(201);
    return { id: response.body.token.id as string, secret: rememberSecret(response.body.secret as string), token: response.body.token };
  }

  test('revocation reason keeps only the hint', async () => {
    const leaked = await issue();
    const revoked = await server.request('POST', `/v1/tokens/${leaked.id}/revoke`, { body: { reason: `found ${leaked.secret} in a CI log` } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.stateReason).toBe(`found ${tokenHint(leaked.secret)} in a CI log`);

    const audit = await server.request('GET', `/v1/audit?action=token.revoke&targetId=${leaked.id}`);
    expect(audit.body.items[0].details.reason).toBe(`found ${tokenHint(leaked.secret)} in a CI log`);
  });

  test('description, owner and metadata are masked', async () => {
    const other = await issue();
    const described = await issue({ description: `replaces ${other.secret}`, owner: other.secret, metadata: { previous: other.secret } });
    expect(described.token.description).toBe(`replaces ${tokenHint(other.secret)}`);
    expect(described.token.owner).toBe(tokenHint(other.secret));
    expect(described.token.metadata).toEqual({ previous: tokenHint(other.secret) });

    const updated = await server.request('PATCH', `/v1/tokens/${described.id}`, { body: { description: `see ${other.secret}` } });
    expect(updated.body.description).toBe(`see ${tokenHint(other.secret)}`);
    expect(JSON.stringify(await server.request('GET', `/v1/tokens/${described.id}`))).not.toContain(other.secret);
  });
});
