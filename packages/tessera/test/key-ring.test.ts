import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parseMasterKeys } from '../src/core/key-ring.js';
import { hashToken } from '../src/core/token-hash.js';
import { loadKeyRing } from '../src/services/key-file.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('master keys', () => {
  test('key file is created with mode 0600', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-keys-')), 'data');
    directories.push(dataDir);
    const { created, keyRing } = await loadKeyRing({ dataDir, create: true });
    expect(created).toBe(true);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(keyRing.current.version).toBe(1);

    const again = await loadKeyRing({ dataDir, create: true });
    expect(again.created).toBe(false);
    expect(again.keyRing.current.key.equals(keyRing.current.key)).toBe(true);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).not.toContain(keyRing.current.key.toString('base64'));
  });

  test('missing key file without create names the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    directories.push(dataDir);
    await expect(loadKeyRing({ dataDir, create: false })).rejects.toThrow(/tessera init/);
  });

  test('environment key takes one or several versions', () => {
    const first = randomBytes(32).toString('base64');
    const second = randomBytes(32).toString('base64');
    expect(parseMasterKeys(first, 'TESSERA_MASTER_KEY').current.version).toBe(1);

    const ring = parseMasterKeys(`1:${first},2:${second}`, 'TESSERA_MASTER_KEY');
    expect(ring.current.version).toBe(2);
    expect(ring.hashingKeys.map((key) => key.version)).toEqual([2, 1]);
  });

  test('short key is rejected without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseMasterKeys(short, 'TESSERA_MASTER_KEY')).toThrow(/32 bytes/);
    try {
      parseMasterKeys(short, 'TESSERA_MASTER_KEY');
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  test('hashing keys differ per version and from the master key', () => {
    const master = randomBytes(32).toString('base64');
    const ring = parseMasterKeys(`1:${master},2:${master}`, 'test');
    const [v2, v1] = ring.hashingKeys;
    expect(v1!.key.equals(v2!.key)).toBe(false);
    expect(v1!.key.equals(Buffer.from(master, 'base64'))).toBe(false);
    expect(hashToken(v1!, 'token')).not.toBe(hashToken(v2!, 'token'));
  });
});
