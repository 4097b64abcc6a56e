// The scheduler's token pass over 100,000 tokens, and cached verification throughput while it runs.
//
// Builds an installation with 100,000 active tokens in one keyspace. 1,000 expire in 10 days, so
// the 14-day expiry warning is due for them. The rest expire in 20 to 90 days, and all were used an
// hour ago, so nothing else is due. Then:
//  1. times `runLifecyclePass` (services/token-lifecycle.js) with the 1,000 warnings due (their
//     notices are deleted before each round, so every round sends all 1,000 again) and with
//     nothing due (the steady state of a pass every minute);
//  2. measures in-process `verifyToken` on a cached token, alternating rounds with no pass running
//     and with passes running back to back, and reports the ratio of the two. Aim: ratio >= 0.9.
// The verification loop yields to the event loop after every 1,000 calls, as a server does between
// requests, so that the pass's database work can interleave.
//
// Usage: npm run build && node bench/scheduler-pass.js [--tokens 100000] [--due 1000] [--rounds 5]
//        [--seconds 2] [--database-url postgres://127.0.0.1/empty_db]
// Without --database-url the installation is a SQLite file in a temporary directory.
import { parseArgs } from 'node:util';
import { formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    tokens: { type: 'string', default: '100000' },
    due: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    'database-url': { type: 'string' },
  },
});
const tokenCount = Number(options.tokens);
const dueCount = Number(options.due);
const rounds = Number(options.rounds);
const secondsPerSide = Number(options.seconds);
if (![tokenCount, dueCount, rounds].every(Number.isInteger) || dueCount > tokenCount || rounds < 1 || !(secondsPerSide > 0)) {
  console.error('--tokens, --due and --rounds must be integers with --due at most --tokens, and --seconds a positive number');
  process.exit(2);
}

const day = 86_400_000;
const batchSize = 1000;

requireBuild();
const [
  { Tessera },
  { initialise },
  { localOperator },
  { createKeyspace },
  tokens,
  { runLifecyclePass },
  { verifyToken },
  { generateToken },
  { everyKeyspace },
] = await Promise.all([
  importDist('services/tessera.js'),
  importDist('services/bootstrap.js'),
  importDist('services/actor.js'),
  importDist('services/keyspaces.js'),
  importDist('services/tokens.js'),
  importDist('services/token-lifecycle.js'),
  importDist('services/verifier.js'),
  importDist('core/token-format.js'),
  importDist('services/authorization.js'),
]);

/** Inserts the tokens straight into the store in batches: issuing 100,000 through the API would take minutes and measure nothing here. */
async function insertTokens(context, keyspace, now) {
  for (let start = 0; start < tokenCount; start += batchSize) {
    const rows = [];
    for (let index = start; index < Math.min(start + batchSize, tokenCount); index += 1) {
      const expiresAt = index < dueCount ? now + 10 * day : now + (20 + (index % 70)) * day;
      const row = tokens.newTokenRow(context, keyspace, generateToken(keyspace.prefix), now - day, {
        name: `fleet-${index}`,
        owner: 'fleet-team',
        description: null,
        scopes: '[]',
        expires_at: expiresAt,
        metadata: '{}',
        created_by: null,
        predecessor_id: null,
        admin_keyspaces: null,
      });
      rows.push({ ...row, last_used_at: now - 3_600_000, last_used_ip: '127.0.0.1' });
    }
    await context.db.insertInto('tokens').values(rows).execute();
  }
}

async function timePass(context) {
  const start = process.hrtime.bigint();
  const summary = await runLifecyclePass(context);
  return { milliseconds: Number(process.hrtime.bigint() - start) / 1e6, summary };
}

/** Runs cached verifications for `seconds` and returns operations per second, yielding to the event loop between batches. */
async function measureVerification(context, request, seconds) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let operations = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < batchSize; i += 1) {
      const result = await verifyToken(context, request, everyKeyspace);
      if (result.code !== 'VALID') throw new Error(`verification returned ${result.code}`);
    }
    operations += batchSize;
    await new Promise((resolve) => setImmediate(resolve));
    elapsed = process.hrtime.bigint() - start;
  }
  return operations / (Number(elapsed) / 1e9);
}

printMachineInfo('scheduler-pass');
const databaseUrl = options['database-url'];
const dataDir = await makeTempDir('scheduler');
let current = Date.parse('2026-06-01T12:00:00Z');
const clock = { now: () => current };
const tessera = await Tessera.open({ dataDir, databaseUrl, create: true, clock });
const { context } = tessera;
context.usage.start();

try {
  const operator = localOperator();
  await initialise(context, operator);
  await createKeyspace(context, operator, { name: 'fleet', prefix: 'fleet' });
  const keyspace = await context.db.selectFrom('keyspaces').selectAll().where('name', '=', 'fleet').executeTakeFirstOrThrow();
  const setupStart = Date.now();
  await insertTokens(context, keyspace, current);
  const { secret } = await tokens.issueToken(context, operator, { keyspace: 'fleet', name: 'verified', scopes: [], expiresInSeconds: 60 * 86400 });
  console.log(`${context.dialect}: inserted ${formatNumber(tokenCount)} tokens in ${formatNumber((Date.now() - setupStart) / 1000, 1)} s`);

  // Part 1: the pass itself.
  const withWarnings = [];
  const steady = [];
  for (let round = 1; round <= rounds; round += 1) {
    await context.db.deleteFrom('token_notices').execute();
    current += 60_000;
    const due = await timePass(context);
    if (due.summary.expiryWarnings !== dueCount) throw new Error(`expected ${dueCount} warnings, the pass sent ${due.summary.expiryWarnings}`);
    withWarnings.push(due.milliseconds);

    current += 60_000;
    const idle = await timePass(context);
    if (Object.values(idle.summary).some((count) => count !== 0)) throw new Error(`a pass with nothing due reported ${JSON.stringify(idle.summary)}`);
    steady.push(idle.milliseconds);
  }
  console.log(`\n${rounds} rounds; ${formatNumber(tokenCount)} tokens, ${formatNumber(dueCount)} with the 14-day warning due\n`);
  printTable(
    ['pass', 'median ms', 'min ms', 'max ms'],
    [
      [
        `${formatNumber(dueCount)} warnings due`,
        formatNumber(median(withWarnings)),
        formatNumber(Math.min(...withWarnings)),
        formatNumber(Math.max(...withWarnings)),
      ],
      ['nothing due', formatNumber(median(steady)), formatNumber(Math.min(...steady)), formatNumber(Math.max(...steady))],
    ],
  );

  // Part 2: verification with and without passes running.
  const request = { token: secret, scopes: [], ip: '127.0.0.1' };
  await measureVerification(context, request, 0.5);
  const rows = [];
  for (let round = 1; round <= rounds; round += 1) {
    let passes = 0;
    let running = true;
    const measureBusy = async () => {
      const loop = (async () => {
        while (running) {
          current += 60_000;
          await runLifecyclePass(context);
          passes += 1;
          // A server runs one pass a minute; back to back, the loop must still let other work in between passes.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const rate = await measureVerification(context, request, secondsPerSide);
      running = false;
      await loop;
      return rate;
    };
    let idle;
    let busy;
    if (round % 2 === 1) {
      idle = await measureVerification(context, request, secondsPerSide);
      busy = await measureBusy();
    } else {
      busy = await measureBusy();
      idle = await measureVerification(context, request, secondsPerSide);
    }
    rows.push({ round, idle, busy, passes, ratio: busy / idle });
  }
  const table = rows.map((row) => [String(row.round), formatNumber(row.idle), formatNumber(row.busy), String(row.passes), formatNumber(row.ratio, 2)]);
  const ratio = median(rows.map((row) => row.ratio));
  table.push([
    '**median**',
    `**${formatNumber(median(rows.map((row) => row.idle)))}**`,
    `**${formatNumber(median(rows.map((row) => row.busy)))}**`,
    '',
    `**${formatNumber(ratio, 2)}**`,
  ]);
  console.log(`\n${rounds} rounds of ${secondsPerSide} s per side; passes with nothing due run back to back on the "with passes" side\n`);
  printTable(['round', 'verify ops/s, no pass', 'verify ops/s, with passes', 'passes', 'ratio'], table);
  console.log(`\naim: ratio >= 0.9 — ${ratio >= 0.9 ? 'met' : 'missed'} (${formatNumber(ratio, 2)})`);
} finally {
  await tessera.close();
  await removeDir(dataDir);
}
