import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { defaultCheckPolicy, findingRules, type FindingRule } from '../src/core/check-policy.js';
import { localOperator } from '../src/services/actor.js';
import { runCheck } from '../src/services/check.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { createSecret } from '../src/services/secrets.js';
import { Tessera } from '../src/services/tessera.js';
import { issueToken } from '../src/services/tokens.js';
import { verifyToken } from '../src/services/verifier.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import type { TestDatabase } from './support/databases.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, testIf } from './support/fixtures.js';

const day = 86_400_000;
const daySeconds = 86_400;

/** The rules each fixture subject breaks; every other subject is clean under the default policy. */
const expectedSubjects: Record<FindingRule, string> = {
  expired: 'expired token',
  expiring: 'expiring token',
  'no-owner': 'ownerless token',
  'no-description': 'undescribed token',
  stale: 'STALE_SECRET',
  'unused-scopes': 'overscoped token',
  duplicate: 'DUPLICATE_A',
  'lifetime-exceeded': 'long-lived token',
};

describeEachDatabase('tessera check', (target) => {
  let database: TestDatabase;
  let tessera: Tessera;
  let overscopedId = '';
  let overscopedSecret = '';
  // Creation times are set with a fake clock; the CLI then checks at the real time.
  const now = Date.now();
  const clock = new FakeClock(now);

  function cli(args: string[]) {
    return runCli(['--data-dir', database.dataDir, ...(database.databaseUrl ? ['--database-url', database.databaseUrl] : []), ...args], {
      cwd: database.dataDir,
    });
  }

  function policyFile(name: string, content: string): string {
    const path = join(database.dataDir, name);
    writeFileSync(path, content);
    return path;
  }

  beforeAll(async () => {
    database = await target.create();
    // No initialise: its admin token would add findings of its own (no owner, no expiry).
    tessera = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, create: true, clock });
    const context = tessera.context;
    const operator = localOperator();
    const clean = { owner: 'platform', description: 'used by the nightly job' };
    const issue = async (input: Record<string, unknown>) =>
      rememberSecret(
        (await issueToken(context, operator, { keyspace: 'orders', scopes: [], expiresInSeconds: 60 * daySeconds, ...clean, ...input } as never)).secret,
      );

    await createKeyspace(context, operator, { name: 'orders', prefix: 'ord', scopes: ['orders:read', 'orders:write'] });
    await createKeyspace(context, operator, { name: 'archive', prefix: 'arc', policy: { maxLifetimeSeconds: 365 * daySeconds } });

    clock.advance(-40 * day);
    await issue({ name: 'expired token', expiresInSeconds: 30 * daySeconds });
    clock.advance(-60 * day);
    await createSecret(context, operator, {
      name: 'STALE_SECRET',
      environment: 'production',
      value: rememberSecret(`stale-${randomBytes(8).toString('hex')}`),
      ...clean,
    });
    clock.advance(100 * day);

    await issue({ name: 'expiring token', expiresInSeconds: 9 * daySeconds });
    await issue({ name: 'ownerless token', owner: undefined });
    await issue({ name: 'undescribed token', description: undefined });
    await issue({ name: 'long-lived token', keyspace: 'archive', expiresInSeconds: 200 * daySeconds });
    const overscoped = await issueToken(context, operator, {
      keyspace: 'orders',
      name: 'overscoped token',
      scopes: ['orders:read', 'orders:write'],
      expiresInSeconds: 60 * daySeconds,
      ...clean,
    });
    overscopedSecret = rememberSecret(overscoped.secret);
    overscopedId = overscoped.token.id;
    await issue({ name: 'clean token', scopes: ['orders:read'] });

    const shared = rememberSecret(`shared-${randomBytes(8).toString('hex')}`);
    await createSecret(context, operator, { name: 'DUPLICATE_A', environment: 'production', value: shared, ...clean });
    await createSecret(context, operator, { name: 'DUPLICATE_B', environment: 'staging', value: shared, ...clean });
    await createSecret(context, operator, {
      name: 'CLEAN_SECRET',
      environment: 'production',
      value: rememberSecret(`clean-${randomBytes(8).toString('hex')}`),
      expiresAt: new Date(now + 30 * day).toISOString(),
      ...clean,
    });
  });
  afterAll(async () => {
    await tessera?.close();
    await database?.drop();
  });

  test('each violation reported exactly once', async () => {
    // Usage is known here: every token used all its scopes except the overscoped one, which used only orders:read.
    const usage = async (tokenId: string) => (tokenId === overscopedId ? ['orders:read'] : ['orders:read', 'orders:write']);
    const report = await runCheck(tessera.context, localOperator(), defaultCheckPolicy, { scopeUsage: usage });

    for (const rule of findingRules) {
      const findings = report.findings.filter((finding) => finding.rule === rule);
      expect(
        findings.map((finding) => finding.subject.name),
        rule,
      ).toEqual([expectedSubjects[rule]]);
    }
    expect(report.findings).toHaveLength(findingRules.length);
    expect(report.summary).toMatchObject({ tokens: 7, secrets: 4, errors: 8, warnings: 0 });
    expect(report.passed).toBe(false);
  });

  test('unknown usage skips the unused-scopes rule', async () => {
    const report = await runCheck(tessera.context, localOperator(), defaultCheckPolicy);
    expect(report.summary.byRule['unused-scopes']).toBe(0);
    expect(report.findings).toHaveLength(findingRules.length - 1);
  });

  // The policy handling is the CLI's and the same on both stores, so these spawn-heavy cases run on SQLite only.
  testIf(target.name === 'sqlite')('exit code follows the policy file', async () => {
    const cases: [string, string, number][] = [
      ['default policy fails', '{}', 1],
      ['nothing fails', 'failOn: []', 0],
      ['only unused scopes fail', 'failOn: [unused-scopes]', 0],
      ['stale under a longer threshold', 'staleAfterDays: 120\nfailOn: [stale]', 0],
      ['stale under the default threshold', 'failOn: [stale]', 1],
      ['expiring under a shorter warning', 'expiringWithinDays: 5\nfailOn: [expiring]', 0],
      ['expiring under the default warning', 'failOn: [expiring]', 1],
      ['lifetime within a longer maximum', 'maxLifetimeDays: 365\nfailOn: [lifetime-exceeded]', 0],
      ['json policy', '{"failOn": ["duplicate"]}', 1],
    ];
    for (const [name, content, expected] of cases) {
      const result = await cli(['check', '--policy', policyFile('policy.yml', content)]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(expected);
    }
  });

  test('default policy file is read from the working directory', async () => {
    policyFile('tessera-policy.yml', 'failOn: []\n');
    const result = await cli(['check']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 error(s), 7 warning(s)');
  });

  testIf(target.name === 'sqlite')('invalid policy exits 2 with one line', async () => {
    for (const content of ['failOn: [sometimes]', 'staleAfterDays: -1', 'staleAfter: 3', 'failOn: [unclosed']) {
      const result = await cli(['check', '--policy', policyFile('bad.yml', content)]);
      expect(result.code, content).toBe(2);
      expect(result.stderr.trim().split('\n'), content).toHaveLength(1);
      expect(result.stderr).toContain('bad.yml');
    }
  });

  test('junit output is valid xml', async () => {
    const result = await cli(['check', '--junit', '--policy', policyFile('warn.yml', 'failOn: [expired, duplicate]')]);
    expect(result.code).toBe(1);
    expect(XMLValidator.validate(result.stdout)).toBe(true);

    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(result.stdout);
    const suites = parsed.testsuites.testsuite as any[];
    expect(suites.map((suite) => suite.name)).toEqual(findingRules.map((rule) => `tessera check: ${rule}`));
    expect(parsed.testsuites.failures).toBe('2');
    const expired = suites.find((suite) => suite.name === 'tessera check: expired');
    expect(expired.testcase.failure.type).toBe('expired');
    expect(expired.testcase.name).toBe('token orders/expired token');
    const stale = suites.find((suite) => suite.name === 'tessera check: stale');
    expect(stale.failures).toBe('0');
    expect(stale.testcase['system-out']).toMatch(/^warning: secret 'STALE_SECRET'/);
  });

  test('junit file and github annotations', async () => {
    const junitPath = join(database.dataDir, 'report.xml');
    const result = await cli(['check', '--github', '--junit', junitPath, '--policy', policyFile('gh.yml', 'failOn: [expired]')]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.filter((line) => line.startsWith('::error title=tessera check%3A expired::'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('::warning '))).toHaveLength(6);
    const { readFileSync } = await import('node:fs');
    expect(XMLValidator.validate(readFileSync(junitPath, 'utf8'))).toBe(true);
  });

  test('json output lists findings', async () => {
    const result = await cli(['--json', 'check', '--stale-after', '200', '--policy', policyFile('empty.yml', '{}')]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.policy.staleAfterDays).toBe(200);
    expect(report.summary.byRule.stale).toBe(0);
    expect(report.findings).toHaveLength(6);
  });

  // Last, because the usage it records would change what the tests above expect.
  test('recorded usage finds scopes never exercised', async () => {
    const context = tessera.context;
    const result = await verifyToken(context, { token: overscopedSecret, scopes: ['orders:read'], ip: '127.0.0.1' }, { keyspaces: null, adminKeyspace: true });
    expect(result.code).toBe('VALID');
    await context.usage.flush();

    const report = await runCheck(context, localOperator(), defaultCheckPolicy);
    const unused = report.findings.filter((finding) => finding.rule === 'unused-scopes');
    expect(unused.map((finding) => finding.subject.name)).toEqual(['overscoped token']);
    expect(unused[0]?.message).toBe("token 'overscoped token' in keyspace 'orders' was granted scopes it never used: orders:write; issue a token without them");
  });
});
