// Helpers shared by the benchmarks: machine facts, statistics, temporary data directories and
// loopback ports. The benchmarks import the built product from packages/tessera/dist, so run
// `npm run build` first. TESSERA_BENCH_DIST names another build's dist directory instead, to
// compare two versions of the code on the same machine.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const distDir = process.env['TESSERA_BENCH_DIST'] ? resolve(process.env['TESSERA_BENCH_DIST']) : join(repositoryRoot, 'packages', 'tessera', 'dist');

/** Exits with a message when the product has not been built, because every benchmark imports dist/. */
export function requireBuild() {
  if (!existsSync(join(distDir, 'http', 'start.js'))) {
    console.error(`missing ${join(distDir, 'http', 'start.js')}; run \`npm run build\` first`);
    process.exit(2);
  }
}

/** Imports a module of the built product by its path under dist/, e.g. 'services/verifier.js'. */
export function importDist(path) {
  return import(join(distDir, path));
}

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // Not Linux; fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** Collects the machine facts that docs/benchmarks.md records beside each result. */
export function machineInfo() {
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    loadAverage: loadavg(),
  };
}

/** Formats the 1, 5 and 15-minute load averages, which tell how much other work shared the CPUs. */
export function formatLoadAverage(averages = loadavg()) {
  return averages.map((value) => value.toFixed(2)).join(', ');
}

export function printMachineInfo(title) {
  const info = machineInfo();
  console.log(`# ${title}`);
  console.log(`date ${info.date}, ${info.cpus} CPUs (${info.cpuModel}), ${info.memoryGiB} GiB memory, Node ${info.node}`);
  console.log(`load average ${formatLoadAverage(info.loadAverage)} (1, 5, 15 minutes)`);
  console.log(`build ${distDir}`);
}

export function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Formats a number with thousands separators and the given decimals. */
export function formatNumber(value, decimals = 0) {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Prints rows (arrays of cells) as a Markdown table, so results paste into docs/benchmarks.md. */
export function printTable(header, rows) {
  const lines = [header, header.map(() => '---'), ...rows];
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}

export function makeTempDir(label) {
  return mkdtemp(join(tmpdir(), `tessera-bench-${label}-`));
}

export function removeDir(path) {
  return rm(path, { recursive: true, force: true });
}

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before
 * the caller binds it; the benchmarks then fail with EADDRINUSE rather than measure the wrong server.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Returns an environment for child processes without the Tessera variables of the caller's shell, except
 * TESSERA_BENCH_DIST, which children of the benchmarks need to load the same build.
 */
export function cleanEnvironment() {
  const environment = { ...process.env };
  for (const name of Object.keys(environment)) {
    if ((name.startsWith('TESSERA_') && name !== 'TESSERA_BENCH_DIST') || name === 'DATABASE_URL') delete environment[name];
  }
  return environment;
}

/**
 * Opens a fresh SQLite installation in `dataDir` and issues one token of keyspace `bench` with
 * two scopes, through the product's services. Returns the open installation and the plaintext.
 */
export async function openBenchInstallation(dataDir) {
  const [{ Tessera }, { initialise }, { localOperator }, { createKeyspace }, { issueToken }] = await Promise.all([
    importDist('services/tessera.js'),
    importDist('services/bootstrap.js'),
    importDist('services/actor.js'),
    importDist('services/keyspaces.js'),
    importDist('services/tokens.js'),
  ]);
  const tessera = await Tessera.open({ dataDir, create: true });
  const operator = localOperator();
  await initialise(tessera.context, operator);
  const { secret } = await createBenchToken(tessera.context, operator, { createKeyspace, issueToken });
  return { tessera, token: secret };
}

/** Creates keyspace `bench` and one token in it with the given service functions. */
export async function createBenchToken(context, operator, { createKeyspace, issueToken }) {
  await createKeyspace(context, operator, { name: 'bench', prefix: 'bench', scopes: ['invoices:read', 'invoices:write'] });
  return issueToken(context, operator, {
    keyspace: 'bench',
    name: 'benchmark token',
    owner: 'bench-service',
    scopes: ['invoices:read', 'invoices:write'],
    expiresInSeconds: 30 * 86400,
  });
}
