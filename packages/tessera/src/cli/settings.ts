import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.js';

/** Options every command accepts; each can also come from the environment. */
export interface GlobalOptions {
  dataDir: string;
  url?: string | undefined;
  databaseUrl?: string | undefined;
  json: boolean;
}

export const defaultDataDir = './.tessera';

export function resolveDataDir(dataDir: string): string {
  return resolve(dataDir);
}

/** Parses a duration option such as 30d, 12h or 900 (seconds) for commander. */
export function durationOption(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) throw new InvalidArgumentError(`'${value}' is not a duration; use e.g. 30d, 12h, 15m or a number of seconds`);
  return seconds;
}

/** Parses a duration option that the API takes in whole days, such as 14d or 2w, into days. */
export function wholeDaysOption(value: string): number {
  const seconds = parseDuration(value);
  // Rejects a bare number, because other duration options read it as seconds and `check --expiring-within` as days.
  if (seconds === null || !/[dw]$/.test(value.trim()) || seconds / 86400 > 3650)
    throw new InvalidArgumentError(`'${value}' is not a duration in whole days; use e.g. 14d or 2w, at most 3650d`);
  return seconds / 86400;
}

/** Parses a count option such as --limit: a whole number from 1. */
export function countOption(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`'${value}' is not a count; use a whole number from 1`);
  return count;
}

export function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`'${value}' is not a port; use a number from 0 to 65535`);
  return port;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/[\s,]+/).filter(Boolean)];
}

/** Parses repeated `key=value` options into metadata. */
export function collectMetadata(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator < 1) throw new InvalidArgumentError(`'${value}' is not key=value`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}
