import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, test } from 'vitest';
import { generateToken } from '../src/core/token-format.js';
import { rememberSecret } from './support/artifacts.js';
import { runCli, type CliResult } from './support/cli.js';
import { fakeChecksummedToken } from './support/provider-tokens.js';

// The scanner as a user runs it: the built binary on real directories, git repositories, files
// in other encodings and standard input. Each test builds its own fixture in a temporary folder.

const folders: string[] = [];

function newFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-scan-'));
  folders.push(folder);
  return folder;
}

function write(folder: string, path: string, content: string | Buffer): void {
  mkdirSync(join(folder, path, '..'), { recursive: true });
  writeFileSync(join(folder, path), content);
}

const gitEnvironment = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

function git(folder: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd: folder,
    env: { ...process.env, ...gitEnvironment },
    encoding: 'utf8',
  }).trim();
}

function newRepository(): string {
  const folder = newFolder();
  git(folder, 'init', '-q');
  return folder;
}

function scan(folder: string, args: string[], stdin?: string): Promise<CliResult> {
  return runCli(['scan', ...args], { cwd: folder, stdin, env: gitEnvironment });
}

function parseFindings(result: CliResult): any[] {
  return JSON.parse(result.stdout).findings;
}

/** Every secret the test planted must stay out of what the CLI printed. */
function expectNoSecretIn(result: CliResult, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('tessera scan on files', () => {
  test('clean directory exits 0', async () => {
    const folder = newFolder();
    write(folder, 'src/app.js', 'export const answer = 42;\n');
    const result = await scan(folder, []);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no secrets found');
  });

  test('finding exits 1 with file, line, column and masked snippet', async () => {
    const folder = newFolder();
    const secret = fakeChecksummedToken();
    write(folder, 'config/settings.py', `# settings\nGITHUB_TOKEN = "${secret}"\n`);
    const result = await scan(folder, []);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('config/settings.py:2:17  github-pat');
    expect(result.stdout).toContain('GITHUB_TOKEN = "ghp_…[redacted]"');
    expectNoSecretIn(result, secret);
  });

  test('json output lists findings without secrets', async () => {
    const folder = newFolder();
    const secret = fakeChecksummedToken();
    write(folder, 'a.txt', `x ${secret}\n`);
    const result = await scan(folder, ['--format', 'json']);
    expect(result.code).toBe(1);
    const [finding] = parseFindings(result);
    expect(finding).toMatchObject({ ruleId: 'github-pat', path: 'a.txt', line: 1, column: 3, source: 'file', commit: null, confidence: 'checksum' });
    expect(finding.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(finding).not.toHaveProperty('secret');
    expectNoSecretIn(result, secret);
  });

  test('gitignore is respected outside git', async () => {
    const folder = newFolder();
    write(folder, '.gitignore', 'build/\n*.log\n!keep.log\n');
    write(folder, 'build/out.js', `t="${fakeChecksummedToken()}"\n`);
    write(folder, 'debug.log', `t="${fakeChecksummedToken()}"\n`);
    write(folder, 'keep.log', `t="${fakeChecksummedToken()}"\n`);
    write(folder, 'nested/.gitignore', 'secret.txt\n');
    write(folder, 'nested/secret.txt', `t="${fakeChecksummedToken()}"\n`);
    const result = await scan(folder, ['--json']);
    expect(parseFindings(result).map((finding) => finding.path)).toEqual(['keep.log']);
  });

  test('gitignore is respected inside git', async () => {
    const folder = newRepository();
    write(folder, '.gitignore', 'node_modules/\n');
    write(folder, 'node_modules/pkg/index.js', `t="${fakeChecksummedToken()}"\n`);
    write(folder, 'untracked.js', `t="${fakeChecksummedToken()}"\n`);
    const result = await scan(folder, ['--json']);
    expect(parseFindings(result).map((finding) => finding.path)).toEqual(['untracked.js']);
  });

  test('binary files are skipped with a note', async () => {
    const folder = newFolder();
    write(folder, 'image.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Buffer.from(fakeChecksummedToken())]));
    const result = await scan(folder, []);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('note: image.png: skipped: binary file');
  });

  test('UTF-16 and BOM files are scanned', async () => {
    const folder = newFolder();
    const secrets = [fakeChecksummedToken(), fakeChecksummedToken(), fakeChecksummedToken()];
    write(folder, 'utf16le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`line\nkey=${secrets[0]}\n`, 'utf16le')]));
    write(folder, 'utf16be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(`key=${secrets[1]}\n`, 'utf16le').swap16()]));
    write(folder, 'bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`key=${secrets[2]}\n`)]));
    const findings = parseFindings(await scan(folder, ['--json']));
    expect(findings.map((finding) => [finding.path, finding.line, finding.column])).toEqual([
      ['bom.txt', 1, 5],
      ['utf16be.txt', 1, 5],
      ['utf16le.txt', 2, 5],
    ]);
  });

  test('many files are scanned on worker threads', async () => {
    const folder = newFolder();
    for (let index = 0; index < 260; index++) write(folder, `src/file-${index}.js`, `export const value${index} = ${index};\n`);
    write(folder, 'src/file-200.js', `export const token = "${fakeChecksummedToken()}";\n`);
    const result = await scan(folder, ['--json', '--threads', '2']);
    expect(parseFindings(result).map((finding) => finding.path)).toEqual(['src/file-200.js']);
    expect(JSON.parse(result.stdout).filesScanned).toBe(260);
  });

  test('missing path exits 2 with one line', async () => {
    const result = await scan(newFolder(), ['no-such-dir']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("tessera: path 'no-such-dir' does not exist; pass an existing file or directory");
  });
});

describe('tessera scan configuration', () => {
  test('own rule, disabled rule and ignored path apply', async () => {
    const folder = newFolder();
    write(
      folder,
      '.tessera-scan.json',
      JSON.stringify({
        rules: [{ id: 'acme-key', description: 'ACME API key', pattern: 'acme_[0-9a-f]{32}', keywords: ['acme_'] }],
        disabledRules: ['aws-access-key-id'],
        ignorePaths: ['fixtures/'],
      }),
    );
    write(folder, 'a.env', `ACME=acme_${randomBytes(16).toString('hex')}\nAWS=AKIA${'ABCDEFGHIJKLMNOP'}\n`);
    write(folder, 'fixtures/b.env', `ACME=acme_${randomBytes(16).toString('hex')}\n`);
    const findings = parseFindings(await scan(folder, ['--json']));
    expect(findings.map((finding) => [finding.ruleId, finding.path])).toEqual([['acme-key', 'a.env']]);
  });

  test.each([
    ['bad JSON', '{rules: []}', /is not valid JSON/],
    ['unknown field', '{"rule": []}', /unknown field 'rule'/],
    [
      'bad pattern',
      '{"rules": [{"id": "x", "description": "x", "pattern": "(", "keywords": ["x"]}]}',
      /rules\[0\]\.pattern: is not a valid regular expression/,
    ],
    ['no keywords', '{"rules": [{"id": "x", "description": "x", "pattern": "x"}]}', /rules\[0\]\.keywords: must list at least one literal/],
    ['unknown disabled rule', '{"disabledRules": ["no-such-rule"]}', /disabledRules: 'no-such-rule' is not a rule id/],
  ])('%s exits 2 naming the field', async (_name, content, message) => {
    const folder = newFolder();
    write(folder, '.tessera-scan.json', content);
    const result = await scan(folder, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('list-rules shows the built-ins', async () => {
    const result = await scan(newFolder(), ['--list-rules', '--json']);
    const rules = JSON.parse(result.stdout);
    expect(rules.length).toBeGreaterThanOrEqual(41);
    expect(rules[0]).toEqual({ id: 'tessera-token', description: 'Tessera issued token (checksum verified)', source: 'built-in', enabled: true });
  });
});

describe('tessera scan on git history', () => {
  test('secret committed then removed is found with its commit', async () => {
    const folder = newRepository();
    const secret = fakeChecksummedToken();
    write(folder, 'README.md', '# app\n');
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'start');
    write(folder, 'deploy.sh', `#!/bin/sh\nexport GH=${secret}\n`);
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'add deploy');
    const leakingCommit = git(folder, 'rev-parse', 'HEAD');
    write(folder, 'deploy.sh', '#!/bin/sh\nexport GH="$GITHUB_TOKEN"\n');
    git(folder, 'commit', '-qam', 'remove secret');

    expect((await scan(folder, [])).code).toBe(0);

    const history = await scan(folder, ['--history', '--json']);
    expect(history.code).toBe(1);
    expect(parseFindings(history)).toEqual([
      expect.objectContaining({ ruleId: 'github-pat', path: 'deploy.sh', line: 2, column: 11, commit: leakingCommit, source: 'history' }),
    ]);
    expectNoSecretIn(history, secret);

    const baseline = join(folder, 'baseline.json');
    const written = await scan(folder, ['--history', '--write-baseline', baseline]);
    expect(written.code).toBe(0);
    expectNoSecretIn({ ...written, stdout: readFileSync(baseline, 'utf8') }, secret);

    const accepted = await scan(folder, ['--history', '--baseline', baseline, '--json']);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ findings: [], baselined: 1 });
  });

  test('since and branch limit the range', async () => {
    const folder = newRepository();
    write(folder, 'a.txt', `t=${fakeChecksummedToken()}\n`);
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'first');
    const first = git(folder, 'rev-parse', 'HEAD');
    git(folder, 'checkout', '-qb', 'feature');
    write(folder, 'b.txt', `t=${fakeChecksummedToken()}\n`);
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'second');
    git(folder, 'checkout', '-q', 'main');

    const all = parseFindings(await scan(folder, ['--history', '--json']));
    expect(all.map((finding) => finding.path).sort()).toEqual(['a.txt', 'b.txt']);
    const sinceFirst = parseFindings(await scan(folder, ['--since', first, '--json']));
    expect(sinceFirst.map((finding) => finding.path)).toEqual(['b.txt']);
    const mainOnly = parseFindings(await scan(folder, ['--branch', 'main', '--json']));
    expect(mainOnly.map((finding) => finding.path)).toEqual(['a.txt']);
  });

  test('unknown branch exits 2', async () => {
    const folder = newRepository();
    const result = await scan(folder, ['--branch', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--branch 'nope' is not a branch or commit in this repository");
  });
});

describe('tessera scan --staged and hook', () => {
  test('only staged lines are scanned', async () => {
    const folder = newRepository();
    write(folder, 'app.js', 'const a = 1;\n');
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'start');
    write(folder, 'app.js', `const a = 1;\nconst b = "${fakeChecksummedToken()}";\n`);
    expect((await scan(folder, ['--staged'])).code).toBe(0);
    git(folder, 'add', 'app.js');
    const staged = await scan(folder, ['--staged', '--json']);
    expect(staged.code).toBe(1);
    expect(parseFindings(staged)).toEqual([expect.objectContaining({ path: 'app.js', line: 2, source: 'staged', commit: null })]);
  });

  test('installed hook blocks a commit with a secret', async () => {
    const folder = newRepository();
    const install = await runCli(['hook', 'install'], { cwd: folder });
    expect(install.code).toBe(0);
    expect(statSync(join(folder, '.git/hooks/pre-commit')).mode & 0o111).not.toBe(0);

    write(folder, 'ok.txt', 'nothing here\n');
    git(folder, 'add', '.');
    git(folder, 'commit', '-qm', 'clean');

    write(folder, 'leak.txt', `token ${fakeChecksummedToken()}\n`);
    git(folder, 'add', '.');
    expect(() => git(folder, 'commit', '-qm', 'leak')).toThrow();
    expect(git(folder, 'log', '--format=%s')).toBe('clean');

    expect((await runCli(['hook', 'uninstall'], { cwd: folder })).code).toBe(0);
  });

  test('hook install keeps a foreign hook', async () => {
    const folder = newRepository();
    write(folder, '.git/hooks/pre-commit', '#!/bin/sh\nmake lint\n');
    const result = await runCli(['hook', 'install'], { cwd: folder });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('was not installed by tessera');
    expect(readFileSync(join(folder, '.git/hooks/pre-commit'), 'utf8')).toBe('#!/bin/sh\nmake lint\n');
  });
});

describe('tessera scan on standard input and redact', () => {
  test('stdin is scanned with line numbers', async () => {
    const secret = fakeChecksummedToken();
    const result = await scan(newFolder(), ['--stdin', '--json'], `build started\nusing ${secret}\n`);
    expect(parseFindings(result)).toEqual([expect.objectContaining({ path: '(stdin)', line: 2, column: 7, source: 'stdin' })]);
    expectNoSecretIn(result, secret);
  });

  test('redact masks secrets and keeps other lines', async () => {
    const token = rememberSecret(generateToken('bill'));
    const github = fakeChecksummedToken();
    const result = await runCli(['redact'], { stdin: `start\nAuthorization: Bearer ${token}\ngh=${github} end\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`start\nAuthorization: Bearer bill_…${token.slice(-4)}\ngh=ghp_…[redacted] end\n`);
  });
});

describe('tessera scan --format sarif', () => {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  // The published schema is draft-04, and one of its patterns is not valid with the `u` flag.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);

  test('output is valid SARIF 2.1.0', async () => {
    const folder = newFolder();
    const secret = fakeChecksummedToken();
    write(folder, 'dir with space/é.js', `const t = "${secret}";\n`);
    const result = await scan(folder, ['--format', 'sarif']);
    expect(result.code).toBe(1);
    const log = JSON.parse(result.stdout);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0].results[0]).toMatchObject({
      ruleId: 'github-pat',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'dir%20with%20space/%C3%A9.js' }, region: { startLine: 1, startColumn: 12 } } }],
    });
    expectNoSecretIn(result, secret);
  });

  test('clean scan is valid SARIF too', async () => {
    const result = await scan(newFolder(), ['--format', 'sarif']);
    expect(result.code).toBe(0);
    expect(validate(JSON.parse(result.stdout)), JSON.stringify(validate.errors)).toBe(true);
  });
});
