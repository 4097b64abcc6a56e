import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

/** Returns the value of one sample line, e.g. `tessera_tokens{state="active"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeEachDatabase('Prometheus metrics', (target) => {
  let server: TestServer;
  const clock = new FakeClock();

  beforeAll(async () => {
    server = await startTestServer(target, { name: `metrics-${target.name}`, clock });
    await server.request('POST', '/v1/keyspaces', { body: { name: 'feeds', prefix: 'feed' } });
  });
  afterAll(async () => server?.stop());

  async function scrape(token?: string | null): Promise<{ status: number; text: string; type: string | null }> {
    const headers: Record<string, string> = {};
    const bearer = token === undefined ? server.adminToken : token;
    if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
    const response = await fetch(`${server.url}/metrics`, { headers });
    return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
  }

  test('metrics need metrics:read', async () => {
    expect((await scrape(null)).status).toBe(401);
    const reader = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name: 'reader', scopes: ['tokens:read'] } });
    expect((await scrape(rememberSecret(reader.body.secret))).status).toBe(403);
    const scraper = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name: 'prometheus', scopes: ['metrics:read'] } });
    const scraped = await scrape(rememberSecret(scraper.body.secret));
    expect(scraped.status).toBe(200);
    expect(scraped.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  test('verifications, tokens and anomalies are counted', async () => {
    const before = (await scrape()).text;
    const issue = async (body: Record<string, unknown>) => {
      const issued = await server.request('POST', '/v1/tokens', { body: { keyspace: 'feeds', name: 'reader', scopes: [], ...body } });
      return { id: issued.body.token.id as string, secret: rememberSecret(issued.body.secret) };
    };
    const active = await issue({ expiresInSeconds: 3 * 86400 });
    const revoked = await issue({});
    await server.request('POST', `/v1/tokens/${revoked.id}/revoke`, { body: { reason: 'test' } });

    for (let call = 0; call < 3; call += 1) await server.request('POST', '/v1/verify', { body: { token: active.secret } });
    await server.request('POST', '/v1/verify', { body: { token: revoked.secret, ip: '192.0.2.7' } });
    await server.request('POST', '/v1/verify', { body: { token: 'feed_short' } });
    await server.tessera.context.usage.flush();

    const after = (await scrape()).text;
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(delta('tessera_verifications_total{code="VALID"}')).toBe(3);
    expect(delta('tessera_verifications_total{code="REVOKED"}')).toBe(1);
    expect(delta('tessera_verifications_total{code="MALFORMED"}')).toBe(1);
    expect(delta('tessera_verify_duration_seconds_count')).toBe(5);
    expect(delta('tessera_anomalies_total{kind="retired_token_presented"}')).toBe(1);
    expect(delta('tessera_tokens{state="revoked"}')).toBe(1);
    expect(delta('tessera_tokens_expiring_7d')).toBe(1);
    // The one pending use is the scrape's own admin token, recorded when it authenticated.
    expect(sample(after, 'tessera_usage_queue_depth')).toBe(1);
    expect(sample(after, 'tessera_usage_flush_duration_seconds_count')).toBeGreaterThan(0);
    const hitRatio = sample(after, 'tessera_verification_cache_hit_ratio')!;
    expect(hitRatio).toBeGreaterThan(0);
    expect(hitRatio).toBeLessThan(1);
  });
});
