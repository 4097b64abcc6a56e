import { once } from 'node:events';
import { findingRules, type Finding } from '../core/check-policy.js';
import type { CheckReport } from '../services/check.js';
import { printTable } from './output.js';

/** Shows how many tokens and secrets a local check has evaluated, on a terminal only, so pipes and CI logs stay clean. */
export function showCheckProgress(checked: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\rchecked ${checked.toLocaleString('en-US')} tokens and secrets `);
}

export function printCheckTable(report: CheckReport): void {
  if (report.findings.length > 0) {
    printTable(
      ['severity', 'rule', 'type', 'name', 'keyspace or environment', 'finding'],
      report.findings.map((finding) => [finding.severity, finding.rule, finding.subject.type, finding.subject.name, finding.subject.group, finding.message]),
    );
  }
  const { tokens, secrets, errors, warnings } = report.summary;
  process.stdout.write(
    `Checked ${tokens} token(s) and ${secrets} secret(s): ${errors} error(s), ${warnings} warning(s). ${report.passed ? 'Passed.' : 'Failed.'}\n`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[character]!);
}

// XML 1.0 forbids most control characters even when escaped, so they are dropped.
function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return escapeXml(text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
}

function testcase(finding: Finding): string {
  const name = xmlText(`${finding.subject.type} ${finding.subject.group}/${finding.subject.name}`);
  const classname = `tessera.check.${finding.rule}`;
  const message = xmlText(finding.message);
  if (finding.severity === 'error') {
    return `    <testcase classname="${classname}" name="${name}">\n      <failure type="${finding.rule}" message="${message}">${message}</failure>\n    </testcase>\n`;
  }
  return `    <testcase classname="${classname}" name="${name}">\n      <system-out>warning: ${message}</system-out>\n    </testcase>\n`;
}

/**
 * Yields the report as JUnit XML in pieces: one test suite per rule, a failed test case per failing
 * finding, a passed one with the message as output per warning, and one passed case for a rule
 * with no findings.
 */
export function* junitChunks(report: CheckReport): Generator<string> {
  const tests = findingRules.reduce((total, rule) => total + Math.max(report.summary.byRule[rule], 1), 0);
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tessera check" tests="${tests}" failures="${report.summary.errors}" errors="0">\n`;
  for (const rule of findingRules) {
    const findings = report.findings.filter((finding) => finding.rule === rule);
    const failures = findings.filter((finding) => finding.severity === 'error').length;
    yield `  <testsuite name="tessera check: ${rule}" tests="${Math.max(findings.length, 1)}" failures="${failures}" errors="0" skipped="0" timestamp="${report.checkedAt}">\n`;
    if (findings.length === 0) yield `    <testcase classname="tessera.check.${rule}" name="no findings"/>\n`;
    for (const batch of batches(findings)) yield batch.map(testcase).join('');
    yield '  </testsuite>\n';
  }
  yield '</testsuites>\n';
}

// GitHub Actions workflow commands: data escapes %, CR and LF; property values also ':' and ','.
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Yields each finding as a GitHub Actions annotation: `::error` for failing rules, `::warning` for the others. */
export function* githubAnnotationChunks(report: CheckReport): Generator<string> {
  for (const batch of batches(report.findings)) {
    yield batch.map((finding) => `::${finding.severity} title=${escapeProperty(`tessera check: ${finding.rule}`)}::${escapeData(finding.message)}\n`).join('');
  }
}

/** Yields the report as JSON, one finding per line. */
export function* jsonChunks(report: CheckReport): Generator<string> {
  const { findings, ...header } = report;
  yield `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "findings": [`;
  let first = true;
  for (const batch of batches(findings)) {
    yield `${first ? '' : ','}${batch.map((finding) => `\n    ${JSON.stringify(finding)}`).join(',')}`;
    first = false;
  }
  yield `${findings.length > 0 ? '\n  ' : ''}]\n}\n`;
}

function* batches<T>(items: readonly T[], size = 1000): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/**
 * Writes chunks to a stream, waiting whenever its buffer is full. A report of a large store can
 * hold hundreds of thousands of findings, and formatting all of them into one string, or queueing
 * them all on a slow pipe, would multiply the check's peak memory.
 */
export async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
}
