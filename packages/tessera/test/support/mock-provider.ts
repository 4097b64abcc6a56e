import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { rememberSecret } from './artifacts.js';
import type { DatabaseTarget } from './databases.js';
import { FakeClock } from './fake-clock.js';
import { openInstallation, type TestInstallation } from './fixtures.js';

/**
 * A third-party API on 127.0.0.1 that accepts only its current key, as a provider with key
 * rotation does. `POST /rotate` (with the current key) issues a new key, and repeating it with the
 * same rotation id returns the same key. `POST /activate` (with the new key) revokes every other key.
 */
export interface MockProvider {
  url: string;
  initialKey: string;
  /** Whether a request with this key is accepted now. */
  accepts(key: string): boolean;
  /** Keys accepted now. */
  validKeys(): string[];
  close(): Promise<void>;
}

function newKey(): string {
  return rememberSecret(`mock_key_${randomBytes(16).toString('hex')}`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

export async function startMockProvider(): Promise<MockProvider> {
  const initialKey = newKey();
  const valid = new Set([initialKey]);
  const issued = new Map<string, string>();

  const server: Server = createServer(async (request, response) => {
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const body = await readBody(request);
    const reply = (status: number, payload: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));

    if (request.url === '/rotate' && request.method === 'POST') {
      const { rotationId } = JSON.parse(body) as { rotationId: string };
      const earlier = issued.get(rotationId);
      if (earlier) return reply(200, { key: earlier });
      if (!valid.has(key)) return reply(401, { error: 'invalid key' });
      const next = newKey();
      issued.set(rotationId, next);
      valid.add(next);
      return reply(200, { key: next });
    }
    if (!valid.has(key)) return reply(401, { error: 'invalid key' });
    if (request.url === '/activate' && request.method === 'POST') {
      for (const other of [...valid]) if (other !== key) valid.delete(other);
      return reply(200, { ok: true });
    }
    return reply(200, { ok: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${address.port}`,
    initialKey,
    accepts: (key) => valid.has(key),
    validKeys: () => [...valid],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Both scripts read the JSON document on stdin. While the file `hold-<step>` exists in the
// control folder, a script writes `reached-<step>` and waits, so a test can act at that step.
const holdSnippet = `
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [providerUrl, controlDir, mode] = process.argv.slice(2);
async function holdAt(step) {
  if (!existsSync(join(controlDir, 'hold-' + step))) return;
  writeFileSync(join(controlDir, 'reached-' + step), '');
  while (existsSync(join(controlDir, 'hold-' + step))) await new Promise((resolve) => setTimeout(resolve, 50));
}
let input = '';
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
`;

const rotatorScript = `${holdSnippet}
if (mode === 'fail') process.exit(3);
if (mode === 'hang') await new Promise(() => setInterval(() => {}, 1000));
await holdAt('rotate');
const response = await fetch(providerUrl + '/rotate', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + request.value, 'content-type': 'application/json' },
  body: JSON.stringify({ rotationId: request.rotationId }),
});
if (!response.ok) process.exit(4);
const { key } = await response.json();
await holdAt('issued');
process.stdout.write(key + '\\n');
`;

const testScript = `${holdSnippet}
await holdAt('test');
const response = await fetch(providerUrl + '/activate', { method: 'POST', headers: { authorization: 'Bearer ' + request.value } });
await holdAt('activated');
process.exit(response.ok ? 0 : 1);
`;

/** Where a script can wait: before asking for a key, after the provider issued it, before and after activating it. */
export type HoldPoint = 'rotate' | 'issued' | 'test' | 'activated';

/** Rotator and test programs for the mock provider, with a control folder to hold them at a step. */
export interface RotatorScripts {
  controlDir: string;
  /** argv of the rotator; `mode` 'fail' exits 3 at once and 'hang' never exits. */
  rotator(mode?: 'ok' | 'fail' | 'hang'): string[];
  test(): string[];
  hold(step: HoldPoint): void;
  release(step: HoldPoint): void;
  reached(step: HoldPoint): boolean;
  remove(): void;
}

export function writeRotatorScripts(provider: MockProvider): RotatorScripts {
  const controlDir = mkdtempSync(join(tmpdir(), 'tessera-rotator-'));
  writeFileSync(join(controlDir, 'rotator.mjs'), rotatorScript);
  writeFileSync(join(controlDir, 'test.mjs'), testScript);
  return {
    controlDir,
    rotator: (mode = 'ok') => [process.execPath, join(controlDir, 'rotator.mjs'), provider.url, controlDir, mode],
    test: () => [process.execPath, join(controlDir, 'test.mjs'), provider.url, controlDir],
    hold: (step) => writeFileSync(join(controlDir, `hold-${step}`), ''),
    release: (step) => rmSync(join(controlDir, `hold-${step}`), { force: true }),
    reached: (step) => existsSync(join(controlDir, `reached-${step}`)),
    remove: () => rmSync(controlDir, { recursive: true, force: true }),
  };
}

/** An installation with a fake clock, a mock provider and rotator scripts, opened before and closed after the suite. */
export function useRotationFixture(target: DatabaseTarget, name: string) {
  const fixture = { clock: new FakeClock() } as { clock: FakeClock; installation: TestInstallation; provider: MockProvider; scripts: RotatorScripts };
  beforeAll(async () => {
    fixture.installation = await openInstallation(target, { clock: fixture.clock, name: `${name}-${target.name}` });
    fixture.provider = await startMockProvider();
    fixture.scripts = writeRotatorScripts(fixture.provider);
  });
  afterAll(async () => {
    await fixture.installation?.close();
    await fixture.provider?.close();
    fixture.scripts?.remove();
  });
  return fixture;
}
