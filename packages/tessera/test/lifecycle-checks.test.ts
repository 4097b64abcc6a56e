import { afterEach, beforeEach, expect, test } from 'vitest';
import { raiseAlertsFromEvents } from '../src/services/alerts.js';
import { listEvents } from '../src/services/events.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { createPolicy } from '../src/services/policies.js';
import { rotateToken } from '../src/services/rotation.js';
import { runLifecyclePass } from '../src/services/token-lifecycle.js';
import { issueToken } from '../src/services/tokens.js';
import { listAlerts } from '../src/services/alerts.js';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, type TestInstallation } from './support/fixtures.js';

const day = 86_400_000;

describeEachDatabase('token lifecycle checks', (target) => {
  let installation: TestInstallation;
  let clock: FakeClock;

  beforeEach(async () => {
    // 08:00 UTC, before the rotation window of the tests below opens.
    clock = new FakeClock(Date.parse('2026-03-02T08:00:00Z'));
    installation = await openInstallation(target, { clock, name: 'lifecycle-checks' });
    await createKeyspace(installation.tessera.context, installation.operator, { name: 'mail', prefix: 'mail' });
  });

  afterEach(async () => {
    await installation?.close();
  });

  async function issue(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const issued = await issueToken(installation.tessera.context, installation.operator, {
      keyspace: 'mail',
      name,
      scopes: [],
      expiresInSeconds: 80 * 86400,
      ...extra,
    });
    rememberSecret(issued.secret);
    return issued.token.id;
  }

  async function eventsOf(type: string): Promise<any[]> {
    return (await listEvents(installation.tessera.context, installation.operator, { type, limit: 500 })).items;
  }

  test('unused token is reported stale once', async () => {
    const context = installation.tessera.context;
    await createPolicy(context, installation.operator, { name: 'mail-rules', keyspaces: ['mail'], rules: { staleAfterSeconds: '10d' } });
    const id = await issue('newsletter');

    clock.advance(9 * day);
    expect((await runLifecyclePass(context)).stale).toBe(0);
    clock.advance(2 * day);
    expect((await runLifecyclePass(context)).stale).toBe(1);
    expect((await runLifecyclePass(context)).stale).toBe(0);

    const [stale] = await eventsOf('token.stale');
    expect(stale.subject.id).toBe(id);
    expect(stale.data.unusedDays).toBe(11);
    expect(stale.data.lastUsedAt).toBeNull();
  });

  test('rotation due waits for offset and window', async () => {
    const context = installation.tessera.context;
    await createPolicy(context, installation.operator, {
      name: 'mail-rules',
      keyspaces: ['mail'],
      rules: { rotateAfterSeconds: '30d', rotationOffsetSeconds: '2h', rotationWindow: { startHour: 9, endHour: 17 } },
    });
    const id = await issue('smtp-relay');

    clock.advance(29 * day);
    expect((await runLifecyclePass(context)).rotationDue).toBe(0);
    // 30 days and 2 hours later it is 10:00 UTC: past any offset of at most 2 hours, inside the window.
    clock.advance(day + 2 * 3_600_000);
    expect((await runLifecyclePass(context)).rotationDue).toBe(1);
    const [due] = await eventsOf('token.rotation_due');
    expect(due.subject.id).toBe(id);
    const dueAt = Date.parse(due.data.dueAt);
    expect(dueAt).toBeGreaterThanOrEqual(Date.parse('2026-04-01T08:00:00Z'));
    expect(dueAt).toBeLessThan(Date.parse('2026-04-01T10:00:00Z'));

    clock.advance(day);
    expect((await runLifecyclePass(context)).rotationDue).toBe(0);
  });

  test('rotation due outside window waits', async () => {
    const context = installation.tessera.context;
    await createPolicy(context, installation.operator, {
      name: 'mail-rules',
      keyspaces: ['mail'],
      rules: { rotateAfterSeconds: '1d', rotationWindow: { startHour: 22, endHour: 2 } },
    });
    await issue('imap-sync');
    clock.advance(2 * day);
    expect((await runLifecyclePass(context)).rotationDue).toBe(0);
    // 23:00 UTC is inside a window that wraps past midnight.
    clock.advance(15 * 3_600_000);
    expect((await runLifecyclePass(context)).rotationDue).toBe(1);
  });

  test('tokens missing required fields are violations', async () => {
    const context = installation.tessera.context;
    const withoutOwner = await issue('bounce-handler');
    await issue('owned', { owner: 'mail-team' });
    await createPolicy(context, installation.operator, {
      name: 'mail-rules',
      keyspaces: ['mail'],
      rules: { requiredFields: ['owner'], maxLifetimeSeconds: '30d' },
    });

    const summary = await runLifecyclePass(context);
    // Both tokens outlive the new 30-day maximum; one also lacks an owner.
    expect(summary.policyViolations).toBe(3);
    expect((await runLifecyclePass(context)).policyViolations).toBe(0);
    const violations = await eventsOf('policy.violation');
    expect(violations.filter((event) => event.subject.id === withoutOwner).map((event) => event.data.rule)).toEqual(['required_owner', 'max_lifetime']);
  });

  test('predecessor ending its grace raises no alert', async () => {
    const context = installation.tessera.context;
    const id = await issue('digest');
    await rotateToken(context, installation.operator, id, { gracePeriodSeconds: 3600 });
    clock.advance(2 * 3_600_000);
    expect((await runLifecyclePass(context)).expired).toBe(1);

    const [expired] = await eventsOf('token.expired');
    expect(expired.data.reason).toBe('grace_period_ended');
    await raiseAlertsFromEvents(context);
    expect((await listAlerts(context, installation.operator, {})).items).toEqual([]);
  });

  test('rotation resolves open alerts about the token', async () => {
    const context = installation.tessera.context;
    const id = await issue('weekly-report', { expiresInSeconds: 2 * 86400 });
    await runLifecyclePass(context);
    await raiseAlertsFromEvents(context);
    const [alert] = (await listAlerts(context, installation.operator, {})).items;
    expect(alert!.type).toBe('token.expiring');
    expect(alert!.subject.id).toBe(id);

    await rotateToken(context, installation.operator, id, {});
    await raiseAlertsFromEvents(context);
    expect((await listAlerts(context, installation.operator, {})).items).toEqual([]);
    expect((await listAlerts(context, installation.operator, { status: 'resolved' })).items.map((item) => item.id)).toEqual([alert!.id]);
  });
});
