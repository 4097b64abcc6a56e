import { validationError } from './errors.js';

/** Runs a program (argv, no shell) that reads JSON on stdin and prints the new value; an optional test program must exit 0 for it. */
export interface ExecRotatorConfig {
  kind: 'exec';
  command: string[];
  testCommand?: string[] | undefined;
  timeoutSeconds: number;
}

/** POSTs JSON to a URL whose response `{"value": "..."}` carries the new value. */
export interface HttpRotatorConfig {
  kind: 'http';
  url: string;
  timeoutSeconds: number;
}

export type RotatorConfig = ExecRotatorConfig | HttpRotatorConfig;

export const defaultTimeoutSeconds = 30;
export const maxTimeoutSeconds = 600;
export const defaultGraceSeconds = 24 * 3600;
export const maxGraceSeconds = 365 * 24 * 3600;

export interface RotatorInput {
  kind?: unknown;
  command?: unknown;
  testCommand?: unknown;
  url?: unknown;
  timeoutSeconds?: unknown;
  gracePeriodSeconds?: unknown;
}

function parseArgv(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((part) => typeof part === 'string' && part.length > 0)) {
    throw validationError(field, 'must be a non-empty array of program and arguments, e.g. ["./rotate-stripe.sh"]; no shell is used');
  }
  return value as string[];
}

function parseSeconds(field: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw validationError(field, `must be a whole number of seconds from 1 to ${max}`);
  }
  return value;
}

/** Validates a rotator configuration and its grace period, naming the field at fault. */
export function parseRotatorConfig(input: RotatorInput): { config: RotatorConfig; graceSeconds: number } {
  const timeoutSeconds = parseSeconds('timeoutSeconds', input.timeoutSeconds, defaultTimeoutSeconds, maxTimeoutSeconds);
  const graceSeconds = parseSeconds('gracePeriodSeconds', input.gracePeriodSeconds, defaultGraceSeconds, maxGraceSeconds);

  if (input.kind === 'exec') {
    if (input.url !== undefined) throw validationError('url', "applies to the 'http' rotator only");
    const command = parseArgv('command', input.command);
    const testCommand = input.testCommand === undefined ? undefined : parseArgv('testCommand', input.testCommand);
    return { config: { kind: 'exec', command, testCommand, timeoutSeconds }, graceSeconds };
  }

  if (input.kind === 'http') {
    if (input.command !== undefined || input.testCommand !== undefined) throw validationError('command', "applies to the 'exec' rotator only");
    if (typeof input.url !== 'string') throw validationError('url', 'is required for the http rotator, e.g. https://rotator.internal/stripe');
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw validationError('url', `'${input.url.slice(0, 80)}' is not a URL; use e.g. https://rotator.internal/stripe`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw validationError('url', 'must use http or https');
    if (url.username || url.password) throw validationError('url', 'must not contain credentials');
    return { config: { kind: 'http', url: url.toString(), timeoutSeconds }, graceSeconds };
  }

  throw validationError('kind', "must be 'exec' or 'http'");
}
