import { afterEach, beforeEach, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { findNeverUsedTokensCreatedBefore, findTokensExpiringBetweenWithoutNotice, findUsedTokensUnusedSince } from '../src/store/lifecycle-repository.js';
import { createKeyspace } from '../src/services/keyspaces.js';
import { runLifecyclePass } from '../src/services/token-lifecycle.js';
import { newTokenRow } from '../src/services/tokens.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, type TestInstallation } from './support/fixtures.js';

const day = 86_400_000;
// More than two pages of 250, so expiry warnings and stale detection read several pages.
const usedCount = 300;
const neverUsedCount = 300;

describeEachDatabase('lifecycle pass over several pages', (target) => {
  const clock = new FakeClock();
  let installation: TestInstallation;

  beforeEach(async () => {
    installation = await openInstallation(target, { clock, name: `lifecycle-pages-${target.name}` });
    const { context } = installation.tessera;
    await createKeyspace(context, installation.operator, { name: 'fleet', prefix: 'fleet' });
    const keyspace = await context.db.selectFrom('keyspaces').selectAll().where('name', '=', 'fleet').executeTakeFirstOrThrow();

    // All tokens share one expiry, last use and creation time, so pages end in the middle of equal values.
    const now = clock.now();
    const rows = [];
    for (let index = 0; index < usedCount + neverUsedCount; index += 1) {
      const used = index < usedCount;
      const row = newTokenRow(context, keyspace, generateToken(keyspace.prefix), now - 100 * day, {
        name: `fleet-${index}`,
        owner: 'fleet-team',
        description: null,
        scopes: '[]',
        expires_at: now + 10 * day,
        metadata: '{}',
        created_by: null,
        predecessor_id: null,
        admin_keyspaces: null,
        limits: null,
      });
      rows.push({ ...row, last_used_at: used ? now - 95 * day : null, last_used_ip: used ? '127.0.0.1' : null });
    }
    for (let start = 0; start < rows.length; start += 100)
      await context.db
        .insertInto('tokens')
        .values(rows.slice(start, start + 100))
        .execute();
  });

  afterEach(async () => {
    await installation?.close();
  });

  test('pass notices every token once', async () => {
    const { context } = installation.tessera;
    const now = clock.now();
    const page = { now, cutoff: now - 90 * day, after: null, limit: 1000 };
    expect(await findUsedTokensUnusedSince(context.db, page)).toHaveLength(usedCount);
    expect(await findNeverUsedTokensCreatedBefore(context.db, page)).toHaveLength(neverUsedCount);

    const first = await runLifecyclePass(context);
    expect(first.expiryWarnings).toBe(usedCount + neverUsedCount);
    expect(first.stale).toBe(usedCount + neverUsedCount);
    expect(first.expired).toBe(0);

    const notices = await context.db.selectFrom('token_notices').select(['token_id', 'notice']).execute();
    const expiring = notices.filter((notice) => notice.notice === `expiring:${14 * 86400}`);
    expect(new Set(expiring.map((notice) => notice.token_id)).size).toBe(usedCount + neverUsedCount);
    expect(notices.filter((notice) => notice.notice === `stale:${clock.now() - 95 * day}`)).toHaveLength(usedCount);
    expect(notices.filter((notice) => notice.notice === 'stale:never')).toHaveLength(neverUsedCount);

    // The recorded notices are left out in SQL, so the next pass reads none of these tokens again.
    expect(await findUsedTokensUnusedSince(context.db, page)).toHaveLength(0);
    expect(await findNeverUsedTokensCreatedBefore(context.db, page)).toHaveLength(0);
    const keyspaceIds = (await context.db.selectFrom('keyspaces').select('id').execute()).map((row) => row.id);
    const band = { keyspaceIds, from: now + 3 * day, until: now + 14 * day, notice: `expiring:${14 * 86400}`, after: null, limit: 1000 };
    expect(await findTokensExpiringBetweenWithoutNotice(context.db, band)).toHaveLength(0);

    clock.advance(60_000);
    const second = await runLifecyclePass(context);
    expect(second).toEqual({ expiryWarnings: 0, expired: 0, stale: 0, rotationDue: 0, policyViolations: 0 });
  });

  test('nearest threshold sent after downtime', async () => {
    const { context } = installation.tessera;

    // Two days left: the 14- and 3-day thresholds passed while no pass ran, so only the 3-day warning is sent.
    clock.advance(8 * day);
    const summary = await runLifecyclePass(context);
    expect(summary.expiryWarnings).toBe(usedCount + neverUsedCount);

    const notices = await context.db.selectFrom('token_notices').select(['notice']).where('notice', 'like', 'expiring:%').execute();
    expect(notices.filter((notice) => notice.notice === `expiring:${3 * 86400}`)).toHaveLength(usedCount + neverUsedCount);
    expect(notices.filter((notice) => notice.notice === `expiring:${14 * 86400}`)).toHaveLength(usedCount + neverUsedCount);
    expect(notices.filter((notice) => notice.notice === `expiring:${86400}`)).toHaveLength(0);

    clock.advance(60_000);
    expect((await runLifecyclePass(context)).expiryWarnings).toBe(0);
  });
});
