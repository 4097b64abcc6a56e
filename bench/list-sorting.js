// One page of GET /v1/tokens under each sort, through the product's list service, on a store
// filled with tokens: the first page and a page from the middle of the order, median of several runs.
//
//   node bench/list-sorting.js [--tokens 100000] [--runs 15] [--limit 50] [--database-url postgres://127.0.0.1/...] [--index]
//
// `--index` adds an index on (column, id) for each sort field before measuring, to see whether
// the migrations need them. The fixture is written straight into the database, with owners,
// expiries and last uses missing on some rows, and filling it is not part of the measurement.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    tokens: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '15' },
    limit: { type: 'string', default: '50' },
    'database-url': { type: 'string' },
    index: { type: 'boolean', default: false },
  },
});
const tokenCount = Number(options.tokens);
const runs = Number(options.runs);
const limit = Number(options.limit);
const databaseUrl = options['database-url'];
if (databaseUrl && !/^postgres(ql)?:\/\/([^@/]+@)?(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(databaseUrl)) {
  console.error('--database-url must point at PostgreSQL on loopback');
  process.exit(2);
}

requireBuild();
const { Tessera } = await importDist('services/tessera.js');
const { initialise } = await importDist('services/bootstrap.js');
const { localOperator } = await importDist('services/actor.js');
const { listTokens } = await importDist('services/tokens.js');
const { v7: uuidv7 } = await import('uuid');

const day = 86_400_000;
const dataDir = await makeTempDir('list-sorting');
const sorts = [undefined, 'name', 'owner', 'createdAt', 'expiresAt', 'lastUsedAt'];

/** Writes `tokenCount` token rows of keyspace `bench` in batches. */
async function fill(db) {
  const now = Date.now();
  const keyspaceId = uuidv7();
  await db
    .insertInto('keyspaces')
    .values({ id: keyspaceId, name: 'bench', prefix: 'bench', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null })
    .execute();
  for (let start = 0; start < tokenCount; start += 500) {
    const rows = [];
    for (let index = start; index < Math.min(start + 500, tokenCount); index++) {
      const createdAt = now - (index % 365) * day;
      rows.push({
        id: uuidv7(),
        keyspace_id: keyspaceId,
        name: `${['Billing', 'reports', 'Deploy', 'search'][index % 4]} job ${(index * 7919) % tokenCount}`,
        owner: index % 7 === 0 ? null : `team-${index % 60}`,
        description: null,
        scopes: '[]',
        hash: randomBytes(32).toString('base64url'),
        hash_key_version: 1,
        hint: 'bench_…0000',
        state: 'active',
        created_at: createdAt,
        updated_at: createdAt,
        expires_at: index % 13 === 0 ? null : createdAt + ((index * 31) % 400) * day,
        last_used_at: index % 5 === 0 ? null : now - ((index * 17) % 150) * day,
        last_used_ip: null,
        metadata: '{}',
        created_by: null,
        predecessor_id: null,
        successor_id: null,
        state_reason: null,
        state_changed_at: null,
        admin_keyspaces: null,
        limits: null,
      });
    }
    await db.insertInto('tokens').values(rows).execute();
  }
}

/** Returns the median milliseconds of one list call and the last page it read. */
async function measure(context, operator, sort, cursor) {
  const times = [];
  let page;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    page = await listTokens(context, operator, { sort, limit, cursor });
    times.push(performance.now() - started);
  }
  return { milliseconds: median(times), page };
}

/** Returns the cursor after half of the rows, read by pages of 500 in that sort. */
async function middleCursor(context, operator, sort) {
  let cursor;
  for (let read = 0; read < tokenCount / 2; read += 500) {
    const page = await listTokens(context, operator, { sort, limit: 500, cursor });
    cursor = page.nextCursor ?? undefined;
  }
  return cursor;
}

const tessera = await Tessera.open({ dataDir, databaseUrl, create: true });
try {
  const { context } = tessera;
  const operator = localOperator();
  await initialise(context, operator);
  const fillStarted = performance.now();
  await fill(context.db);
  if (options.index) {
    for (const column of ['name', 'owner', 'created_at', 'expires_at', 'last_used_at']) {
      await context.db.schema.createIndex(`bench_tokens_${column}_idx`).on('tokens').columns([column, 'id']).execute();
    }
  }
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  const rows = [];
  for (const sort of sorts) {
    const first = await measure(context, operator, sort, undefined);
    const middle = await measure(context, operator, sort, await middleCursor(context, operator, sort));
    rows.push([sort ?? 'none (id)', first.milliseconds.toFixed(2), middle.milliseconds.toFixed(2), first.page.items.length]);
  }

  const store = databaseUrl ? 'PostgreSQL' : 'SQLite';
  printMachineInfo(`GET /v1/tokens service, ${formatNumber(tokenCount)} tokens, ${store}${options.index ? ', with (column, id) indexes' : ''}`);
  console.log(`fixture written in ${fillSeconds.toFixed(1)} s; median of ${runs} calls with limit ${limit}, ascending`);
  printTable(['sort', 'first page (ms)', 'middle page (ms)', 'rows'], rows);
  console.log(`1-minute load average during the runs: ${loadavg()[0].toFixed(1)}`);
} finally {
  await tessera.close();
  await removeDir(dataDir);
}
