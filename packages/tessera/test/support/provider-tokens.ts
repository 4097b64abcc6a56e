import { randomBytes } from 'node:crypto';
import { computeChecksum } from '../../src/core/token-format.js';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomBase62(length: number): string {
  return [...randomBytes(length)].map((byte) => base62[byte % 62]).join('');
}

/**
 * Returns a fake of GitHub's or npm's token format: 30 random base62 characters after the prefix, then
 * their CRC-32 in six base62 characters, so that the scanner's checksum check accepts it.
 */
export function fakeChecksummedToken(prefix = 'ghp_'): string {
  const random = randomBase62(30);
  return `${prefix}${random}${computeChecksum(random)}`;
}
