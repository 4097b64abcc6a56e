import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Actor } from '../src/services/actor.js';
import { listAuditEntries } from '../src/services/audit-log.js';
import { setRevealLimit } from '../src/services/reveal-limiter.js';
import { revealEnvironment, revealSecret } from '../src/services/secret-reveal.js';
import { importSecrets } from '../src/services/secret-import.js';
import { createSecret, getSecret, listSecrets, removeSecret, updateSecret } from '../src/services/secrets.js';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, type TestInstallation } from './support/fixtures.js';

/** Generates a fake value of a Stripe-like shape at run time and remembers it for the log scan. */
function fakeValue(prefix = 'sk_test_'): string {
  return rememberSecret(`${prefix}${randomBytes(18).toString('hex')}`);
}

describeEachDatabase('secrets vault', (target) => {
  const clock = new FakeClock();
  let installation: TestInstallation;
  let operator: Actor;

  beforeAll(async () => {
    installation = await openInstallation(target, { clock, name: `vault-${target.name}` });
    operator = installation.operator;
  });
  afterAll(async () => installation?.close());

  const context = () => installation.tessera.context;

  test('create stores metadata and recognises provider', async () => {
    const value = fakeValue('sk_live_');
    const stored = await createSecret(context(), operator, { name: 'STRIPE_KEY', environment: 'production', value, owner: 'payments', description: 'charges' });

    expect(stored.secret).toMatchObject({ name: 'STRIPE_KEY', environment: 'production', provider: 'stripe', owner: 'payments', version: 1, expiresAt: null });
    expect(stored.duplicates).toEqual([]);
    expect(JSON.stringify(stored)).not.toContain(value);

    const revealed = await revealSecret(context(), operator, 'production', 'STRIPE_KEY');
    expect(revealed.value).toBe(value);
  });

  test('name is unique per environment', async () => {
    await createSecret(context(), operator, { name: 'SHARED_NAME', environment: 'staging', value: fakeValue() });
    await createSecret(context(), operator, { name: 'SHARED_NAME', environment: 'dev', value: fakeValue() });
    await expect(createSecret(context(), operator, { name: 'SHARED_NAME', environment: 'staging', value: fakeValue() })).rejects.toMatchObject({
      code: 'CONFLICT',
      field: 'name',
    });
  });

  test('invalid fields name the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'has-dash' }, 'name'],
      [{ environment: 'Prod' }, 'environment'],
      [{ value: '' }, 'value'],
      [{ expiresAt: 'next week' }, 'expiresAt'],
      [{ provider: 'Not Valid' }, 'provider'],
    ];
    for (const [override, field] of cases) {
      const input = { name: 'VALID_NAME', environment: 'staging', value: fakeValue(), ...override } as never;
      await expect(createSecret(context(), operator, input)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
  });

  test('update with value adds a version', async () => {
    const first = fakeValue();
    const second = fakeValue();
    await createSecret(context(), operator, { name: 'ROTATING', environment: 'production', value: first });
    clock.advanceSeconds(60);
    const updated = await updateSecret(context(), operator, 'production', 'ROTATING', { value: second, expiresAt: '2027-06-30' });

    expect(updated.secret.version).toBe(2);
    expect(updated.secret.expiresAt).toBe('2027-06-30T00:00:00.000Z');
    expect((await revealSecret(context(), operator, 'production', 'ROTATING')).value).toBe(second);
    expect((await revealSecret(context(), operator, 'production', 'ROTATING', { version: 1 })).value).toBe(first);

    const details = await getSecret(context(), operator, 'production', 'ROTATING');
    expect(details.versions.map((version) => version.version)).toEqual([2, 1]);
    await expect(revealSecret(context(), operator, 'production', 'ROTATING', { version: 3 })).rejects.toMatchObject({ field: 'version' });
  });

  test('duplicate value is reported by fingerprint', async () => {
    const value = fakeValue();
    await createSecret(context(), operator, { name: 'ORIGINAL', environment: 'production', value });
    const copy = await createSecret(context(), operator, { name: 'COPY', environment: 'staging', value });
    expect(copy.duplicates).toEqual([{ name: 'ORIGINAL', environment: 'production' }]);

    const different = await createSecret(context(), operator, { name: 'DIFFERENT', environment: 'staging', value: fakeValue() });
    expect(different.duplicates).toEqual([]);
  });

  test('reveal is audited with who and which', async () => {
    const value = fakeValue();
    await createSecret(context(), operator, { name: 'AUDITED', environment: 'production', value });
    await revealSecret(context(), operator, 'production', 'AUDITED', { purpose: 'deploy' });

    const entries = await listAuditEntries(context(), operator, { limit: 20 });
    const reveal = entries.items.find((entry) => entry.action === 'secret.reveal' && entry.details['name'] === 'AUDITED');
    expect(reveal).toBeDefined();
    expect(reveal!.actor.id).toBe(operator.id);
    expect(reveal!.details).toMatchObject({ environment: 'production', revealedVersion: 1, purpose: 'deploy' });
    expect(reveal!.details['host']).toEqual(expect.any(String));
    expect(JSON.stringify(entries)).not.toContain(value);

    const secret = await getSecret(context(), operator, 'production', 'AUDITED');
    expect(secret.lastReadAt).toBe(new Date(clock.now()).toISOString());
  });

  test('reveal needs the reveal scope', async () => {
    const reader: Actor = { type: 'token', id: 'reader-token', hint: null, scopes: ['secrets:read'], keyspaces: null, ip: '127.0.0.1' };
    await createSecret(context(), operator, { name: 'GUARDED', environment: 'production', value: fakeValue() });
    await expect(revealSecret(context(), reader, 'production', 'GUARDED')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await getSecret(context(), reader, 'production', 'GUARDED')).name).toBe('GUARDED');
  });

  test('reveal is rate-limited per caller', async () => {
    setRevealLimit(context(), { maxReveals: 3, windowMs: 60_000 });
    const caller: Actor = { type: 'token', id: 'limited-caller', hint: null, scopes: ['secrets:reveal'], keyspaces: null, ip: '127.0.0.1' };
    const other: Actor = { ...caller, id: 'other-caller' };
    await createSecret(context(), operator, { name: 'LIMITED', environment: 'production', value: fakeValue() });

    for (let attempt = 0; attempt < 3; attempt++) await revealSecret(context(), caller, 'production', 'LIMITED');
    await expect(revealSecret(context(), caller, 'production', 'LIMITED')).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    await revealSecret(context(), other, 'production', 'LIMITED');

    clock.advanceSeconds(61);
    await revealSecret(context(), caller, 'production', 'LIMITED');
    setRevealLimit(context(), { maxReveals: 1000, windowMs: 60_000 });
  });

  test('environment reveal returns every secret', async () => {
    const values = { RUN_A: fakeValue(), RUN_B: fakeValue() };
    for (const [name, value] of Object.entries(values)) await createSecret(context(), operator, { name, environment: 'runtime', value });
    const revealed = await revealEnvironment(context(), operator, 'runtime');
    expect(Object.fromEntries(revealed.map((item) => [item.secret.name, item.value]))).toEqual(values);
    await expect(revealEnvironment(context(), operator, 'empty-env')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('import stores good entries and rejects bad', async () => {
    await createSecret(context(), operator, { name: 'EXISTING', environment: 'imported', value: fakeValue() });
    const shared = fakeValue();
    await createSecret(context(), operator, { name: 'ELSEWHERE', environment: 'production', value: shared });

    const result = await importSecrets(context(), operator, {
      environment: 'imported',
      owner: 'platform',
      entries: [
        { name: 'FIRST', value: fakeValue('ghp_'), line: 1 },
        { name: 'EXISTING', value: fakeValue(), line: 3 },
        { name: 'bad-name', value: fakeValue(), line: 4 },
        { name: 'SHARED', value: shared, line: 7 },
      ],
    });

    expect(result.imported.map((item) => [item.line, item.name])).toEqual([
      [1, 'FIRST'],
      [7, 'SHARED'],
    ]);
    expect(result.rejected.map((item) => item.line)).toEqual([3, 4]);
    expect(result.duplicates).toEqual([
      [
        { name: 'SHARED', environment: 'imported' },
        { name: 'ELSEWHERE', environment: 'production' },
      ],
    ]);
    const listed = await listSecrets(context(), operator, { environment: 'imported' });
    expect(listed.items.map((item) => [item.name, item.owner])).toEqual([
      ['EXISTING', null],
      ['FIRST', 'platform'],
      ['SHARED', 'platform'],
    ]);
  });

  test('import failing midway writes nothing', async () => {
    // The key ring fails on the third value, after two secrets were inserted in the import's transaction.
    const keyRing = context().keyRing;
    let reads = 0;
    const failingRing = {
      ...keyRing,
      get envelopeKeys() {
        if (++reads > 2) throw new Error('simulated failure while sealing');
        return keyRing.envelopeKeys;
      },
    };
    const entries = ['ONE', 'TWO', 'THREE'].map((name, index) => ({ name, value: fakeValue(), line: index + 1 }));

    await expect(importSecrets({ ...context(), keyRing: failingRing }, operator, { environment: 'atomic', owner: 'platform', entries })).rejects.toThrow(
      /simulated failure/,
    );
    expect((await listSecrets(context(), operator, { environment: 'atomic' })).items).toEqual([]);
  });

  test('remove deletes every version', async () => {
    await createSecret(context(), operator, { name: 'DOOMED', environment: 'production', value: fakeValue() });
    await updateSecret(context(), operator, 'production', 'DOOMED', { value: fakeValue() });
    const removed = await removeSecret(context(), operator, 'production', 'DOOMED');
    expect(removed.version).toBe(2);
    await expect(getSecret(context(), operator, 'production', 'DOOMED')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const rows = await context().db.selectFrom('secret_versions').select('secret_id').where('secret_id', '=', removed.id).execute();
    expect(rows).toEqual([]);
  });

  test('swapped ciphertexts in the database fail both', async () => {
    await createSecret(context(), operator, { name: 'SWAP_A', environment: 'tamper', value: fakeValue() });
    await createSecret(context(), operator, { name: 'SWAP_B', environment: 'tamper', value: fakeValue() });
    const db = context().db;
    const rows = await db
      .selectFrom('secret_versions')
      .innerJoin('secrets', 'secrets.id', 'secret_versions.secret_id')
      .select(['secret_versions.secret_id', 'secret_versions.ciphertext', 'secrets.name'])
      .where('secrets.environment', '=', 'tamper')
      .orderBy('secrets.name')
      .execute();
    const [a, b] = rows;
    await db.updateTable('secret_versions').set({ ciphertext: b!.ciphertext }).where('secret_id', '=', a!.secret_id).execute();
    await db.updateTable('secret_versions').set({ ciphertext: a!.ciphertext }).where('secret_id', '=', b!.secret_id).execute();

    for (const name of ['SWAP_A', 'SWAP_B']) {
      await expect(revealSecret(context(), operator, 'tamper', name)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
        message: expect.stringMatching(/ciphertext failed authentication/),
      });
    }
  });

  test('altered wrapped key or record id fails', async () => {
    await createSecret(context(), operator, { name: 'WRAPPED', environment: 'tamper', value: fakeValue() });
    await createSecret(context(), operator, { name: 'MOVED', environment: 'tamper', value: fakeValue() });
    const db = context().db;
    const wrapped = await db.selectFrom('secrets').select('id').where('name', '=', 'WRAPPED').executeTakeFirstOrThrow();
    const row = await db.selectFrom('secret_versions').selectAll().where('secret_id', '=', wrapped.id).executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.wrapped_key, 'base64');
    bytes[14]! ^= 0x80;
    await db
      .updateTable('secret_versions')
      .set({ wrapped_key: bytes.toString('base64') })
      .where('secret_id', '=', wrapped.id)
      .execute();
    await expect(revealSecret(context(), operator, 'tamper', 'WRAPPED')).rejects.toThrow(/wrapped data key failed authentication/);

    // The sealed value of WRAPPED's neighbour, moved under another record id, must not decrypt there.
    const moved = await db.selectFrom('secrets').select(['id', 'current_version']).where('name', '=', 'MOVED').executeTakeFirstOrThrow();
    const movedRow = await db.selectFrom('secret_versions').selectAll().where('secret_id', '=', moved.id).executeTakeFirstOrThrow();
    await db
      .insertInto('secret_versions')
      .values({ ...movedRow, secret_id: wrapped.id, version: 2 })
      .execute();
    await db.updateTable('secrets').set({ current_version: 2 }).where('id', '=', wrapped.id).execute();
    await expect(revealSecret(context(), operator, 'tamper', 'WRAPPED')).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
  });
});
