import pino, { type DestinationStream, type Logger } from 'pino';
import { redactTokens } from '../core/token-format.js';

// A token's base62 tail after its '_'; lines without one need no token search.
const tokenTailPattern = /_[0-9A-Za-z]{49}/;
// Credential headers as JSON fields. Node lowercases header names, so these spellings are the ones logged.
const credentialHeaderPattern = /"(authorization|cookie|set-cookie|x-api-key)":"(?:[^"\\]|\\.)*"/g;

/**
 * Masks secrets in a finished log line: token-shaped substrings become their hints, and credential
 * headers become "[redacted]". Tokens are letters, digits and '_', which JSON never escapes, so one
 * pass over the serialised line finds them in every field, message and error, however deeply
 * nested. Cheap tests come first because every request writes a line.
 */
export function redactLogLine(line: string): string {
  let redacted = line;
  if (tokenTailPattern.test(redacted)) redacted = redactTokens(redacted);
  if (redacted.includes('authorization') || redacted.includes('cookie') || redacted.includes('x-api-key')) {
    redacted = redacted.replace(credentialHeaderPattern, '"$1":"[redacted]"');
  }
  return redacted;
}

export interface LoggerOptions {
  level?: string | undefined;
  destination?: DestinationStream | undefined;
}

/** JSON logs (pino) with credential headers and token-shaped strings masked in every line. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['TESSERA_LOG_LEVEL'] ?? 'info',
      base: { service: 'tessera' },
      hooks: { streamWrite: redactLogLine },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
