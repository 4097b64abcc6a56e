import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AnomalyPolicyInput } from '../src/core/anomaly-policy.js';
import { generateToken } from '../src/core/token-format.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { rotateToken } from '../src/services/rotation.js';
import { changeTokenState, getToken, issueToken } from '../src/services/tokens.js';
import { verifyToken } from '../src/services/verifier.js';
import { listAnomaliesOf } from '../src/store/anomaly-repository.js';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, type TestInstallation } from './support/fixtures.js';

const everyKeyspace = { keyspaces: null, adminKeyspace: true };
const minute = 60_000;

describeEachDatabase('anomaly detection', (target) => {
  const clock = new FakeClock(Date.parse('2026-05-04T08:00:00Z'));
  let installation: TestInstallation;
  let keyspaceCount = 0;

  beforeAll(async () => {
    installation = await openInstallation(target, { clock, name: `anomalies-${target.name}` });
  });
  afterAll(async () => installation?.close());

  /** Creates a keyspace with the given anomaly policy and issues one token in it. */
  async function issueWithPolicy(anomaly: AnomalyPolicyInput): Promise<{ id: string; secret: string }> {
    const context = installation.tessera.context;
    keyspaceCount += 1;
    const name = `watched${keyspaceCount}`;
    await createKeyspace(context, installation.operator, { name, prefix: `w${keyspaceCount}`, scopes: ['mail:send', 'mail:read'], policy: { anomaly } });
    const issued = await issueToken(context, installation.operator, { keyspace: name, name: 'watched', scopes: ['mail:send', 'mail:read'] });
    return { id: issued.token.id, secret: rememberSecret(issued.secret) };
  }

  async function verify(secret: string, ip: string, scopes: string[] = []): Promise<string> {
    return (await verifyToken(installation.tessera.context, { token: secret, ip, scopes }, everyKeyspace)).code;
  }

  async function findingsOf(subject: string): Promise<{ kind: string; evidence: any; response: string; detectedAt: number }[]> {
    const rows = await listAnomaliesOf(installation.tessera.context.db, subject);
    return rows.map((row) => ({ kind: row.kind, evidence: JSON.parse(row.evidence), response: row.response, detectedAt: Number(row.detected_at) }));
  }

  test('replay from a new network is suspended', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({ response: 'suspend', learningPeriodSeconds: 1800 });

    // A steady baseline: 10 calls a minute from one /24 for 40 minutes, flushed every minute.
    for (let elapsed = 0; elapsed < 40; elapsed += 1) {
      for (let call = 0; call < 10; call += 1) expect(await verify(secret, `203.0.113.${call + 1}`)).toBe('VALID');
      clock.advance(minute);
      await context.usage.flush();
    }
    expect(await findingsOf(id)).toEqual([]);

    // The same token from another /24 at 20 times the rate, within one minute.
    const replayStarted = clock.now();
    for (let call = 0; call < 200; call += 1) {
      await verify(secret, `198.51.100.${(call % 200) + 1}`);
      if (call % 10 === 0) clock.advance(100);
    }
    await context.usage.flush();

    const findings = await findingsOf(id);
    expect(findings.map((finding) => finding.kind).sort()).toEqual(['new_network', 'rate_spike']);
    for (const finding of findings) {
      expect(finding.detectedAt - replayStarted).toBeLessThan(minute);
      expect(finding.response).toBe('suspend');
    }
    const spike = findings.find((finding) => finding.kind === 'rate_spike')!;
    expect(spike.evidence.callsInMinute).toBe(200);
    expect(spike.evidence.baselinePerMinute).toBeCloseTo(10, 0);
    const network = findings.find((finding) => finding.kind === 'new_network')!;
    expect(network.evidence).toMatchObject({ network: '198.51.100.0/24', calls: 200, knownNetworks: ['203.0.113.0/24'] });

    expect(await verify(secret, '203.0.113.1')).toBe('DISABLED');
    expect((await getToken(context, installation.operator, id)).state).toBe('suspended');

    // An admin restores the token.
    await changeTokenState(context, installation.operator, id, 'enable', 'checked: a load test');
    expect(await verify(secret, '203.0.113.1')).toBe('VALID');
  });

  test('nothing is found while learning', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({ response: 'suspend', learningPeriodSeconds: 3600 });
    for (let call = 0; call < 5; call += 1) await verify(secret, '203.0.113.1', ['mail:read']);
    clock.advance(minute);
    for (let call = 0; call < 300; call += 1) await verify(secret, `198.51.100.${call % 250}`, ['mail:send']);
    await context.usage.flush();
    expect(await findingsOf(id)).toEqual([]);
    expect(await verify(secret, '203.0.113.1')).toBe('VALID');
  });

  test('revoked token knocking is deduplicated', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({});
    await changeTokenState(context, installation.operator, id, 'revoke', 'leaked in a paste');

    for (const ip of ['203.0.113.4', '203.0.113.9', '2001:db8:7::1']) expect(await verify(secret, ip)).toBe('REVOKED');
    await context.usage.flush();
    clock.advance(5 * minute);
    for (let call = 0; call < 4; call += 1) await verify(secret, '192.0.2.1');
    await context.usage.flush();

    const findings = await findingsOf(id);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.kind).toBe('retired_token_presented');
    expect(findings[0]!.evidence).toMatchObject({ revokedCalls: 3, rotatedOut: false, networks: { '203.0.113.0/24': 2, '2001:db8:7::/48': 1 } });
    expect(findings[0]!.response).toBe('alert');

    // The next period raises it again, with the networks of that period.
    clock.advance(60 * minute);
    await verify(secret, '192.0.2.1');
    await context.usage.flush();
    const later = await findingsOf(id);
    expect(later).toHaveLength(2);
    expect(later[1]!.evidence.networks).toEqual({ '192.0.2.0/24': 1 });
  });

  test('rotated-out token presented', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({});
    const rotated = await rotateToken(context, installation.operator, id, { gracePeriodSeconds: 0 });
    rememberSecret(rotated.secret);
    clock.advance(1000);
    expect(await verify(secret, '203.0.113.4')).toBe('EXPIRED');
    await context.usage.flush();
    const findings = await findingsOf(id);
    expect(findings.map((finding) => [finding.kind, finding.evidence.rotatedOut])).toEqual([['retired_token_presented', true]]);
  });

  test('failed verification burst from one address', async () => {
    const context = installation.tessera.context;
    for (let call = 0; call < 29; call += 1) await verify(generateToken('nope'), '192.0.2.200');
    await context.usage.flush();
    expect(await findingsOf('192.0.2.200')).toEqual([]);

    // One minute's failures, split over two flushes, still count together.
    for (let call = 0; call < 31; call += 1) {
      await verify(call % 2 ? generateToken('nope') : 'not a token', '192.0.2.201');
      if (call === 15) await context.usage.flush();
    }
    await context.usage.flush();
    const findings = await findingsOf('192.0.2.201');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).toMatchObject({ address: '192.0.2.201', network: '192.0.2.0/24', failures: 31, codes: { MALFORMED: 16, NOT_FOUND: 15 } });
  });

  test('new scope after learning, rotated on suspicion', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({ response: 'rotate', rotateOnSuspicion: true, learningPeriodSeconds: 600 });
    await verify(secret, '203.0.113.1', ['mail:read']);
    await context.usage.flush();
    clock.advance(11 * minute);
    await verify(secret, '203.0.113.1', ['mail:read']);
    await verify(secret, '203.0.113.1', ['mail:send']);
    await context.usage.flush();

    const findings = await findingsOf(id);
    expect(findings.map((finding) => [finding.kind, finding.evidence.scope, finding.response])).toEqual([['new_scope', 'mail:send', 'rotate']]);
    const token = await getToken(context, installation.operator, id);
    expect(token.successorId).not.toBeNull();
    expect(await verify(secret, '203.0.113.1')).toBe('EXPIRED');
  });

  test('rotate waits for strong evidence by default', async () => {
    const context = installation.tessera.context;
    const { id, secret } = await issueWithPolicy({ response: 'rotate', learningPeriodSeconds: 600 });
    await verify(secret, '203.0.113.1', ['mail:read']);
    await context.usage.flush();
    clock.advance(11 * minute);
    await verify(secret, '203.0.113.1', ['mail:send']);
    await context.usage.flush();

    expect((await findingsOf(id)).map((finding) => [finding.kind, finding.response])).toEqual([['new_scope', 'alert']]);
    expect((await getToken(context, installation.operator, id)).successorId).toBeNull();
    expect(await verify(secret, '203.0.113.1')).toBe('VALID');
  });

  test('findings are audited without secrets', async () => {
    const context = installation.tessera.context;
    const rows = await context.db.selectFrom('audit_log').selectAll().where('action', '=', 'token.anomaly').execute();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const kinds = new Set(rows.map((row) => (JSON.parse(row.details) as { kind: string }).kind));
    expect(kinds).toEqual(new Set(['rate_spike', 'new_network', 'retired_token_presented', 'failed_verification_burst', 'new_scope']));
    for (const row of rows) expect(row.details).not.toMatch(/w\d+_[0-9A-Za-z]{20,}/);

    const events = await context.db.selectFrom('events').selectAll().where('type', '=', 'token.anomaly').orderBy('seq').execute();
    expect(events).toHaveLength(rows.length);
    const burst = events.find((event) => event.subject_type === 'address')!;
    expect(burst.subject_id).toBe('192.0.2.201');
    expect(JSON.parse(burst.data)).toMatchObject({ kind: 'failed_verification_burst', evidence: { failures: 31 }, response: 'alert' });
    const spike = events.map((event) => JSON.parse(event.data)).find((data) => data.kind === 'rate_spike');
    expect(spike.evidence.callsInMinute).toBe(200);
  });
});
