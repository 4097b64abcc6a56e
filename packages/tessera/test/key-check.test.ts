import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Tessera } from '../src/services/tessera.js';
import { describeEachDatabase } from './support/fixtures.js';
import type { TestDatabase } from './support/databases.js';

describeEachDatabase('master key check', (target) => {
  let database: TestDatabase;
  const masterKey = randomBytes(32).toString('base64');

  beforeEach(async () => {
    database = await target.create();
    const first = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey, create: true });
    await first.close();
  });
  afterEach(async () => database?.drop());

  test('same key opens the database', async () => {
    const again = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey });
    expect(again.context.keyRing.current.version).toBe(1);
    await again.close();
  });

  test('other key is rejected with the fix', async () => {
    const otherKey = randomBytes(32).toString('base64');
    const opening = Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey: otherKey });
    await expect(opening).rejects.toMatchObject({ code: 'CONFIGURATION_INVALID' });
    await expect(opening).rejects.toThrow(/same TESSERA_MASTER_KEY/);
  });

  test('new key version is recorded beside the old', async () => {
    const secondVersion = randomBytes(32).toString('base64');
    const rotated = await Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey: `1:${masterKey},2:${secondVersion}` });
    await rotated.close();

    const wrongSecond = randomBytes(32).toString('base64');
    await expect(Tessera.open({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, masterKey: `1:${masterKey},2:${wrongSecond}` })).rejects.toThrow(
      /version 2/,
    );
  });
});
