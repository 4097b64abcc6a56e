// `tessera check` over a large store: wall time and peak memory of the real CLI process, on a
// SQLite data directory filled with issued tokens and secrets (half each by default).
//
//   node bench/check-scale.js [--tokens 50000] [--secrets 50000] [--runs 3] [--database-url postgres://127.0.0.1/...]
//
// The fixture is written straight into the database in batches, and filling it is not part of
// the measurement. Token rows get random hashes. Secret rows get values sealed by the product's
// own envelope encryption. Rows get owners, descriptions and expiries in a mix, so that the check
// has findings of several kinds to report.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distDir, formatNumber, importDist, makeTempDir, median, printMachineInfo, printTable, removeDir, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: {
    tokens: { type: 'string', default: '50000' },
    secrets: { type: 'string', default: '50000' },
    runs: { type: 'string', default: '3' },
    'database-url': { type: 'string' },
  },
});
const tokenCount = Number(options.tokens);
const secretCount = Number(options.secrets);
const runs = Number(options.runs);
const databaseUrl = options['database-url'];
if (databaseUrl && !/^postgres(ql)?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(databaseUrl)) {
  console.error('--database-url must point at PostgreSQL on loopback');
  process.exit(2);
}

requireBuild();
const { Tessera } = await importDist('services/tessera.js');
const { sealSecretValue } = await importDist('services/secret-values.js');
const { v7: uuidv7 } = await import('uuid');

const day = 86_400_000;
const dataDir = await makeTempDir('check');

async function fill() {
  const tessera = await Tessera.open({ dataDir, databaseUrl, create: true });
  const { db, keyRing } = tessera.context;
  const now = Date.now();
  const keyspaceId = uuidv7();
  await db
    .insertInto('keyspaces')
    .values({ id: keyspaceId, name: 'bench', prefix: 'bench', description: null, scopes: '[]', policy: '{}', created_at: now, created_by: null })
    .execute();

  const batchSize = 500;
  for (let start = 0; start < tokenCount; start += batchSize) {
    const rows = [];
    for (let index = start; index < Math.min(start + batchSize, tokenCount); index++) {
      const createdAt = now - (index % 200) * day;
      rows.push({
        id: uuidv7(),
        keyspace_id: keyspaceId,
        name: `token ${index}`,
        owner: index % 7 === 0 ? null : `team-${index % 40}`,
        description: index % 11 === 0 ? null : 'used by a service',
        scopes: '["invoices:read"]',
        hash: randomBytes(32).toString('base64url'),
        hash_key_version: 1,
        hint: `bench_…${String(index).padStart(4, '0').slice(-4)}`,
        state: 'active',
        created_at: createdAt,
        updated_at: createdAt,
        expires_at: index % 13 === 0 ? null : createdAt + ((index % 120) + 1) * day,
        last_used_at: index % 5 === 0 ? null : now - (index % 150) * day,
        last_used_ip: null,
        metadata: '{}',
        created_by: null,
        predecessor_id: null,
        successor_id: null,
        state_reason: null,
        state_changed_at: null,
        admin_keyspaces: null,
      });
    }
    await db.insertInto('tokens').values(rows).execute();
  }

  for (let start = 0; start < secretCount; start += batchSize) {
    const secrets = [];
    const versions = [];
    for (let index = start; index < Math.min(start + batchSize, secretCount); index++) {
      const id = uuidv7();
      const createdAt = now - (index % 200) * day;
      // Every 50th value repeats another, so duplicate detection has groups to find.
      const value = index % 50 === 0 ? `shared-${index % 1000}` : randomBytes(24).toString('base64url');
      secrets.push({
        id,
        name: `SECRET_${index}`,
        environment: `env-${index % 5}`,
        provider: null,
        owner: index % 9 === 0 ? null : `team-${index % 40}`,
        description: index % 10 === 0 ? null : 'payments',
        tags: '[]',
        expires_at: index % 3 === 0 ? null : createdAt + ((index % 400) + 1) * day,
        rotation_method: null,
        current_version: 1,
        created_at: createdAt,
        updated_at: createdAt,
        last_read_at: index % 4 === 0 ? null : now - (index % 120) * day,
        created_by: null,
      });
      versions.push({ secret_id: id, version: 1, ...sealSecretValue(keyRing, id, 1, value), created_at: createdAt, created_by: null });
    }
    await db.insertInto('secrets').values(secrets).execute();
    await db.insertInto('secret_versions').values(versions).execute();
  }
  await tessera.close();
}

/**
 * Runs the real CLI under /usr/bin/time and returns wall and CPU seconds, peak resident memory
 * (MiB), exit code and findings. CPU time moves less than wall time when other work shares the machine.
 */
function runCheck() {
  const args = ['-f', '%e %U %S %M', process.execPath, join(distDir, '..', 'bin', 'tessera.js'), '--data-dir', dataDir, '--json', 'check'];
  const env = { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\s*$/.exec(stderr);
      if (!match) return reject(new Error(`no timing from /usr/bin/time: ${stderr}`));
      const report = JSON.parse(stdout);
      resolve({
        seconds: Number(match[1]),
        cpuSeconds: Number(match[2]) + Number(match[3]),
        maxRssMiB: Number(match[4]) / 1024,
        code,
        findings: report.findings.length,
        summary: report.summary,
      });
    });
  });
}

try {
  const fillStarted = performance.now();
  await fill();
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  const results = [];
  for (let run = 0; run < runs; run++) results.push(await runCheck());

  printMachineInfo(`tessera check over ${formatNumber(tokenCount)} tokens and ${formatNumber(secretCount)} secrets (${databaseUrl ? 'PostgreSQL' : 'SQLite'})`);
  console.log(`fixture written in ${fillSeconds.toFixed(1)} s; ${runs} runs of \`tessera --json check\` under /usr/bin/time`);
  printTable(
    ['run', 'wall time (s)', 'CPU time (s)', 'peak RSS (MiB)', 'exit code', 'findings'],
    results.map((result, index) => [
      index + 1,
      result.seconds.toFixed(2),
      result.cpuSeconds.toFixed(2),
      formatNumber(result.maxRssMiB),
      result.code,
      formatNumber(result.findings),
    ]),
  );
  const medianOf = (key) => median(results.map((result) => result[key]));
  console.log(
    `median wall time ${medianOf('seconds').toFixed(2)} s, CPU time ${medianOf('cpuSeconds').toFixed(2)} s, peak RSS ${formatNumber(medianOf('maxRssMiB'))} MiB`,
  );
  console.log(`1-minute load average during the runs: ${loadavg()[0].toFixed(1)}`);
  console.log(
    `checked ${results[0].summary.tokens} tokens and ${results[0].summary.secrets} secrets; findings by rule ${JSON.stringify(results[0].summary.byRule)}`,
  );
} finally {
  await removeDir(dataDir);
}
