import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Standard Webhooks signing: HMAC-SHA-256 over "<webhook-id>.<webhook-timestamp>.<body>", keyed
// with the base64 part of a `whsec_` secret, sent as "v1,<base64 signature>".

export const webhookSecretPrefix = 'whsec_';
const secretBytes = 32;

/** Generates a signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks receivers expect. */
export function generateWebhookSecret(): string {
  return `${webhookSecretPrefix}${randomBytes(secretBytes).toString('base64')}`;
}

function signingKey(secret: string): Buffer {
  if (!secret.startsWith(webhookSecretPrefix)) throw new Error('a webhook signing secret starts with whsec_');
  return Buffer.from(secret.slice(webhookSecretPrefix.length), 'base64');
}

/** Returns the `webhook-signature` header value for one delivery; `timestamp` is in Unix seconds. */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const signature = createHmac('sha256', signingKey(secret)).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return `v1,${signature}`;
}

/**
 * Checks a delivery as a receiver does: one of the space-separated `v1,` signatures matches (compared
 * in constant time, so timing reveals nothing about a near match) and the timestamp is within
 * `toleranceSeconds` of `nowSeconds`, which stops replays of old deliveries.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!/^\d{1,12}$/.test(headers.timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, timestamp, body));
  return headers.signature.split(' ').some((candidate) => {
    const presented = Buffer.from(candidate);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}
