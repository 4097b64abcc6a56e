import { checkTokenSyntax, computeChecksum } from '../token-format.js';
import type { Confidence, ValidatorName } from './rule.js';
import { isIdentifierLike, isPlaceholder } from './text-checks.js';

/** A validator's verdict on a matched secret: rejected (null) or accepted with a confidence. */
type Verdict = Confidence | null;

function decodeBase64Url(text: string): string | null {
  try {
    return Buffer.from(text, 'base64url').toString('utf8');
  } catch {
    return null;
  }
}

/** A JWT's header must decode to a JSON object with an `alg`, and its payload to a JSON object. */
function validateJwt(secret: string): Verdict {
  const [header, payload] = secret.split('.');
  try {
    const decodedHeader = JSON.parse(decodeBase64Url(header!) ?? '') as unknown;
    const decodedPayload = JSON.parse(decodeBase64Url(payload!) ?? '') as unknown;
    const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
    return isObject(decodedHeader) && typeof decodedHeader['alg'] === 'string' && isObject(decodedPayload) ? 'structure' : null;
  } catch {
    return null;
  }
}

/**
 * A private key's body, once its BEGIN and END lines, escaped newlines and whitespace are gone,
 * must be long base64: a documentation stub such as "..." or "<key>" is not a key.
 */
function validatePrivateKey(block: string): Verdict {
  const body = block.replace(/^-----BEGIN [A-Z ]+-----|-----END [A-Z ]+-----$/g, '');
  // Encrypted PEM keys carry "Proc-Type" and "DEK-Info" headers before the base64.
  const withoutHeaders = body.replace(/(?:Proc-Type|DEK-Info):[^\n\\]*/g, '');
  const base64 = withoutHeaders.replace(/\\r|\\n|\s/g, '');
  if (base64.length < 64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) return null;
  return isPlaceholder(base64) ? null : 'structure';
}

/** AWS key IDs are base32 after the four-letter type; a "0", "1", "8" or "9" cannot occur. */
function validateAwsKeyId(secret: string): Verdict {
  return /^[A-Z0-9]{4}[A-Z2-7]{16}$/.test(secret) ? 'structure' : null;
}

// Passwords that sample URLs and local development settings use; not worth failing a build over.
const defaultPasswords = new Set(['password', 'pass', 'passwd', 'secret', 'postgres', 'root', 'admin', 'test', 'user', 'guest', 'mysql', 'redis']);

function validateUrlPassword(password: string): Verdict {
  if (password.length < 4 || defaultPasswords.has(password.toLowerCase())) return null;
  if (/^[$%{<:]/.test(password)) return null;
  return 'pattern';
}

/** Checks that the first part of a Discord bot token decodes to the bot's numeric user ID. */
function validateDiscordBotToken(secret: string): Verdict {
  const userId = decodeBase64Url(secret.slice(0, secret.indexOf('.')));
  return userId !== null && /^[0-9]{17,20}$/.test(userId) ? 'structure' : null;
}

/**
 * GitHub's prefixed tokens and npm's end in six base62 characters: the CRC-32 of the 30 random
 * characters between the prefix and them. A random string of the same shape fails it.
 */
function validateGithubChecksum(secret: string): Verdict {
  const random = secret.slice(secret.indexOf('_') + 1, -6);
  return random.length === 30 && computeChecksum(random) === secret.slice(-6) ? 'checksum' : null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A value assigned to a secret-sounding name must not be code (a name, member access or type
 * union), a number, a URL, path or resource name (`arn:`, `urn:`), an environment reference, or
 * a UUID. UUIDs are request ids far more often than keys, so a key that is a UUID is missed.
 */
function validateAssignedValue(value: string): Verdict {
  if (isIdentifierLike(value) || /^[0-9.\-:]+$/.test(value)) return null;
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/|arn:|urn:|\/|\.\/|~\/)/i.test(value)) return null;
  if (/^(?:process\.env|os\.environ|ENV\[|env\.|import\.meta|this\.|self\.)/.test(value)) return null;
  if (uuidPattern.test(value) || /^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  // A value needs both letters and digits or symbols: a single long word is not a credential.
  if (/^[A-Za-z]+$/.test(value) && value.length < 32) return null;
  return 'pattern';
}

const validators: Record<ValidatorName, (secret: string) => Verdict> = {
  'tessera-checksum': (secret) => (checkTokenSyntax(secret) === 'OK' ? 'checksum' : null),
  jwt: validateJwt,
  'private-key': validatePrivateKey,
  'aws-key-id': validateAwsKeyId,
  'url-password': validateUrlPassword,
  'discord-bot-token': validateDiscordBotToken,
  'github-checksum': validateGithubChecksum,
  'assigned-value': validateAssignedValue,
};

/** Runs a rule's validator; a rule without one accepts every match at pattern confidence. */
export function validateSecret(name: ValidatorName | undefined, secret: string): Verdict {
  return name === undefined ? 'pattern' : validators[name](secret);
}
