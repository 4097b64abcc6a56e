// Scan time of one long line (a minified bundle) against its length.
//
// Builds single-line texts of 1, 2, 5 and 10 MB that look like minified JavaScript: short
// identifiers and string concatenation, with a fake GitHub token every 100 kB. Words such as
// "token", "secretKey" and "api_key" in every function make the keyword-gated rules run. Each size is scanned in
// process with every built-in rule (median of several runs), and the 10 MB file once more
// through the CLI. Linear time shows as a constant time per MB across the sizes; the report
// stays bounded by the per-file findings limit.
//
// Usage: npm run build && node bench/scan-linear.js [--runs 5]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { distDir, formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(options.runs);
requireBuild();

const { compileRules } = await importDist('core/scanner/compile-rules.js');
const { scanText } = await importDist('core/scanner/engine.js');
const { computeChecksum } = await importDist('core/token-format.js');
const rules = compileRules();
const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fake GitHub token: 30 random base62 characters and their CRC-32, as the scanner checks. */
function fakeGithubToken() {
  const random = [...randomBytes(30)].map((byte) => base62[byte % 62]).join('');
  return `ghp_${random}${computeChecksum(random)}`;
}

/** Returns one line of about `bytes` bytes of minified-looking code. */
function minifiedLine(bytes) {
  const pieces = [];
  let length = 0;
  let nextSecretAt = 0;
  for (let index = 0; length < bytes; index++) {
    let piece = `function a${index}(t,e){var n=t.token||e.secretKey;return"api_key="+n+"&x="+e.id,n.length>${index % 97}?t:e}`;
    if (length >= nextSecretAt) {
      piece += `var g${index}="${fakeGithubToken()}";`;
      nextSecretAt += 100_000;
    }
    pieces.push(piece);
    length += piece.length;
  }
  return pieces.join('');
}

printMachineInfo('Scanner: one long line');
const rows = [];
const lines = new Map();
for (const megabytes of [1, 2, 5, 10]) {
  const line = minifiedLine(megabytes * 1024 * 1024);
  lines.set(megabytes, line);
  const times = [];
  let result;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    result = scanText(line, { rules });
    times.push(performance.now() - started);
  }
  const milliseconds = median(times);
  rows.push([
    `${megabytes} MB`,
    formatNumber(milliseconds, 0),
    formatNumber(milliseconds / megabytes, 1),
    formatNumber(megabytes / (milliseconds / 1000), 1),
    `${result.findings.length}${result.truncated ? ' (truncated)' : ''}`,
  ]);
}
printTable(['line length', 'scan ms (median)', 'ms per MB', 'MB/s', 'findings kept'], rows);

// The same 10 MB line through the CLI, as a user would meet it: Node start, reading, decoding, output.
const folder = await makeTempDir('scan-linear');
try {
  const file = join(folder, 'bundle.min.js');
  writeFileSync(file, lines.get(10));
  const cli = join(dirname(distDir), 'bin', 'tessera.js');
  const started = performance.now();
  let output = '';
  try {
    execFileSync(process.execPath, [cli, 'scan', file, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    // Exit code 1 means findings, which this file has.
    output = error.stdout;
  }
  const wall = performance.now() - started;
  const report = JSON.parse(output);
  const longestSnippet = Math.max(...report.findings.map((finding) => finding.snippet.length));
  console.log(
    `\nCLI on the 10 MB line: ${formatNumber(wall, 0)} ms wall, ${report.findings.length} findings, report ${formatNumber(output.length)} bytes, longest snippet ${longestSnippet} characters`,
  );
} finally {
  await removeDir(folder);
}
