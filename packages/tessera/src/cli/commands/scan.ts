import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { TesseraError } from '../../core/errors.js';
import { builtinRules } from '../../core/scanner/builtin-rules.js';
import type { ScannerConfig } from '../../core/scanner/compile-rules.js';
import { buildSarifLog } from '../../core/scanner/sarif.js';
import { readBaseline, writeBaseline } from '../../services/scanning/baseline.js';
import { createTerminalProgress } from '../../services/scanning/progress.js';
import { loadScannerConfig } from '../../services/scanning/scan-config.js';
import type { ScanFinding, ScanReport } from '../../services/scanning/scan-report.js';
import { scanHistory, scanPaths, scanStaged, scanStandardInput, type ScanRunOptions } from '../../services/scanning/scan-runner.js';
import { ExitSignal, type WithClient } from '../client.js';
import type { GlobalOptions } from '../settings.js';
import { leakResponses, respondToLeaks, type LeakResponse, type RegistryStatus } from './scan-leaks.js';

interface ScanOptions {
  history?: boolean;
  since?: string;
  branch?: string;
  staged?: boolean;
  stdin?: boolean;
  config?: string;
  baseline?: string;
  writeBaseline?: string;
  format: 'human' | 'json' | 'sarif';
  threads: number;
  maxFindings: number;
  onLeak?: LeakResponse;
  lookup: boolean;
  successorFile?: string;
  listRules?: boolean;
}

const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      throw new TesseraError('VALIDATION_FAILED', `${name}: '${value}' is not a positive whole number`, { field: name });
    return parsed;
  };
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Public fields of a finding for --json output: everything but the secret. */
function toOutputFinding(finding: ScanFinding, registry: RegistryStatus | undefined): Record<string, unknown> {
  return {
    ruleId: finding.ruleId,
    description: finding.description,
    source: finding.source,
    path: finding.path,
    line: finding.line,
    column: finding.column,
    commit: finding.commit,
    snippet: finding.snippet,
    confidence: finding.confidence,
    fingerprint: finding.fingerprint,
    ...(finding.joined ? { joined: true } : {}),
    ...(registry ? { registry } : {}),
  };
}

function describeRegistry(status: RegistryStatus): string {
  if (!status.found) return 'not in the registry';
  const owner = status.owner ? `, owner ${status.owner}` : '';
  const action = status.action === 'none' ? '' : `; ${status.action}`;
  return `${status.live ? 'LIVE' : status.state} token ${status.tokenId} in keyspace ${status.keyspace}${owner}${action}`;
}

function printHuman(report: ScanReport, registry: Map<ScanFinding, RegistryStatus>): void {
  for (const finding of report.findings) {
    const commit = finding.commit ? ` (commit ${finding.commit.slice(0, 12)})` : '';
    process.stdout.write(
      `${finding.path}:${finding.line}:${finding.column}${commit}  ${finding.ruleId}${finding.joined ? ' (joined literals)' : ''}\n    ${finding.snippet}\n`,
    );
    const status = registry.get(finding);
    if (status) process.stdout.write(`    registry: ${describeRegistry(status)}\n`);
  }
}

function printSummary(report: ScanReport): void {
  for (const note of report.notes) process.stderr.write(`note: ${note.path}${note.commit ? ` (commit ${note.commit.slice(0, 12)})` : ''}: ${note.message}\n`);
  const megabytes = (report.bytesScanned / 1024 / 1024).toFixed(1);
  const baselined = report.baselined > 0 ? `, ${report.baselined} accepted by the baseline` : '';
  const count = report.findings.length;
  process.stderr.write(
    `${count === 0 ? 'no secrets found' : `${count} secret${count === 1 ? '' : 's'} found`} in ${report.filesScanned} ${report.filesScanned === 1 ? 'file or change' : 'files or changes'} (${megabytes} MB)${baselined}\n`,
  );
}

function checkModes(options: ScanOptions, paths: string[]): void {
  const modes = [options.history || options.since !== undefined || options.branch !== undefined, options.staged, options.stdin || paths.includes('-')].filter(
    Boolean,
  );
  if (modes.length > 1) throw new TesseraError('VALIDATION_FAILED', 'choose one of --history (or --since/--branch), --staged and --stdin', { field: 'mode' });
  if (paths.length > 0 && modes.length > 0 && !paths.includes('-'))
    throw new TesseraError('VALIDATION_FAILED', 'paths apply only to a file scan; leave them out with --history, --staged or --stdin', { field: 'paths' });
}

async function runScan(paths: string[], options: ScanOptions, config: ScannerConfig): Promise<ScanReport> {
  const runOptions: ScanRunOptions = {
    workingDirectory: process.cwd(),
    config,
    threads: options.threads,
    maxFindings: options.maxFindings,
    baseline: options.baseline === undefined ? undefined : await readBaseline(options.baseline),
    progress: createTerminalProgress(process.stderr),
  };
  if (options.stdin || paths.includes('-')) return scanStandardInput(await readStandardInput(), runOptions);
  if (options.staged) return scanStaged(runOptions);
  if (options.history || options.since !== undefined || options.branch !== undefined)
    return scanHistory({ since: options.since, branch: options.branch }, runOptions);
  return scanPaths(paths.length > 0 ? paths : ['.'], runOptions);
}

function listRules(config: ScannerConfig, json: boolean): void {
  const disabled = new Set(config.disabledRules ?? []);
  const rules = [...builtinRules.map((rule) => ({ ...rule, source: 'built-in' })), ...(config.rules ?? []).map((rule) => ({ ...rule, source: 'config' }))];
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        rules.map((rule) => ({ id: rule.id, description: rule.description, source: rule.source, enabled: !disabled.has(rule.id) })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  for (const rule of rules) process.stdout.write(`${rule.id.padEnd(28)} ${disabled.has(rule.id) ? '(disabled) ' : ''}${rule.description}\n`);
}

export function registerScanCommands(program: Command, globals: () => GlobalOptions, withClient: WithClient): void {
  program
    .command('scan [paths...]')
    .description('find secrets in files (respecting .gitignore), git history, staged changes or standard input; exit code 1 when any is found')
    .option('--history', 'scan every commit of every branch instead of the files')
    .option('--since <commit-or-date>', 'history: only commits after this commit, or since this date (e.g. 2024-01-31)')
    .option('--branch <name>', 'history: only commits reachable from this branch')
    .option('--staged', 'scan the lines staged for the next commit (for a pre-commit hook)')
    .option('--stdin', 'scan standard input (logs, CI output); a path of "-" does the same')
    .option('--config <file>', 'scanner configuration: own rules, disabled rules, ignored paths (default: .tessera-scan.json if present)')
    .option('--baseline <file>', 'accept the findings whose fingerprints this file lists')
    .option('--write-baseline <file>', 'write every finding of this scan to a baseline file and exit 0')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json', 'sarif']).default('human'))
    .option('--threads <count>', 'worker threads for large scans', positiveInteger('--threads'), availableParallelism())
    .option('--max-findings <count>', 'findings reported per file; more are noted', positiveInteger('--max-findings'), 200)
    .addOption(
      new Option('--on-leak <response>', 'for a Tessera token found in the registry: alert (record a leaked event), revoke, or rotate').choices([
        ...leakResponses,
      ]),
    )
    .option('--no-lookup', 'do not look Tessera tokens up in the registry')
    .option('--successor-file <file>', "with --on-leak rotate: append the successors' secrets to this file (mode 0600); they are never printed")
    .option('--list-rules', 'list the rules and exit')
    .action(async (paths: string[], options: ScanOptions) => {
      const global = globals();
      const config = await loadScannerConfig(process.cwd(), options.config);
      if (options.listRules) return listRules(config, global.json);
      checkModes(options, paths);
      if (options.onLeak !== undefined && !options.lookup)
        throw new TesseraError('VALIDATION_FAILED', '--on-leak needs the registry lookup; remove --no-lookup', { field: 'onLeak' });

      const report = await runScan(paths, options, config);

      if (options.writeBaseline !== undefined) {
        await writeBaseline(
          options.writeBaseline,
          report.findings.map((finding) => ({ fingerprint: finding.fingerprint, ruleId: finding.ruleId, path: finding.path, line: finding.line })),
        );
        process.stderr.write(`wrote ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} to the baseline ${options.writeBaseline}\n`);
        return;
      }

      const responses = options.lookup
        ? await respondToLeaks(report.findings, { response: options.onLeak, successorFile: options.successorFile, globals: global, withClient })
        : { statuses: new Map<ScanFinding, RegistryStatus>(), failed: 0 };
      const registry = responses.statuses;

      const format = global.json ? 'json' : options.format;
      if (format === 'json') {
        process.stdout.write(
          `${JSON.stringify({ findings: report.findings.map((finding) => toOutputFinding(finding, registry.get(finding))), notes: report.notes, filesScanned: report.filesScanned, bytesScanned: report.bytesScanned, baselined: report.baselined }, null, 2)}\n`,
        );
      } else if (format === 'sarif') {
        const rules = [...builtinRules, ...(config.rules ?? [])];
        process.stdout.write(`${JSON.stringify(buildSarifLog(report.findings, { toolVersion: packageVersion, rules }), null, 2)}\n`);
      } else {
        printHuman(report, registry);
      }
      if (format === 'human' || process.stderr.isTTY) printSummary(report);
      // Exit code 1 means findings, as for every check command; 2 stays for usage and runtime errors, a failed leak response included.
      if (responses.failed > 0) throw new ExitSignal(2);
      if (report.findings.length > 0) throw new ExitSignal(1);
    });
}
