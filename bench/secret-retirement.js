// The secret retirement report on a secret read every 10 minutes for a year, among other audit entries.
//
// Builds an installation with one rotated secret and inserts --reads `secret.reveal` audit entries
// for it, one every --interval minutes up to 5 days after the rotation, by 20 readers, plus
// --others entries about other targets. The report reads only the 30 days before the rotation and
// the time since, so most of the secret's entries are outside its range. The entries go straight into the store, so their hash
// chain does not verify; the report does not read it. Then times `getSecretRetirement`
// (services/secret-retirement.js) --rounds times with the index of migration
// 0008_audit_target_action_index, and again after dropping it, to show what the index is for.
//
// Usage: npm run build && node bench/secret-retirement.js [--reads 50000] [--interval 10] [--others 200000] [--rounds 5]
//        [--database-url postgres://127.0.0.1/empty_db]
// Without --database-url the installation is a SQLite file in a temporary directory.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    reads: { type: 'string', default: '50000' },
    interval: { type: 'string', default: '10' },
    others: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    'database-url': { type: 'string' },
  },
});
const readCount = Number(options.reads);
const intervalMinutes = Number(options.interval);
const otherCount = Number(options.others);
const rounds = Number(options.rounds);
if (![readCount, intervalMinutes, otherCount, rounds].every(Number.isInteger) || rounds < 1 || intervalMinutes < 1) {
  console.error('invalid option: --reads, --interval, --others and --rounds must be whole numbers, --interval and --rounds at least 1');
  process.exit(2);
}

const minute = 60_000;
const day = 86_400_000;
const batchSize = 500;
const readerCount = 20;

requireBuild();
const [{ Tessera }, { initialise }, { localOperator }, { createSecret }, { getSecretRetirement }] = await Promise.all([
  importDist('services/tessera.js'),
  importDist('services/bootstrap.js'),
  importDist('services/actor.js'),
  importDist('services/secrets.js'),
  importDist('services/secret-retirement.js'),
]);

function auditRow(seq, occurredAt, targetId, readerIndex, revealedVersion) {
  return {
    seq,
    id: randomUUID(),
    occurred_at: occurredAt,
    actor_type: 'token',
    actor_id: `reader-${readerIndex}`,
    actor_hint: null,
    action: 'secret.reveal',
    target_type: 'secret',
    target_id: targetId,
    keyspace: null,
    source_ip: `127.0.0.${readerIndex + 1}`,
    outcome: 'success',
    details: JSON.stringify({ name: 'BENCH_KEY', environment: 'production', version: 2, revealedVersion, purpose: 'run' }),
    prev_hash: '',
    hash: '',
  };
}

/** Inserts the reveal entries of the secret, then the entries about other targets, in batches. */
async function insertEntries(context, secretId, rotatedAt) {
  let seq = 1_000_000;
  const firstRead = rotatedAt + 5 * day - readCount * intervalMinutes * minute;
  let rows = [];
  const flush = async () => {
    if (rows.length > 0) await context.db.insertInto('audit_log').values(rows).execute();
    rows = [];
  };
  for (let index = 0; index < readCount; index += 1) {
    const occurredAt = firstRead + index * intervalMinutes * minute;
    // After the rotation, one reader in four still reads the old version.
    const afterRotation = occurredAt >= rotatedAt;
    const stillOnOld = index % readerCount < readerCount / 4;
    const revealedVersion = afterRotation && !stillOnOld ? 2 : 1;
    rows.push(auditRow((seq += 1), occurredAt, secretId, index % readerCount, revealedVersion));
    if (rows.length === batchSize) await flush();
  }
  for (let index = 0; index < otherCount; index += 1) {
    rows.push(auditRow((seq += 1), firstRead + (index % (35 * 1440)) * minute, `other-${index % 1000}`, index % readerCount, 1));
    if (rows.length === batchSize) await flush();
  }
  await flush();
}

async function timeReports(context, operator) {
  const times = [];
  let report = null;
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    report = await getSecretRetirement(context, operator, 'production', 'BENCH_KEY');
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { times, report };
}

printMachineInfo('secret-retirement');
const databaseUrl = options['database-url'];
const dataDir = await makeTempDir('retirement');
const rotatedAt = Date.parse('2026-06-01T12:00:00Z');
let current = rotatedAt + 5 * day;
const clock = { now: () => current };
const tessera = await Tessera.open({ dataDir, databaseUrl, create: true, clock });
const { context } = tessera;

try {
  const operator = localOperator();
  await initialise(context, operator);
  current = rotatedAt + 5 * day - (readCount * intervalMinutes + 1) * minute;
  const { secret } = await createSecret(context, operator, { name: 'BENCH_KEY', environment: 'production', value: `bench-${randomUUID()}` });
  current = rotatedAt + 5 * day;
  await context.db
    .insertInto('secret_rotations')
    .values({
      id: randomUUID(),
      secret_id: secret.id,
      state: 'current',
      from_version: 1,
      to_version: 2,
      staged_ciphertext: null,
      staged_wrapped_key: null,
      staged_key_version: null,
      error: null,
      started_at: rotatedAt,
      updated_at: rotatedAt,
      grace_ends_at: rotatedAt + 7 * day,
      started_by: operator.id,
    })
    .execute();

  const setupStart = Date.now();
  await insertEntries(context, secret.id, rotatedAt);
  console.log(
    `inserted ${formatNumber(readCount)} reveal entries and ${formatNumber(otherCount)} others in ${formatNumber((Date.now() - setupStart) / 1000, 1)} s`,
  );

  const indexed = await timeReports(context, operator);
  await context.db.schema.dropIndex('audit_log_target_action_idx').execute();
  const unindexed = await timeReports(context, operator);

  const summary = (times) => `${formatNumber(median(times), 1)} ms (${formatNumber(Math.min(...times), 1)}–${formatNumber(Math.max(...times), 1)})`;
  const report = indexed.report;
  console.log(
    `report: ${report.previousVersionReads.count} reads of version 1 since the rotation by ${report.previousVersionReads.readers.length} readers, ${report.notSwitched.length} not switched`,
  );
  printTable(
    ['store', 'reveal entries, one every', 'other entries', 'report with index, median (min–max)', 'report without index, median (min–max)'],
    [
      [
        databaseUrl ? 'PostgreSQL' : 'SQLite',
        `${formatNumber(readCount)}, ${intervalMinutes} min`,
        formatNumber(otherCount),
        summary(indexed.times),
        summary(unindexed.times),
      ],
    ],
  );
} finally {
  await tessera.close();
  await removeDir(dataDir);
}
