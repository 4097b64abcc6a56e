import { isWellFormedToken, tokenHint } from '../token-format.js';

/**
 * Returns the masked form of a secret for reports: a Tessera token's hint (prefix and last four
 * characters), otherwise the first four characters of a long secret, which are usually its
 * provider's type prefix, and nothing of a short one.
 */
export function maskSecret(secret: string): string {
  if (isWellFormedToken(secret)) return tokenHint(secret);
  const visible = secret.length >= 24 ? secret.slice(0, 4) : '';
  return `${visible}…[redacted]`;
}
