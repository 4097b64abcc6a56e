// Wall time of `tessera scan --staged` for a typical staged change, Node start included.
//
// Builds a git repository of 40 source files of 200 lines, commits it, then changes 5 files
// (about 120 added or changed lines, one of them with a tessera:allow'ed fake key) and stages
// them. Each run spawns `node packages/tessera/bin/tessera.js scan --staged` in it, and the
// median over --runs is reported. Two baselines are measured in the same run: `node -e 0` (Node
// start alone) and `git diff --cached -U0` (the diff the scan reads). Aim: under 200 ms.
//
// Usage: npm run build && node bench/scan-precommit.js [--runs 15]
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { distDir, formatNumber, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(options.runs);
requireBuild();

const cli = join(dirname(distDir), 'bin', 'tessera.js');
const gitEnvironment = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

function sourceFile(index, lines) {
  return Array.from(
    { length: lines },
    (_, line) => `export function handler${index}_${line}(request, response) { return response.send({ id: request.params.id, line: ${line} }); }`,
  ).join('\n');
}

function wallTimes(command, args, cwd) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const result = spawnSync(command, args, { cwd, env: gitEnvironment, stdio: 'ignore' });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  }
  return median(times);
}

printMachineInfo('Scanner: pre-commit scan of a staged change');
const folder = await makeTempDir('scan-precommit');
try {
  const git = (...args) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: folder, env: gitEnvironment, stdio: 'ignore' });
  git('init', '-q');
  for (let index = 0; index < 40; index++) writeFileSync(join(folder, `file-${index}.js`), `${sourceFile(index, 200)}\n`);
  git('add', '.');
  git('commit', '-qm', 'start');

  for (let index = 0; index < 5; index++) {
    const extra = index === 0 ? `\nconst fixture = "AKIA${'Q'.repeat(4)}RSTUVWXYZ234567"; // tessera:allow test fixture` : '';
    writeFileSync(join(folder, `file-${index}.js`), `${sourceFile(index, 176)}\n${sourceFile(100 + index, 24)}${extra}\n`);
  }
  git('add', '.');

  const scan = wallTimes(process.execPath, [cli, 'scan', '--staged'], folder);
  const nodeStart = wallTimes(process.execPath, ['-e', '0'], folder);
  const diff = wallTimes('git', ['diff', '--cached', '-U0'], folder);
  printTable(
    ['command', `median wall ms of ${runs}`],
    [
      ['tessera scan --staged', formatNumber(scan, 0)],
      ['node -e 0 (Node start alone)', formatNumber(nodeStart, 0)],
      ['git diff --cached -U0', formatNumber(diff, 0)],
    ],
  );
  console.log(`\nscan time above Node start: ${formatNumber(scan - nodeStart, 0)} ms; aim: total under 200 ms`);
} finally {
  await removeDir(folder);
}
