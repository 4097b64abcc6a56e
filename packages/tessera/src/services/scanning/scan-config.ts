import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TesseraError } from '../../core/errors.js';
import { compileRules, type ScannerConfig } from '../../core/scanner/compile-rules.js';

/** The configuration file a scan reads from the working directory when no --config is given. */
export const defaultConfigFile = '.tessera-scan.json';

const knownFields = new Set(['rules', 'disabledRules', 'ignorePaths']);

function invalid(path: string, message: string): TesseraError {
  return new TesseraError('CONFIGURATION_INVALID', `${path}: ${message}`);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Reads and checks a scanner configuration. A missing default file means no configuration. A
 * missing file named with --config, bad JSON or a bad field is an error that names the file and field.
 */
export async function loadScannerConfig(workingDirectory: string, configPath: string | undefined): Promise<ScannerConfig> {
  const path = resolve(workingDirectory, configPath ?? defaultConfigFile);
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    if (configPath === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw invalid(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the --config path`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw invalid(path, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(path, 'must be a JSON object with "rules", "disabledRules" or "ignorePaths"');

  const config = parsed as Record<string, unknown>;
  for (const field of Object.keys(config)) {
    if (!knownFields.has(field)) throw invalid(path, `unknown field '${field}'; the fields are rules, disabledRules and ignorePaths`);
  }
  if (config['rules'] !== undefined && !Array.isArray(config['rules'])) throw invalid(path, '"rules" must be an array of rule objects');
  if (config['disabledRules'] !== undefined && !isStringArray(config['disabledRules'])) throw invalid(path, '"disabledRules" must be an array of rule ids');
  if (config['ignorePaths'] !== undefined && !isStringArray(config['ignorePaths']))
    throw invalid(path, '"ignorePaths" must be an array of gitignore-style patterns');

  const scannerConfig = config as ScannerConfig;
  try {
    // Compiled once here so that a bad rule fails before any file is read, with the file's name.
    compileRules(scannerConfig);
  } catch (error) {
    throw error instanceof TesseraError ? invalid(path, error.message) : error;
  }
  return scannerConfig;
}
