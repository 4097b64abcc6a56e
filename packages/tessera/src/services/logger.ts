import pino, { type DestinationStream, type Logger } from 'pino';
import { redactTokens } from '../core/token-format.js';

// Shortest string that can hold a token: a one-letter prefix, '_', body and checksum.
const minimumTokenLength = 51;

/** Replaces token-shaped substrings anywhere in a log object, so a token pasted into a URL or message never reaches a log line. */
export function scrubTokens(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length >= minimumTokenLength ? redactTokens(value) : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubTokens(item, depth + 1));

  const scrubbed: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) scrubbed[key] = scrubTokens(item, depth + 1);
  return scrubbed;
}

export interface LoggerOptions {
  level?: string | undefined;
  destination?: DestinationStream | undefined;
}

/** JSON logs (pino) with authorization headers removed and token-shaped strings masked. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['TESSERA_LOG_LEVEL'] ?? 'info',
      base: { service: 'tessera' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'req.headers.cookie'], censor: '[redacted]' },
      formatters: { log: (object) => scrubTokens(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((argument) => (typeof argument === 'string' ? redactTokens(argument) : argument)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
