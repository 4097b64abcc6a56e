const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const base62Pattern = /^[0-9A-Za-z]*$/;

/**
 * Encodes an unsigned integer in base62, left-padded with '0' to `width` characters so that
 * every token has the same length. Throws if the value needs more than `width` characters.
 */
export function encodeBase62FixedWidth(value: bigint, width: number): string {
  if (value < 0n) throw new RangeError('base62 encodes only non-negative integers');
  let remaining = value;
  let output = '';
  while (remaining > 0n) {
    output = alphabet[Number(remaining % 62n)] + output;
    remaining /= 62n;
  }
  if (output.length > width) throw new RangeError(`value needs ${output.length} base62 characters, more than ${width}`);
  return output.padStart(width, '0');
}

/** Encodes a 32-bit unsigned integer; a number-only path, because the checksum is on the hot path. */
export function encodeUint32Base62(value: number, width: number): string {
  let remaining = value >>> 0;
  let output = '';
  for (let i = 0; i < width; i++) {
    output = alphabet[remaining % 62] + output;
    remaining = Math.floor(remaining / 62);
  }
  return output;
}

export function decodeBase62(text: string): bigint {
  let value = 0n;
  for (const character of text) {
    const digit = alphabet.indexOf(character);
    if (digit < 0) throw new RangeError(`'${character}' is not a base62 digit`);
    value = value * 62n + BigInt(digit);
  }
  return value;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
