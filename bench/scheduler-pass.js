// The scheduler's token pass over 100,000 tokens, and cached verification throughput while it runs.
//
// Builds an installation with 100,000 active tokens in one keyspace. 1,000 expire in 10 days, so
// the 14-day expiry warning is due for them. The rest expire in 20 to 90 days, and all were used an
// hour ago, so nothing else is due. The pass runs as `tessera serve` runs it: the `token-lifecycle`
// job of `tesseraJobs` (scheduler/jobs.js), run by a `Scheduler` with the default options, so with
// the default pacing (scheduler/pacer.js) and the job's bookkeeping queries. Then:
//  1. times the pass with the 1,000 warnings due and with nothing due (the steady state of a pass
//     every minute). The warnings' notices are deleted before each round, so every round sends all
//     1,000 again. Each pass runs paced as in `serve` and, for comparison, unpaced:
//     `runLifecyclePass` called directly only yields to the event loop between pages;
//  2. measures in-process `verifyToken` on a cached token, alternating rounds with no pass running
//     and with paced passes with nothing due running back to back, and reports the ratio of the two;
//  3. measures the same while one paced pass with the 1,000 warnings due runs, for as long as it
//     runs, against the same time with no pass.
// Aim for parts 2 and 3: ratio >= 0.9.
// The verification loop yields to the event loop after every 1,000 calls, as a server does between
// requests, so that the pass's database work can interleave.
//
// Usage: npm run build && node bench/scheduler-pass.js [--tokens 100000] [--due 1000] [--rounds 5]
//        [--seconds 2] [--database-url postgres://127.0.0.1/empty_db]
// Without --database-url the installation is a SQLite file in a temporary directory.
import { parseArgs } from 'node:util';
import { formatLoadAverage, formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

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
  { defaultJobOptions, tesseraJobs },
  { Scheduler },
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
  importDist('scheduler/jobs.js'),
  importDist('scheduler/scheduler.js'),
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

/**
 * Returns a scheduler that runs only the `token-lifecycle` job of `serve`, with `serve`'s default
 * options, and a function that runs the job once as `serve` would and returns the pass's summary.
 * The clock moves a minute first, so the job is due.
 */
function pacedPassRunner(context) {
  const job = tesseraJobs(defaultJobOptions).find((candidate) => candidate.name === 'token-lifecycle');
  let summary;
  const recorded = { ...job, run: async (jobContext, pace) => (summary = await job.run(jobContext, pace)) };
  const scheduler = new Scheduler(context, [recorded], { busyShare: defaultJobOptions.busyShare });
  return async () => {
    current += 60_000;
    summary = undefined;
    const outcomes = await scheduler.runDueJobs();
    if (outcomes['token-lifecycle'] !== 'ran') throw new Error(`the token-lifecycle job did not run: ${outcomes['token-lifecycle']}`);
    return summary;
  };
}

async function unpacedPass(context) {
  current += 60_000;
  return runLifecyclePass(context);
}

async function timePass(runPass) {
  const start = process.hrtime.bigint();
  const summary = await runPass();
  return { milliseconds: Number(process.hrtime.bigint() - start) / 1e6, summary };
}

/**
 * Runs cached verifications for `seconds`, or until `until` settles, yielding to the event loop
 * between batches. Returns operations per second of wall time and per second of the process's CPU
 * time (all threads). The second moves less when other processes take CPU from this one.
 */
async function measureVerification(context, request, seconds, until = undefined) {
  const budget = BigInt(Math.round(seconds * 1e9));
  let settled = false;
  until?.then(
    () => (settled = true),
    () => (settled = true),
  );
  const start = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  let operations = 0;
  let elapsed = 0n;
  while (until ? !settled : elapsed < budget) {
    for (let i = 0; i < batchSize; i += 1) {
      const result = await verifyToken(context, request, everyKeyspace);
      if (result.code !== 'VALID') throw new Error(`verification returned ${result.code}`);
    }
    operations += batchSize;
    await new Promise((resolve) => setImmediate(resolve));
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(startCpu);
  return { perSecond: operations / (Number(elapsed) / 1e9), perCpuSecond: operations / ((cpu.user + cpu.system) / 1e6) };
}

/**
 * Prints the per-round verification rates with and without passes, their ratios by wall time and
 * by CPU time, the medians, and whether the aim is met. Each row has `idle` and `busy` results of
 * `measureVerification`.
 */
function printRatioTable(rows, title, passColumn) {
  const ratios = rows.map((row) => row.busy.perSecond / row.idle.perSecond);
  const cpuRatios = rows.map((row) => row.busy.perCpuSecond / row.idle.perCpuSecond);
  const table = rows.map((row, index) => [
    String(row.round),
    formatNumber(row.idle.perSecond),
    formatNumber(row.busy.perSecond),
    String(row.passes),
    formatNumber(ratios[index], 2),
    formatNumber(cpuRatios[index], 2),
  ]);
  const ratio = median(ratios);
  table.push([
    '**median**',
    `**${formatNumber(median(rows.map((row) => row.idle.perSecond)))}**`,
    `**${formatNumber(median(rows.map((row) => row.busy.perSecond)))}**`,
    '',
    `**${formatNumber(ratio, 2)}**`,
    `**${formatNumber(median(cpuRatios), 2)}**`,
  ]);
  console.log(`\n${title}\n`);
  printTable(['round', 'verify ops/s, no pass', 'verify ops/s, with passes', passColumn, 'ratio', 'ratio by CPU time'], table);
  console.log(`\naim: ratio >= 0.9 — ${ratio >= 0.9 ? 'met' : 'missed'} (${formatNumber(ratio, 2)})`);
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

  // Part 1: the pass itself, paced as in `serve` and unpaced.
  const pacedPass = pacedPassRunner(context);
  const passRuns = [
    { label: 'paced', run: pacedPass },
    { label: 'unpaced', run: () => unpacedPass(context) },
  ];
  const durations = { paced: { due: [], steady: [] }, unpaced: { due: [], steady: [] } };
  for (let round = 1; round <= rounds; round += 1) {
    // Alternating the order keeps the cost of a warm or cold cache off one side.
    for (const { label, run } of round % 2 === 1 ? passRuns : [...passRuns].reverse()) {
      await context.db.deleteFrom('token_notices').execute();
      const due = await timePass(run);
      if (due.summary.expiryWarnings !== dueCount) throw new Error(`expected ${dueCount} warnings, the ${label} pass sent ${due.summary.expiryWarnings}`);
      durations[label].due.push(due.milliseconds);

      const steady = await timePass(run);
      if (Object.values(steady.summary).some((count) => count !== 0))
        throw new Error(`a ${label} pass with nothing due reported ${JSON.stringify(steady.summary)}`);
      durations[label].steady.push(steady.milliseconds);
    }
  }
  const rangeCells = (values) => [formatNumber(median(values)), formatNumber(Math.min(...values)), formatNumber(Math.max(...values))];
  console.log(
    `\n${rounds} rounds; ${formatNumber(tokenCount)} tokens, ${formatNumber(dueCount)} with the 14-day warning due; busy share ${defaultJobOptions.busyShare}\n`,
  );
  printTable(
    ['pass', 'pacing', 'median ms', 'min ms', 'max ms'],
    [
      [`${formatNumber(dueCount)} warnings due`, 'paced as in serve', ...rangeCells(durations.paced.due)],
      [`${formatNumber(dueCount)} warnings due`, 'unpaced', ...rangeCells(durations.unpaced.due)],
      ['nothing due', 'paced as in serve', ...rangeCells(durations.paced.steady)],
      ['nothing due', 'unpaced', ...rangeCells(durations.unpaced.steady)],
    ],
  );

  const request = { token: secret, scopes: [], ip: '127.0.0.1' };
  await measureVerification(context, request, 0.5);

  // Part 2: verification with and without paced passes with nothing due running back to back.
  const rows = [];
  for (let round = 1; round <= rounds; round += 1) {
    let passes = 0;
    let running = true;
    const measureBusy = async () => {
      const loop = (async () => {
        while (running) {
          await pacedPass();
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
    rows.push({ round, idle, busy, passes });
  }
  printRatioTable(rows, `${rounds} rounds of ${secondsPerSide} s per side; paced passes with nothing due run back to back on the "with passes" side`, 'passes');

  // Part 3: verification while one paced pass with the warnings due runs, against the same time with no pass.
  const dueRows = [];
  for (let round = 1; round <= rounds; round += 1) {
    const measureBusy = async () => {
      await context.db.deleteFrom('token_notices').execute();
      const start = process.hrtime.bigint();
      const pass = pacedPass();
      const rates = await measureVerification(context, request, 0, pass);
      const summary = await pass;
      if (summary.expiryWarnings !== dueCount) throw new Error(`expected ${dueCount} warnings, the pass sent ${summary.expiryWarnings}`);
      return { rates, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
    };
    // The side without a pass runs as long as the median paced pass of part 1, or as long as this round's pass.
    let idle;
    let busy;
    if (round % 2 === 1) {
      idle = await measureVerification(context, request, median(durations.paced.due) / 1000);
      busy = await measureBusy();
    } else {
      busy = await measureBusy();
      idle = await measureVerification(context, request, busy.seconds);
    }
    dueRows.push({ round, idle, busy: busy.rates, passes: `${formatNumber(busy.seconds, 1)} s` });
  }
  printRatioTable(
    dueRows,
    `${rounds} rounds; one paced pass with ${formatNumber(dueCount)} warnings due runs on the "with passes" side, for as long as it takes`,
    'pass wall time',
  );
  console.log(`\nload average at the end ${formatLoadAverage()} (1, 5, 15 minutes)`);
} finally {
  await tessera.close();
  await removeDir(dataDir);
}
