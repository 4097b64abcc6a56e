import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localOperator } from '../src/services/actor.js';
import { keyFileName } from '../src/services/key-file.js';
import { revealSecret } from '../src/services/secret-reveal.js';
import { createSecret } from '../src/services/secrets.js';
import { Tessera } from '../src/services/tessera.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli } from './support/cli.js';
import { databaseTargets, type TestDatabase } from './support/databases.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

// The CLI's handling of TESSERA_MASTER_KEY is the same on both stores; the rewrap itself is tested on both elsewhere.
describe('keys rotate with TESSERA_MASTER_KEY', () => {
  let database: TestDatabase;
  const first = randomBytes(32).toString('base64');
  const second = randomBytes(32).toString('base64');
  const value = rememberSecret(`env-key-${randomBytes(12).toString('hex')}`);

  beforeAll(async () => {
    database = await sqlite.create();
    const tessera = await Tessera.open({ dataDir: database.dataDir, masterKey: first, create: true });
    await createSecret(tessera.context, localOperator(), { name: 'WRAPPED', environment: 'production', value });
    await tessera.close();
  });
  afterAll(async () => database?.drop());

  test('without a new version explains the steps', async () => {
    const result = await runCli(['--data-dir', database.dataDir, 'keys', 'rotate'], { env: { TESSERA_MASTER_KEY: first } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Rewrapped 0 data key(s) under master key version 1');
    expect(result.stdout).toContain('append a new version');
    expect(existsSync(join(database.dataDir, keyFileName))).toBe(false);
  });

  test('with a new version rewraps to it', async () => {
    const masterKey = `1:${first},2:${second}`;
    const result = await runCli(['--json', '--data-dir', database.dataDir, 'keys', 'rotate'], { env: { TESSERA_MASTER_KEY: masterKey } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ keyVersion: 2, addedVersion: null, rewrapped: 1 });

    // Only version 2 is needed now to read the value.
    const tessera = await Tessera.open({ dataDir: database.dataDir, masterKey: `2:${second}` });
    try {
      expect((await revealSecret(tessera.context, localOperator(), 'production', 'WRAPPED')).value).toBe(value);
    } finally {
      await tessera.close();
    }
  });

  test('remote mode is rejected', async () => {
    const result = await runCli(['--url', 'http://127.0.0.1:9', 'keys', 'rotate'], { env: { TESSERA_TOKEN: 'unused' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keys rotate works on the data directory/);
  });
});
