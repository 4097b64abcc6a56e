// Cold start of `tessera serve` on an empty data directory.
//
// Each run spawns `node packages/tessera/bin/tessera.js serve --data-dir <new temporary dir>
// --port <free port>` and polls GET http://127.0.0.1:<port>/readyz until it returns 200. The time
// from spawn to that 200 includes Node start-up, loading the modules, creating the key file and the
// SQLite database, running the migrations, listening and creating the first admin token. The
// median of several runs is reported. Aim: under 1 s.
//
// Usage: npm run build && node bench/cold-start.js [--runs 7]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanEnvironment, formatNumber, freePort, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild, distDir } from './support.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs must be a positive integer');
  process.exit(2);
}

const pollIntervalMilliseconds = 5;
// A start that takes longer than this counts as failed rather than slow.
const startTimeoutMilliseconds = 30_000;
// The binary beside the build under test, so TESSERA_BENCH_DIST applies here too.
const binary = join(dirname(distDir), 'bin', 'tessera.js');

/** Resolves with the status code of GET /readyz, or null when nothing listens yet. */
function readiness(port) {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/readyz', method: 'GET', timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(null));
    probe.end();
  });
}

const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Starts one server on a new data directory and returns the milliseconds until /readyz is 200. */
async function measureStart() {
  const dataDir = await makeTempDir('cold-start');
  const port = await freePort();
  // Output is discarded: standard error carries the first admin token, which must not be printed.
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [binary, 'serve', '--data-dir', dataDir, '--port', String(port)], { env: cleanEnvironment(), stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  try {
    for (;;) {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (exited) throw new Error(`tessera serve exited before it was ready (exit code ${child.exitCode})`);
      if (elapsed > startTimeoutMilliseconds) throw new Error(`tessera serve was not ready after ${startTimeoutMilliseconds} ms`);
      const status = await readiness(port);
      if (status === 200) return Number(process.hrtime.bigint() - start) / 1e6;
      await sleep(pollIntervalMilliseconds);
    }
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await removeDir(dataDir);
  }
}

requireBuild();
printMachineInfo('cold-start');

const timings = [];
for (let run = 1; run <= runs; run += 1) timings.push(await measureStart());

console.log(`\n${runs} runs; /readyz polled every ${pollIntervalMilliseconds} ms\n`);
const table = timings.map((milliseconds, index) => [String(index + 1), formatNumber(milliseconds)]);
table.push(['**median**', `**${formatNumber(median(timings))}**`]);
printTable(['run', 'spawn to /readyz 200 (ms)'], table);

const result = median(timings);
console.log(`\naim: median under 1000 ms — ${result < 1000 ? 'met' : 'missed'} (${formatNumber(result)} ms)`);
