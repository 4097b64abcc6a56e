// Scanner throughput on real third-party source, side by side with secretlint.
//
// 1. Builds the corpus: installs popular npm packages (list below) from the npm registry into a
//    temporary folder with `npm install --ignore-scripts`, and copies files out of node_modules
//    until at least --megabytes MB are copied. The copy is kept in --corpus-dir and reused by
//    later runs. .gitignore files are left out, so both tools see the same files.
// 2. Installs secretlint and @secretlint/secretlint-rule-preset-recommend into a temporary
//    folder. Version 11.7.1 is the newest whose `engines` accepts Node 20; 12 and later need 22.
// 3. Runs `tessera scan <corpus> --format json --no-lookup` on the whole corpus (both cores),
//    then both tools on the slice secretlint finishes (--slice-megabytes), one after the other,
//    and compares their findings by file and line.
//
// Usage: npm run build && node bench/scan-throughput.js [--megabytes 200] [--slice-megabytes 20]
//        [--corpus-dir /tmp/tessera-scan-corpus] [--secretlint-timeout 900]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { distDir, formatNumber, printMachineInfo, printTable, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '200' },
    'slice-megabytes': { type: 'string', default: '20' },
    'corpus-dir': { type: 'string', default: join(tmpdir(), 'tessera-scan-corpus') },
    'secretlint-timeout': { type: 'string', default: '900' },
  },
});
requireBuild();

const packages = [
  'aws-sdk@2',
  'typescript@5',
  'monaco-editor',
  'three',
  'echarts',
  'rxjs',
  'lodash',
  'moment',
  '@babel/core',
  'webpack',
  'eslint',
  'prettier',
  'pdfjs-dist',
  '@angular/core',
  'react-dom',
  'googleapis',
];
const secretlintVersion = '11.7.1';
const corpusDir = options['corpus-dir'];
const targetBytes = Number(options.megabytes) * 1024 * 1024;
const sliceBytes = Number(options['slice-megabytes']) * 1024 * 1024;
const cli = join(dirname(distDir), 'bin', 'tessera.js');

function npmInstall(folder, specs) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), '{"private": true}\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', '--loglevel=error', ...specs], {
    cwd: folder,
    stdio: 'inherit',
  });
}

/** Lists regular files under a folder with their sizes, in a stable order. */
function listFiles(root) {
  const files = [];
  const visit = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) files.push({ path, size: statSync(path).size });
    }
  };
  visit(root);
  return files;
}

function buildCorpus() {
  if (existsSync(join(corpusDir, 'all'))) return;
  const installDir = join(tmpdir(), `tessera-scan-install-${process.pid}`);
  console.log(`installing ${packages.length} packages into ${installDir}`);
  npmInstall(installDir, packages);

  let copied = 0;
  for (const file of listFiles(join(installDir, 'node_modules'))) {
    if (copied >= targetBytes) break;
    if (file.path.endsWith('.gitignore') || file.path.endsWith('.package-lock.json')) continue;
    const target = join(corpusDir, 'all', relative(join(installDir, 'node_modules'), file.path));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file.path, target);
    copied += file.size;
  }
  rmSync(installDir, { recursive: true, force: true });
}

/** Copies the first files of the corpus, up to `bytes`, into a slice folder. */
function buildSlice(bytes) {
  const sliceDir = join(corpusDir, `slice-${bytes}`);
  if (existsSync(sliceDir)) return sliceDir;
  let copied = 0;
  for (const file of listFiles(join(corpusDir, 'all'))) {
    if (copied >= bytes) break;
    const target = join(sliceDir, relative(join(corpusDir, 'all'), file.path));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file.path, target);
    copied += file.size;
  }
  return sliceDir;
}

function folderBytes(folder) {
  return listFiles(folder).reduce((sum, file) => sum + file.size, 0);
}

/** Runs a command and returns its wall time in milliseconds and its standard output. */
function timed(command, args, cwd, timeoutSeconds) {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, timeout: timeoutSeconds * 1000 });
  return { milliseconds: performance.now() - started, stdout: result.stdout ?? '', status: result.status, signal: result.signal, stderr: result.stderr ?? '' };
}

function runTessera(folder) {
  const run = timed(process.execPath, [cli, 'scan', '.', '--format', 'json', '--no-lookup'], folder, 3600);
  if (run.status !== 0 && run.status !== 1) throw new Error(`tessera scan failed: ${run.stderr}`);
  const report = JSON.parse(run.stdout);
  return { ...run, findings: report.findings.map((finding) => ({ key: `${finding.path}:${finding.line}`, rule: finding.ruleId })) };
}

function installSecretlint() {
  const folder = join(tmpdir(), `tessera-secretlint-${secretlintVersion}`);
  if (!existsSync(join(folder, 'node_modules', '.bin', 'secretlint'))) {
    npmInstall(folder, [`secretlint@${secretlintVersion}`, `@secretlint/secretlint-rule-preset-recommend@${secretlintVersion}`]);
  }
  writeFileSync(join(folder, '.secretlintrc.json'), JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }));
  return folder;
}

function runSecretlint(installFolder, folder, timeoutSeconds) {
  const binary = join(installFolder, 'node_modules', '.bin', 'secretlint');
  // Written to a file: piped standard output of several hundred MB arrived cut short.
  const outputFile = join(installFolder, 'result.json');
  rmSync(outputFile, { force: true });
  const run = timed(
    binary,
    ['**/*', '--format', 'json', '--output', outputFile, '--secretlintrc', join(installFolder, '.secretlintrc.json'), '--no-color'],
    folder,
    timeoutSeconds,
  );
  if (run.signal || !existsSync(outputFile)) return { ...run, finished: false, findings: [] };
  const results = JSON.parse(readFileSync(outputFile, 'utf8'));
  const findings = results.flatMap((result) =>
    result.messages.map((message) => ({ key: `${relative(folder, result.filePath)}:${message.loc.start.line}`, rule: message.ruleId })),
  );
  return { ...run, finished: true, findings };
}

function compare(tessera, secretlint) {
  const tesseraKeys = new Set(tessera.map((finding) => finding.key));
  const secretlintKeys = new Set(secretlint.map((finding) => finding.key));
  const both = [...tesseraKeys].filter((key) => secretlintKeys.has(key));
  const onlyTessera = tessera.filter((finding) => !secretlintKeys.has(finding.key));
  const onlySecretlint = secretlint.filter((finding) => !tesseraKeys.has(finding.key));
  return { both: both.length, onlyTessera, onlySecretlint };
}

const megabytesPerSecond = (bytes, milliseconds) => formatNumber(bytes / 1024 / 1024 / (milliseconds / 1000), 1);

printMachineInfo('Scanner throughput vs secretlint');
buildCorpus();
const allBytes = folderBytes(join(corpusDir, 'all'));
const sliceDir = buildSlice(sliceBytes);
const sliceBytesActual = folderBytes(sliceDir);
console.log(`corpus ${formatNumber(allBytes / 1024 / 1024, 1)} MB in ${corpusDir}/all; slice ${formatNumber(sliceBytesActual / 1024 / 1024, 1)} MB`);

const whole = runTessera(join(corpusDir, 'all'));
const secretlintFolder = installSecretlint();
const tesseraSlice = runTessera(sliceDir);
const secretlintSlice = runSecretlint(secretlintFolder, sliceDir, Number(options['secretlint-timeout']));

printTable(
  ['tool', 'input', 'wall s', 'MB/s', 'findings'],
  [
    [
      'tessera scan (2 threads)',
      `whole corpus, ${formatNumber(allBytes / 1024 / 1024, 0)} MB`,
      formatNumber(whole.milliseconds / 1000, 1),
      megabytesPerSecond(allBytes, whole.milliseconds),
      whole.findings.length,
    ],
    [
      'tessera scan (2 threads)',
      `slice, ${formatNumber(sliceBytesActual / 1024 / 1024, 0)} MB`,
      formatNumber(tesseraSlice.milliseconds / 1000, 1),
      megabytesPerSecond(sliceBytesActual, tesseraSlice.milliseconds),
      tesseraSlice.findings.length,
    ],
    [
      `secretlint ${secretlintVersion} + preset-recommend`,
      `slice, ${formatNumber(sliceBytesActual / 1024 / 1024, 0)} MB`,
      secretlintSlice.finished ? formatNumber(secretlintSlice.milliseconds / 1000, 1) : `> ${options['secretlint-timeout']} (stopped)`,
      secretlintSlice.finished ? megabytesPerSecond(sliceBytesActual, secretlintSlice.milliseconds) : '-',
      secretlintSlice.finished ? secretlintSlice.findings.length : '-',
    ],
  ],
);
if (secretlintSlice.finished) {
  console.log(`\nthroughput ratio on the slice: tessera / secretlint = ${formatNumber(secretlintSlice.milliseconds / tesseraSlice.milliseconds, 1)}`);
  const { both, onlyTessera, onlySecretlint } = compare(tesseraSlice.findings, secretlintSlice.findings);
  console.log(
    `\nfindings on the slice by file and line: ${both} found by both, ${onlyTessera.length} only by tessera, ${onlySecretlint.length} only by secretlint`,
  );
  for (const finding of onlySecretlint) console.log(`  only secretlint: ${finding.key} ${finding.rule}`);
  for (const finding of onlyTessera) console.log(`  only tessera: ${finding.key} ${finding.rule}`);
} else {
  console.log(`\nsecretlint did not finish the slice within ${options['secretlint-timeout']} s; rerun with a smaller --slice-megabytes`);
}
