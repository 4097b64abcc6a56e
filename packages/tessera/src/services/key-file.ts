import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyFileContent, masterKeyBytes, parseMasterKeys, type KeyFileContent, type KeyRing } from '../core/key-ring.js';
import { TesseraError } from '../core/errors.js';

export const keyFileName = 'master.key';

export interface KeyRingSource {
  /** `TESSERA_MASTER_KEY`, which takes precedence over the key file. */
  masterKey?: string | undefined;
  dataDir: string;
  /** Create the data directory and key file when neither exists (init and the first serve). */
  create: boolean;
}

/** Loads the master keys from the environment or the data directory's key file, creating it (mode 0600) if asked. */
export async function loadKeyRing(source: KeyRingSource): Promise<{ keyRing: KeyRing; created: boolean }> {
  if (source.masterKey) return { keyRing: parseMasterKeys(source.masterKey, 'TESSERA_MASTER_KEY'), created: false };

  const path = join(source.dataDir, keyFileName);
  try {
    const content = await readFile(path, 'utf8');
    await warnIfReadableByOthers(path);
    return { keyRing: parseMasterKeys(content, path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  if (!source.create) {
    throw new TesseraError('NOT_INITIALISED', `no key file at ${path}; run \`tessera init --data-dir ${source.dataDir}\` first or set TESSERA_MASTER_KEY`);
  }

  await mkdir(source.dataDir, { recursive: true, mode: 0o700 });
  const content = `${JSON.stringify(generateKeyFileContent())}\n`;
  // 'wx' fails if another process created the file first, so two starts never write different keys.
  await writeFile(path, content, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { keyRing: parseMasterKeys(content, path), created: true };
}

async function warnIfReadableByOthers(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    process.emitWarning(`${path} is readable by other users; restrict it with: chmod 600 ${path}`);
  }
}

/**
 * Adds a new random master key version to the data directory's key file and returns its number.
 * The new content is written to a temporary file and renamed over the old one, so a crash leaves
 * either the old file or the new one, never a torn one.
 */
export async function addMasterKeyVersion(dataDir: string): Promise<number> {
  const path = join(dataDir, keyFileName);
  const content = JSON.parse(await readFile(path, 'utf8')) as KeyFileContent;
  const versions = Object.keys(content.keys).map(Number);
  const version = Math.max(0, ...versions) + 1;
  content.keys[String(version)] = randomBytes(masterKeyBytes).toString('base64');

  const temporaryPath = `${path}.${process.pid}.tmp`;
  await writeFile(temporaryPath, `${JSON.stringify(content)}\n`, { mode: 0o600, flag: 'w' });
  await chmod(temporaryPath, 0o600);
  await rename(temporaryPath, path);
  return version;
}
