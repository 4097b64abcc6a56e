import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { runCli, type CliResult } from './support/cli.js';

function parseJson(result: CliResult): any {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('tessera usage and limits', () => {
  let dataDir: string;
  let tokenId: string;
  let secret: string;
  const cli = (args: string[]) => runCli(['--data-dir', dataDir, ...args]);

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-cli-usage-')), 'data');
    rememberSecret(parseJson(await cli(['init', '--json'])).adminToken);
    parseJson(await cli(['keyspace', 'create', 'feeds', '--prefix', 'feed', '--scope', 'feeds:read', '--json']));
    const issued = parseJson(await cli(['token', 'create', '--keyspace', 'feeds', '--name', 'reader', '--scope', 'feeds:read', '--json']));
    tokenId = issued.token.id;
    secret = rememberSecret(issued.secret);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('usage shows verifications', async () => {
    for (let call = 0; call < 2; call += 1) parseJson(await cli(['token', 'verify', secret, '--scope', 'feeds:read', '--json']));

    const usage = parseJson(await cli(['usage', tokenId, '--step', 'day', '--json']));
    expect(usage.buckets.at(-1)).toMatchObject({ total: 2, codes: { VALID: 2 }, scopes: { 'feeds:read': 2 } });

    const table = await cli(['usage', tokenId, '--step', 'minute']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/2 verifications from .* by minute/);
    expect(table.stdout).toMatch(/\|\s*█\|/);
    expect(table.stdout).toMatch(/VALID\s+│ 2/);
  });

  test('limits set and clear', async () => {
    const set = parseJson(await cli(['limits', tokenId, '--rate-limit', '2/1m', '--quota', '100/30d', '--allow', '127.0.0.0/8,::1', '--json']));
    expect(set.limits).toEqual({
      rateLimits: [{ limit: 2, windowSeconds: 60 }],
      quota: { uses: 100, refillSeconds: 2_592_000 },
      allowedNetworks: ['127.0.0.0/8', '::1'],
    });

    const cleared = parseJson(await cli(['limits', tokenId, '--clear', '--json']));
    expect(cleared.limits).toBeNull();
  });

  test('bad limits exit 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--rate-limit', '100'], /'100' is not a rate limit; use calls\/window/],
      [[], /give --rate-limit, --quota or --allow, or --clear alone/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(['limits', tokenId, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const unknown = await cli(['usage', 'no-such-token']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual(["tessera: token 'no-such-token' does not exist; list tokens to find its id"]);
  });
});
