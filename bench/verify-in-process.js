// In-process verification of a cached token against a bare HMAC-SHA-256 loop.
//
// Measures `verifyToken` (services/verifier.js) on a real installation in a temporary SQLite data
// directory, with the token already in the verification cache. In the same run, a bare loop
// computes createHmac('sha256', key).update(token).digest('base64url') with the same hashing key
// over a token of the same length. The two alternate for several rounds, and the script reports
// the median of each and the median of the per-round ratios. Aim: ratio at least 0.5.
//
// Usage: npm run build && node bench/verify-in-process.js [--rounds 7] [--seconds 1]
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatNumber, importDist, makeTempDir, median, openBenchInstallation, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '1' },
  },
});
const rounds = Number(options.rounds);
const secondsPerSide = Number(options.seconds);
if (!Number.isInteger(rounds) || rounds < 1 || !(secondsPerSide > 0)) {
  console.error('--rounds must be a positive integer and --seconds a positive number');
  process.exit(2);
}

// Operations between clock reads; small enough that a side overruns its time by well under 1 %.
const batchSize = 1000;

/**
 * Runs `batch` repeatedly for `seconds` and returns operations per second of wall time and per
 * second of this process's CPU time. The second is steadier when other processes share the CPUs.
 */
async function measure(seconds, batch) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let operations = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    await batch();
    operations += batchSize;
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { rate: operations / (Number(elapsed) / 1e9), cpuRate: operations / ((cpu.user + cpu.system) / 1e6) };
}

requireBuild();
const [{ verifyToken }, { generateToken }, { everyKeyspace }] = await Promise.all([
  importDist('services/verifier.js'),
  importDist('core/token-format.js'),
  importDist('services/authorization.js'),
]);

printMachineInfo('verify-in-process');
const dataDir = await makeTempDir('in-process');
const { tessera, token } = await openBenchInstallation(dataDir);
const { context } = tessera;
// The server starts the usage recorder too; its batched writes are part of a real installation.
context.usage.start();

try {
  const request = { token, scopes: ['invoices:read'], ip: '127.0.0.1' };
  const first = await verifyToken(context, request, everyKeyspace);
  if (first.code !== 'VALID') throw new Error(`the benchmark token did not verify: ${first.code}`);

  const hashingKey = context.keyRing.current.key;
  const bareToken = generateToken('bench');
  if (bareToken.length !== token.length) throw new Error('the bare loop token differs in length from the verified one');

  let lastResult = first;
  const verifyBatch = async () => {
    for (let i = 0; i < batchSize; i += 1) lastResult = await verifyToken(context, request, everyKeyspace);
  };
  // The digests are kept in a variable read after the run, so the loop cannot be optimised away.
  let digestLengths = 0;
  const hmacBatch = async () => {
    for (let i = 0; i < batchSize; i += 1) digestLengths += createHmac('sha256', hashingKey).update(bareToken).digest('base64url').length;
  };

  // Warm-up: lets V8 optimise both loops before anything is recorded.
  await measure(Math.min(0.5, secondsPerSide), verifyBatch);
  await measure(Math.min(0.5, secondsPerSide), hmacBatch);

  const missesBefore = context.cache.misses;
  const rows = [];
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate the order so that neither side always runs right after the other.
    let verify;
    let hmac;
    if (round % 2 === 1) {
      verify = await measure(secondsPerSide, verifyBatch);
      hmac = await measure(secondsPerSide, hmacBatch);
    } else {
      hmac = await measure(secondsPerSide, hmacBatch);
      verify = await measure(secondsPerSide, verifyBatch);
    }
    rows.push({ round, verifyRate: verify.rate, hmacRate: hmac.rate, ratio: verify.rate / hmac.rate, cpuRatio: verify.cpuRate / hmac.cpuRate });
  }

  if (lastResult.code !== 'VALID') throw new Error(`verification stopped returning VALID: ${lastResult.code}`);
  if (context.cache.misses !== missesBefore) throw new Error('the token left the verification cache during the run');
  if (digestLengths === 0) throw new Error('the bare HMAC loop did not run');

  const table = rows.map(({ round, verifyRate, hmacRate, ratio, cpuRatio }) => [
    String(round),
    formatNumber(verifyRate),
    formatNumber(hmacRate),
    formatNumber(ratio, 2),
    formatNumber(cpuRatio, 2),
  ]);
  table.push([
    '**median**',
    `**${formatNumber(median(rows.map((row) => row.verifyRate)))}**`,
    `**${formatNumber(median(rows.map((row) => row.hmacRate)))}**`,
    `**${formatNumber(median(rows.map((row) => row.ratio)), 2)}**`,
    `**${formatNumber(median(rows.map((row) => row.cpuRatio)), 2)}**`,
  ]);
  console.log(`\n${rounds} rounds of ${secondsPerSide} s per side; token length ${token.length}; verifyToken with scopes ['invoices:read']\n`);
  printTable(['round', 'verifyToken ops/s', 'bare HMAC ops/s', 'ratio', 'ratio by CPU time'], table);

  const ratio = median(rows.map((row) => row.ratio));
  console.log(`\naim: ratio >= 0.5 — ${ratio >= 0.5 ? 'met' : 'missed'} (${formatNumber(ratio, 2)})`);
} finally {
  await tessera.close();
  await removeDir(dataDir);
}
