import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { compileRules } from '../src/core/scanner/compile-rules.js';
import { scanText } from '../src/core/scanner/engine.js';
import { maxSnippetLength } from '../src/core/scanner/snippet.js';
import { isIdentifierLike, isPlaceholder, shannonEntropy } from '../src/core/scanner/text-checks.js';
import { computeChecksum, generateToken } from '../src/core/token-format.js';
import { fakeChecksummedToken } from './support/provider-tokens.js';

// The kinds of mistakes scanners make, each with a case that must not be reported and, beside it,
// the same secret in plain sight, which must be: a check that dropped everything would fail here.

const rules = compileRules();
const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomFrom(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function randomBase64(length: number): string {
  return randomBytes(length).toString('base64').replace(/=+$/, '').slice(0, length);
}

function ruleIdsIn(text: string): string[] {
  return scanText(text, { rules }).findings.map((finding) => finding.ruleId);
}

const githubToken = (): string => fakeChecksummedToken();
const awsKeyId = (): string => `AKIA${randomFrom(base32, 16)}`;

describe('prefix inside a longer identifier', () => {
  test.each([
    ['identifier before', (secret: string) => `const my${secret} = 1;`],
    ['identifier after', (secret: string) => `${secret}Suffix`],
    ['underscore before', (secret: string) => `LEGACY_${secret}`],
  ])('%s is not reported', (_name, wrap) => {
    expect(ruleIdsIn(wrap(githubToken()))).toEqual([]);
  });

  test('same token standing alone is reported', () => {
    expect(ruleIdsIn(`token "${githubToken()}"`)).toEqual(['github-pat']);
  });

  test('escape before a token counts as a separator', () => {
    expect(ruleIdsIn(`"header\\n${githubToken()}"`)).toEqual(['github-pat']);
  });
});

describe('prefix inside a base64 run', () => {
  test.each([
    ['data URI', (secret: string) => `background: url(data:image/png;base64,${randomBase64(40)}${secret}${randomBase64(40)});`],
    ['integrity hash', (secret: string) => `"integrity": "sha512-${randomBase64(30)}${secret}${randomBase64(38)}=="`],
    [
      'MIME attachment line',
      (secret: string) => `Content-Transfer-Encoding: base64\n\n${randomBase64(76)}\n${randomBase64(30)}${secret}${randomBase64(26)}\n${randomBase64(76)}`,
    ],
    ['start of a base64 run', (secret: string) => `sha512-${secret}${randomBase64(60)}`],
  ])('%s is not reported', (_name, wrap) => {
    expect(ruleIdsIn(wrap(awsKeyId()))).toEqual([]);
  });

  test('same key id in plain text is reported', () => {
    expect(ruleIdsIn(`aws_access_key_id = ${awsKeyId()}`)).toEqual(['aws-access-key-id']);
  });
});

describe('placeholders', () => {
  test.each([
    ['dots', 'GITHUB_TOKEN=ghp_...'],
    ['ellipsis character', 'token: sk_live_abc…'],
    ['x run', `GITHUB_TOKEN=ghp_${'x'.repeat(36)}`],
    ['X run in the middle', `STRIPE_KEY=sk_live_${randomFrom(base62, 10)}XXXX${randomFrom(base62, 10)}`],
    ['angle brackets', 'api_key: "<your-api-key>"'],
    ['EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    ['lowercase example', `secret_key = "example${randomFrom(base62, 20)}"`],
    ['template variable', 'password = "${DB_PASSWORD}"'],
    ['database URL with a sample password', 'postgres://app:changeme@localhost/app'],
    ['private key stub', '-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----'],
  ])('%s is not reported', (_name, text) => {
    expect(ruleIdsIn(text)).toEqual([]);
  });

  test('realistic values in the same places are reported', () => {
    expect(ruleIdsIn(`GITHUB_TOKEN=${githubToken()}`)).toEqual(['github-pat']);
    expect(ruleIdsIn(`STRIPE_KEY=sk_live_${randomFrom(base62, 24)}`)).toEqual(['stripe-secret-key']);
    // A fixed value: a random one now and then spells a placeholder word such as "todo" and is rightly skipped.
    expect(ruleIdsIn('api_key: "q8ZrT2vNw7LpX4kYc9HmB3sJd"')).toEqual(['generic-secret']); // tessera:allow fake value
  });
});

describe('identifiers flagged for entropy', () => {
  test.each([
    'const token = getAccessTokenFromLocalStorage;',
    'apiKey = readApiKeyFromEnvironmentVariables()',
    'password: this.configService.databasePasswordField',
    'SECRET_KEY = DJANGO_SECRET_KEY_SETTING_NAME',
    'client_secret = oauth_client_secret_parameter',
    'auth-token = session-auth-token-header-name',
    'token = XMLHttpRequestUploadProgressHandler',
    'export type PassphraseBlob = Buffer|Uint8Array|Blob|string;',
    'actor_token: stsCredentialsOptions.actingParty?.actorToken,',
    'credentials: Resource$Projects$Locations$Authproviders$Credentials;',
    'this.masterCredentials=e||a.config.credentials;',
    'apiKey: SensitiveString2048;',
    'PrivateKeyAttributes: PrivateKeyAttributesV2;',
    'type OpeningParenToken = OpeningParenToken$1;',
  ])('%s is not reported', (text) => {
    expect(ruleIdsIn(text)).toEqual([]);
  });

  test('random value under the same name is reported', () => {
    // Random values whose word-like pieces could pass as a name, or that spell a placeholder, are rightly skipped, so retry those.
    let value = `${randomFrom(base62, 10)}4${randomFrom(base62, 15)}`;
    while (isPlaceholder(value) || isIdentifierLike(value) || shannonEntropy(value) < 3.5) value = `${randomFrom(base62, 10)}4${randomFrom(base62, 15)}`;
    expect(ruleIdsIn(`const token = "${value}";`)).toEqual(['generic-secret']);
  });
});

describe('values that are not credentials', () => {
  test.each([
    ['page cursor', '"nextToken": "gPFEGk7CF-wS9ZAk3LgeqAFWpnYYa7Bc"'],
    ['request id', '"ClientRequestToken": "a8ca07e4-61ec-4399-99f4-19853801bcd5"'],
    ['token type', 'requested_token_type: "urn:ietf:params:oauth:token-type:access_token"'],
    ['resource name', '"SecretARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3"'],
    ['timestamp', '"PasswordLastUsed": "2014-10-10T14:37:51Z"'],
    ['path', 'private_key_file = /etc/ssl/private/server-2024.key'],
  ])('%s is not reported', (_name, text) => {
    expect(ruleIdsIn(text)).toEqual([]);
  });
});

describe('minified bundle line', () => {
  const secretEvery = 1000;
  const line = Array.from({ length: 10_000 }, (_, index) => `var a${index}=function(){return"${index % secretEvery === 0 ? githubToken() : 'x'}"};`).join('');

  test('one long line gives a bounded report', () => {
    const crowded = Array.from({ length: 2000 }, () => `t("${githubToken()}");`).join('');
    const result = scanText(crowded, { rules, maxFindings: 50 });
    expect(result.findings).toHaveLength(50);
    expect(result.truncated).toBe(true);
    for (const finding of result.findings) expect(finding.snippet.length).toBeLessThanOrEqual(maxSnippetLength + 2);
  });

  test('secrets far into the line keep their columns', () => {
    const { findings } = scanText(line, { rules });
    expect(findings).toHaveLength(10);
    for (const finding of findings) {
      expect(finding.line).toBe(1);
      expect(line.slice(finding.column - 1, finding.column - 1 + finding.secret.length)).toBe(finding.secret);
      expect(finding.snippet).not.toContain(finding.secret);
    }
  });
});

describe('private keys', () => {
  const body = Array.from({ length: 10 }, () => randomBase64(64));

  test.each([
    ['on lines', `-----BEGIN RSA PRIVATE KEY-----\n${body.join('\n')}\n-----END RSA PRIVATE KEY-----`],
    ['on one line', `-----BEGIN RSA PRIVATE KEY----- ${body.join(' ')} -----END RSA PRIVATE KEY-----`],
    ['with escaped newlines', `{"key": "-----BEGIN PRIVATE KEY-----\\n${body.join('\\n')}\\n-----END PRIVATE KEY-----\\n"}`],
    ['with CRLF', `-----BEGIN EC PRIVATE KEY-----\r\n${body.join('\r\n')}\r\n-----END EC PRIVATE KEY-----\r\n`],
    ['OpenSSH', `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.join('\n')}\n-----END OPENSSH PRIVATE KEY-----`],
  ])('%s is reported', (_name, text) => {
    const { findings } = scanText(text, { rules });
    expect(findings.map((finding) => finding.ruleId)).toEqual(['private-key']);
    expect(findings[0]!.line).toBe(1);
    for (const part of body) expect(findings[0]!.snippet).not.toContain(part);
  });

  test('public key is not reported', () => {
    expect(ruleIdsIn(`-----BEGIN PUBLIC KEY-----\n${body.join('\n')}\n-----END PUBLIC KEY-----`)).toEqual([]);
  });
});

describe('token split across concatenation', () => {
  test('literals joined on one line are reported', () => {
    const token = githubToken();
    const text = `const t = "${token.slice(0, 15)}" + "${token.slice(15)}";`;
    const { findings } = scanText(text, { rules });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'github-pat', secret: token, joined: true, line: 1, column: 11 });
    expect(findings[0]!.snippet).not.toContain(token.slice(15));
  });

  test('literals joined across lines are reported', () => {
    const token = generateToken('bill');
    const text = `let x = 1;\nconst t = '${token.slice(0, 20)}' +\n  '${token.slice(20, 40)}' +\n  '${token.slice(40)}';`;
    const { findings } = scanText(text, { rules });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'tessera-token', secret: token, joined: true, line: 2 });
  });

  test('unrelated literals joined are not reported', () => {
    expect(ruleIdsIn(`message = "Hello, " + "world of " + "many strings";`)).toEqual([]);
  });
});

describe('variable-length formats', () => {
  test.each([
    ['stripe key of 24', `sk_live_${randomFrom(base62, 24)}`],
    ['stripe key of 99', `sk_live_${randomFrom(base62, 99)}`],
    ['stripe key of 200', `rk_live_${randomFrom(base62, 200)}`],
    ['openai project key', `sk-proj-${randomFrom(base62, 100)}T3BlbkFJ${randomFrom(base62, 100)}`],
    ['gitlab token of 40', `glpat-${randomFrom(base62, 40)}`],
    ['vault token of 150', `hvs.${randomFrom(base62, 150)}`],
  ])('%s is reported whole', (_name, secret) => {
    const { findings } = scanText(`KEY=${secret}\n`, { rules });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.secret).toBe(secret);
  });
});

describe('checksums of GitHub and npm tokens', () => {
  test.each(['ghp_', 'gho_', 'ghu_', 'ghs_', 'npm_'])('checksummed %s token reported', (prefix) => {
    const secret = fakeChecksummedToken(prefix);
    const { findings } = scanText(`see ${secret} here\n`, { rules });
    expect(findings.map((finding) => [finding.secret, finding.confidence])).toEqual([[secret, 'checksum']]);
  });

  test.each(['ghp_', 'gho_', 'ghu_', 'ghs_', 'npm_'])('%s shape without checksum ignored', (prefix) => {
    const secret = fakeChecksummedToken(prefix);
    const altered = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect(ruleIdsIn(`see ${altered} here\n`)).toEqual([]);
    expect(ruleIdsIn(`see ${prefix}${randomFrom(base62, 36)} here\n`)).toEqual([]);
  });

  test('checksummed placeholder-like token reported', () => {
    let secret = fakeChecksummedToken();
    while (!/[xX]{4}|(.)\1{5}/.test(secret)) {
      const random = `xxxx${randomFrom(base62, 26)}`;
      secret = `ghp_${random}${computeChecksum(random)}`;
    }
    expect(ruleIdsIn(`see ${secret}\n`)).toEqual(['github-pat']);
  });
});

describe('inline allow', () => {
  test('tessera:allow on the line drops its findings only', () => {
    const text = `a = "${githubToken()}" // tessera:allow fixture\nb = "${githubToken()}"`;
    expect(scanText(text, { rules }).findings.map((finding) => finding.line)).toEqual([2]);
  });
});
