import { afterAll, beforeAll, expect, test } from 'vitest';
import { tokenHint } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { randomBase62 } from './support/provider-tokens.js';
import { databaseTargets } from './support/databases.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

let server: TestServer;
let secret: string;
let tokenId: string;

beforeAll(async () => {
  server = await startTestServer(sqlite, { name: 'leak-guards' });
  await server.request('POST', '/v1/keyspaces', { body: { name: 'billing', prefix: 'bill' } });
  const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'billing', name: 'job' } });
  secret = rememberSecret(issued.body.secret as string);
  tokenId = issued.body.token.id as string;
});
afterAll(async () => server?.stop());

test('percent-encoded token stays out of responses and logs', async () => {
  const encoded = secret.replace('_', '%5F');
  const missing = await server.request('GET', `/v2/${encoded}`);
  expect(missing.status).toBe(404);
  expect(JSON.stringify(missing.body)).not.toContain(secret.slice(5));

  await server.request('GET', `/v1/tokens?owner=${encoded}`);
  const body = secret.slice(secret.indexOf('_') + 1);
  expect(server.logLines().filter((line) => line.includes(body))).toEqual([]);
  expect(server.logLines().some((line) => line.includes(tokenHint(secret)))).toBe(true);
});

test('third-party key in a search is masked in logs', async () => {
  const stripeKey = `sk_live_${randomBase62(24)}`;
  const listed = await server.request('GET', `/v1/secrets?q=${stripeKey}&limit=5`);
  expect(listed.status).toBe(200);

  const requestLines = server.logLines().filter((line) => line.includes('/v1/secrets?q='));
  expect(requestLines).toHaveLength(1);
  expect(requestLines[0]).not.toContain(stripeKey.slice(8));
  expect(requestLines[0]).toContain('&limit=5');
});

test('token run into following text is masked', async () => {
  const revoked = await server.request('POST', `/v1/tokens/${tokenId}/revoke`, { body: { reason: `leaked:${secret}ABC` } });
  expect(revoked.status).toBe(200);
  expect(revoked.body.stateReason).not.toContain(secret);
  expect(revoked.body.stateReason.startsWith('leaked:bill_…')).toBe(true);
});

test('local CLI errors mask a mistyped token', async () => {
  const result = await runCli(['--data-dir', server.database.dataDir, 'token', 'list', '--keyspace', secret]);
  expect(result.code).toBe(2);
  expect(result.stderr).not.toContain(secret);
  expect(result.stderr).toContain(tokenHint(secret));
});
