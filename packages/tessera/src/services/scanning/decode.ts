/** A file's content as text, or the reason it was not scanned. */
export type DecodedContent = { kind: 'text'; text: string } | { kind: 'binary' };

const sniffLength = 8192;

/** True when most NUL bytes sit at odd offsets (UTF-16LE) or even offsets (UTF-16BE) of ASCII-heavy text. */
function utf16Endianness(buffer: Uint8Array): 'le' | 'be' | null {
  const length = Math.min(buffer.length, sniffLength) & ~1;
  if (length < 4) return null;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < length; i += 2) {
    if (buffer[i] === 0) evenNuls++;
    if (buffer[i + 1] === 0) oddNuls++;
  }
  const pairs = length / 2;
  if (oddNuls > pairs * 0.4 && evenNuls < pairs * 0.05) return 'le';
  if (evenNuls > pairs * 0.4 && oddNuls < pairs * 0.05) return 'be';
  return null;
}

function decodeUtf16(buffer: Uint8Array, endianness: 'le' | 'be', offset: number): string {
  const body = Buffer.from(buffer.buffer, buffer.byteOffset + offset, buffer.byteLength - offset);
  if (endianness === 'le') return body.toString('utf16le');
  const swapped = Buffer.from(body.subarray(0, body.length & ~1));
  return swapped.swap16().toString('utf16le');
}

/**
 * Decodes a file for scanning: UTF-8 with or without a byte order mark, and UTF-16 with a BOM
 * or recognisable by its NUL pattern. Anything else with a NUL byte near the start is binary.
 */
export function decodeContent(buffer: Uint8Array): DecodedContent {
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf)
    return { kind: 'text', text: Buffer.from(buffer.buffer, buffer.byteOffset + 3, buffer.byteLength - 3).toString('utf8') };
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return { kind: 'text', text: decodeUtf16(buffer, 'le', 2) };
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return { kind: 'text', text: decodeUtf16(buffer, 'be', 2) };

  const endianness = utf16Endianness(buffer);
  if (endianness !== null) return { kind: 'text', text: decodeUtf16(buffer, endianness, 0) };

  const sniffed = buffer.subarray(0, sniffLength);
  if (sniffed.includes(0)) return { kind: 'binary' };
  return { kind: 'text', text: Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString('utf8') };
}
