// HTTP POST /v1/verify against bare Fastify routes, all loaded by autocannon over loopback.
//
// Three servers run as child processes of this script, one at a time under load, while
// autocannon runs in this process:
//   tessera      startServer() from dist/http/start.js on a fresh SQLite data directory, with the
//                production logger (createLogger) at level "info": one JSON line per request,
//                written asynchronously to /dev/null. Every request authenticates the admin bearer
//                token, checks the tokens:verify scope, validates the body against its JSON schema
//                and verifies a cached token of keyspace `bench` with one required scope.
//   bare         a Fastify app with default options (no logger) and one POST /v1/verify route that
//                parses the same JSON body and returns a fixed object: the JSON Tessera returns,
//                so the response body has the same size.
//   bare-logged  the bare app plus a plain pino logger at "info" writing asynchronously to
//                /dev/null, with Fastify's two request lines replaced by one line per request
//                holding the fields Tessera logs (method, url, statusCode, ms, ip).
// All get the same request (Authorization header and JSON body) from 50 connections. After a
// warm-up, the servers take turns for several rounds of a fixed duration, in a rotating order;
// every response body is checked against the expected one. Aims: at least 0.7 of the bare route's
// requests per second, and a p99 latency within 1.5 times the bare route's. The ratios are
// reported against both bare variants.
//
// Usage: npm run build && node bench/verify-http.js [--rounds 3] [--seconds 10] [--warmup-seconds 3]
//        [--connections 50] [--cpu-prof-dir DIR]
//
// With --compare features or --compare nodes, two Tessera nodes run instead, on one installation:
// a SQLite data directory, or with --database-url a fresh PostgreSQL database created for the run
// (plus --redis-url for shared limit counters). Node A issues two tokens of keyspace `bench`:
// `plain`, without limits, and `limited`, with rate limits of 1,000,000,000 per second and per day
// (never reached, but counted on every call) and an allowlist holding 127.0.0.0/8 and
// 2001:db8::/32. Every request body carries `ip: 127.0.0.1`.
//   features  node A alone, taking turns: `limited` with usage recording on, against `plain` with
//             usage recording replaced by a no-op (the parent switches it between sides): the
//             cost of usage, limits and allowlist in one process. Aim: at least 0.8 of the plain
//             side's requests per second.
//   nodes     node A alone under --connections, against A and B together, each under half of
//             them, both verifying `limited`: the scaling ratio of two nodes.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cleanEnvironment,
  createBenchToken,
  formatNumber,
  importDist,
  makeTempDir,
  median,
  printMachineInfo,
  printTable,
  removeDir,
  requireBuild,
} from './support.js';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    // Writes V8 CPU profiles of both server children into this directory.
    'cpu-prof-dir': { type: 'string' },
    compare: { type: 'string', default: 'bare' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    serve: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

/**
 * Sends this process's CPU time on each 'cpu' message until the parent sends 'stop' or
 * disconnects, so a child never outlives the run. CPU time per request is steadier than
 * throughput on a shared machine.
 */
function serveUntilStopped() {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message === 'cpu') {
        process.send({ cpu: process.cpuUsage() });
        return;
      }
      if (message === 'stop') {
        process.off('message', onMessage);
        resolve();
      }
    };
    process.on('message', onMessage);
    process.once('disconnect', resolve);
  });
}

/** Child role: starts the Tessera server and reports its URL and tokens to the parent. */
async function serveTessera() {
  const [{ startServer }, { createLogger }, { localOperator }, { createKeyspace }, { issueToken }, pino] = await Promise.all([
    importDist('http/start.js'),
    importDist('services/logger.js'),
    importDist('services/actor.js'),
    importDist('services/keyspaces.js'),
    importDist('services/tokens.js'),
    import('pino'),
  ]);
  const dataDir = await makeTempDir('http');
  // The production logger at its default level; only the destination differs from `tessera serve`.
  const logger = createLogger({ level: 'info', destination: pino.default.destination({ dest: '/dev/null', sync: false }) });
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, logger });
  const { secret } = await createBenchToken(server.tessera.context, localOperator(), { createKeyspace, issueToken });

  process.send({ url: server.url, adminToken: server.initialAdminToken, token: secret });
  await serveUntilStopped();
  await server.close();
  await removeDir(dataDir);
  if (process.connected) process.disconnect();
}

/**
 * Child role: a minimal Fastify app whose one route returns the object the parent sends first.
 * With `logged`, it also writes one pino line per request, as Tessera does.
 */
async function serveBare(logged) {
  const [{ default: Fastify, LogController }, { default: pino }] = await Promise.all([import('fastify'), import('pino')]);
  const [{ response }] = await once(process, 'message');
  if (!logged) {
    const app = Fastify();
    return listenUntilStopped(app, response);
  }

  // One line after each response in place of Fastify's two, the same mechanism Tessera uses.
  class OneLinePerRequest extends LogController {
    incomingRequest() {}
    requestCompleted(error, request, reply) {
      reply.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime, ip: request.ip }, 'request');
    }
  }
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  return listenUntilStopped(Fastify({ loggerInstance: logger, logController: new OneLinePerRequest() }), response);
}

async function listenUntilStopped(app, response) {
  app.post('/v1/verify', async () => response);
  await app.listen({ host: '127.0.0.1', port: 0 });

  process.send({ url: `http://127.0.0.1:${app.server.address().port}` });
  await serveUntilStopped();
  await app.close();
  if (process.connected) process.disconnect();
}

/**
 * Child role for --compare features and nodes: serves the shared installation in --data-dir (and
 * --database-url). The first node issues the tokens. A message `{ usage: false }` replaces usage
 * recording by a no-op until `{ usage: true }` restores it.
 */
async function serveNode(role) {
  const [{ startServer }, { createLogger }, { localOperator }, { createKeyspace }, { issueToken }, pino] = await Promise.all([
    importDist('http/start.js'),
    importDist('services/logger.js'),
    importDist('services/actor.js'),
    importDist('services/keyspaces.js'),
    importDist('services/tokens.js'),
    import('pino'),
  ]);
  const logger = createLogger({ level: 'info', destination: pino.default.destination({ dest: '/dev/null', sync: false }) });
  const server = await startServer({
    dataDir: options['data-dir'],
    databaseUrl: options['database-url'],
    redisUrl: options['redis-url'],
    redisKeyPrefix: `tessera-bench-${process.ppid}:`,
    host: '127.0.0.1',
    port: 0,
    logger,
  });
  const usage = server.tessera.context.usage;
  const record = usage.record;
  process.on('message', (message) => {
    if (typeof message?.usage !== 'boolean') return;
    usage.record = message.usage ? record : () => {};
    process.send({ usage: message.usage });
  });

  let tokens = null;
  if (role === 'node-a') {
    const context = server.tessera.context;
    const operator = localOperator();
    const plain = await createBenchToken(context, operator, { createKeyspace, issueToken });
    const limited = await issueToken(context, operator, {
      keyspace: 'bench',
      name: 'limited benchmark token',
      scopes: ['invoices:read'],
      limits: {
        rateLimits: [
          { limit: 1_000_000_000, windowSeconds: 1 },
          { limit: 1_000_000_000, windowSeconds: 86400 },
        ],
        allowedNetworks: ['127.0.0.0/8', '2001:db8::/32'],
      },
    });
    tokens = { adminToken: server.initialAdminToken, plain: plain.secret, limited: limited.secret };
  }

  process.send({ url: server.url, ...tokens });
  await serveUntilStopped();
  await server.close();
  if (process.connected) process.disconnect();
}

function startChild(role, extraArgs = []) {
  const profileDir = options['cpu-prof-dir'];
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = fork(fileURLToPath(import.meta.url), ['--serve', role, ...extraArgs], {
    env: cleanEnvironment(),
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`${role} server exited with code ${code}`);
  });
  return child;
}

async function nextMessage(child) {
  // The exit listener is removed once the message arrives, so many calls do not pile listeners up.
  const exited = new AbortController();
  try {
    const [message] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit', { signal: exited.signal }).then(() => Promise.reject(new Error('server child exited early'))),
    ]);
    return message;
  } finally {
    exited.abort();
  }
}

/** CPU time (user + system, microseconds) the child has used so far. */
async function cpuTime(child) {
  child.send('cpu');
  const { cpu } = await nextMessage(child);
  return cpu.user + cpu.system;
}

/** Quantile `q` (0 to 1) of ascending `sorted`, by the nearest-rank method. */
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Runs autocannon against POST /v1/verify and fails when any response was not the expected 200
 * and body, so the numbers never count errors. Latencies come from autocannon's per-response
 * times in fractional milliseconds, because its own histogram keeps only whole milliseconds.
 */
async function load(name, url, request, seconds, connections) {
  const { default: autocannon } = await import('autocannon');
  const latencies = [];
  const instance = autocannon({
    url: `${url}/v1/verify`,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    expectBody: request.expectedBody,
    connections,
    duration: seconds,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.push(responseTime);
  });
  const result = await instance;

  const problems = [];
  if (result.errors > 0) problems.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} unexpected bodies`);
  if (problems.length > 0) throw new Error(`${name}: ${problems.join(', ')}`);

  latencies.sort((left, right) => left - right);
  return { requests: result.requests.total, rate: result.requests.total / result.duration, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Loads one server and returns its rate, latencies and CPU time per request. */
async function measureSide(name, child, url, request, seconds, connections) {
  const cpuBefore = await cpuTime(child);
  const result = await load(name, url, request, seconds, connections);
  const cpuAfter = await cpuTime(child);
  return { ...result, cpuPerRequest: (cpuAfter - cpuBefore) / result.requests };
}

async function runParent() {
  const rounds = Number(options.rounds);
  const seconds = Number(options.seconds);
  const warmupSeconds = Number(options['warmup-seconds']);
  const connections = Number(options.connections);
  if (![rounds, seconds, connections].every((value) => Number.isInteger(value) && value > 0) || !(warmupSeconds >= 0)) {
    console.error('--rounds, --seconds and --connections must be positive integers, --warmup-seconds a number >= 0');
    process.exit(2);
  }

  requireBuild();
  printMachineInfo('verify-http');

  const sideNames = ['tessera', 'bare', 'bare-logged'];
  // The run stops itself: past its planned length plus a minute, the children are killed.
  const plannedSeconds = sideNames.length * (warmupSeconds + rounds * seconds) + 60;
  const children = new Map(sideNames.map((name) => [name, startChild(name)]));
  const deadline = setTimeout(() => {
    console.error(`verify-http: still running after ${plannedSeconds} s; stopping`);
    for (const child of children.values()) child.kill();
    process.exit(2);
  }, plannedSeconds * 1000);
  deadline.unref();

  try {
    const { url: tesseraUrl, adminToken, token } = await nextMessage(children.get('tessera'));
    const urls = new Map([['tessera', tesseraUrl]]);
    const request = {
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token, scopes: ['invoices:read'] }),
    };

    const probe = await fetch(`${tesseraUrl}/v1/verify`, { method: 'POST', headers: request.headers, body: request.body });
    request.expectedBody = await probe.text();
    const expected = JSON.parse(request.expectedBody);
    if (probe.status !== 200 || expected.code !== 'VALID') throw new Error(`Tessera did not verify the token: ${probe.status} ${request.expectedBody}`);

    for (const name of ['bare', 'bare-logged']) {
      const child = children.get(name);
      child.send({ response: expected });
      const { url } = await nextMessage(child);
      const body = await (await fetch(`${url}/v1/verify`, { method: 'POST', headers: request.headers, body: request.body })).text();
      if (body !== request.expectedBody) throw new Error(`the ${name} route returns a different body than Tessera`);
      urls.set(name, url);
    }

    console.log(`response body ${Buffer.byteLength(request.expectedBody)} bytes on every side; request body ${Buffer.byteLength(request.body)} bytes`);
    console.log(`${connections} connections; warm-up ${warmupSeconds} s each; ${rounds} rounds of ${seconds} s per side, rotating order\n`);

    if (warmupSeconds > 0) {
      for (const name of sideNames) await load(`${name} warm-up`, urls.get(name), request, warmupSeconds, connections);
    }

    const roundResults = [];
    for (let round = 1; round <= rounds; round += 1) {
      // Rotate the order so that no side always runs right after the same other one.
      const order = sideNames.map((_, index) => sideNames[(index + round - 1) % sideNames.length]);
      const results = {};
      for (const name of order) {
        results[name] = await measureSide(`${name} round ${round}`, children.get(name), urls.get(name), request, seconds, connections);
      }
      roundResults.push(results);
    }
    printResults(sideNames, roundResults);
  } finally {
    for (const child of children.values()) {
      if (child.connected) child.send('stop');
    }
    await Promise.all([...children.values()].map((child) => (child.exitCode === null ? once(child, 'exit') : null)));
  }
}

function printResults(sideNames, rounds) {
  const measuredRows = [];
  for (const name of sideNames) {
    rounds.forEach((results, index) => {
      const side = results[name];
      measuredRows.push([
        name,
        String(index + 1),
        formatNumber(side.rate),
        formatNumber(side.p50, 2),
        formatNumber(side.p99, 2),
        formatNumber(side.cpuPerRequest, 1),
      ]);
    });
    const medianOf = (field) => median(rounds.map((results) => results[name][field]));
    measuredRows.push([
      `**${name}**`,
      '**median**',
      `**${formatNumber(medianOf('rate'))}**`,
      `**${formatNumber(medianOf('p50'), 2)}**`,
      `**${formatNumber(medianOf('p99'), 2)}**`,
      `**${formatNumber(medianOf('cpuPerRequest'), 1)}**`,
    ]);
  }
  printTable(['server', 'round', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/request'], measuredRows);

  console.log('');
  const ratioRows = [];
  const verdicts = [];
  for (const baseline of sideNames.slice(1)) {
    const throughputRatios = rounds.map((results) => results.tessera.rate / results[baseline].rate);
    const p99Ratios = rounds.map((results) => results.tessera.p99 / results[baseline].p99);
    rounds.forEach((_, index) => ratioRows.push([baseline, String(index + 1), formatNumber(throughputRatios[index], 2), formatNumber(p99Ratios[index], 2)]));
    const throughputRatio = median(throughputRatios);
    const p99Ratio = median(p99Ratios);
    ratioRows.push([`**${baseline}**`, '**median**', `**${formatNumber(throughputRatio, 2)}**`, `**${formatNumber(p99Ratio, 2)}**`]);
    verdicts.push(
      `against ${baseline}: throughput ratio >= 0.7 ${throughputRatio >= 0.7 ? 'met' : 'missed'} (${formatNumber(throughputRatio, 2)}), ` +
        `p99 ratio <= 1.5 ${p99Ratio <= 1.5 ? 'met' : 'missed'} (${formatNumber(p99Ratio, 2)})`,
    );
  }
  printTable(['baseline', 'round', 'Tessera / baseline req/s', 'Tessera / baseline p99'], ratioRows);
  console.log('');
  for (const verdict of verdicts) console.log(`aim ${verdict}`);
}

/** Creates the shared installation's PostgreSQL database, when --database-url is given, and returns its URL and a drop function. */
async function createBenchDatabase() {
  if (!options['database-url']) return { url: undefined, drop: async () => {} };
  const { default: pg } = await import('pg');
  const name = `tessera_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: options['database-url'] });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(options['database-url']);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: options['database-url'] });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Runs --compare features or nodes: two Tessera nodes on one installation, in rounds of rotating order. */
async function runNodes(mode) {
  const rounds = Number(options.rounds);
  const seconds = Number(options.seconds);
  const warmupSeconds = Number(options['warmup-seconds']);
  const connections = Number(options.connections);
  requireBuild();
  printMachineInfo(`verify-http --compare ${mode}`);
  const store = options['database-url'] ? 'PostgreSQL' : 'SQLite';
  console.log(`store ${store}; limit counters ${options['redis-url'] ? 'Redis' : 'in process'}`);

  const dataDir = await makeTempDir('nodes');
  const database = await createBenchDatabase();
  const nodeArgs = [
    '--data-dir',
    dataDir,
    ...(database.url ? ['--database-url', database.url] : []),
    ...(options['redis-url'] ? ['--redis-url', options['redis-url']] : []),
  ];
  const children = [];
  const deadline = setTimeout(
    () => {
      console.error('verify-http: still running past its planned length; stopping');
      for (const child of children) child.kill();
      process.exit(2);
    },
    (4 * (warmupSeconds + rounds * seconds) + 90) * 1000,
  );
  deadline.unref();

  try {
    const nodeA = startChild('node-a', nodeArgs);
    children.push(nodeA);
    const { url: urlA, adminToken, plain, limited } = await nextMessage(nodeA);
    let urlB = null;
    if (mode === 'nodes') {
      const nodeB = startChild('node-b', nodeArgs);
      children.push(nodeB);
      urlB = (await nextMessage(nodeB)).url;
    }
    const switchUsage = async (on) => {
      nodeA.send({ usage: on });
      await nextMessage(nodeA);
    };

    const requestFor = async (url, token) => {
      const request = {
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token, scopes: ['invoices:read'], ip: '127.0.0.1' }),
      };
      const probe = await fetch(`${url}/v1/verify`, { method: 'POST', headers: request.headers, body: request.body });
      request.expectedBody = await probe.text();
      if (JSON.parse(request.expectedBody).code !== 'VALID') throw new Error(`${url} did not verify the token: ${request.expectedBody}`);
      return request;
    };

    const sides =
      mode === 'features'
        ? {
            'usage+limits+allowlist': async (roundSeconds) => {
              await switchUsage(true);
              return measureSide('features', nodeA, urlA, await requestFor(urlA, limited), roundSeconds, connections);
            },
            plain: async (roundSeconds) => {
              await switchUsage(false);
              return measureSide('plain', nodeA, urlA, await requestFor(urlA, plain), roundSeconds, connections);
            },
          }
        : {
            'two nodes': async (roundSeconds) => {
              const half = Math.max(1, Math.floor(connections / 2));
              const [a, b] = await Promise.all([
                load('two nodes A', urlA, await requestFor(urlA, limited), roundSeconds, half),
                load('two nodes B', urlB, await requestFor(urlB, limited), roundSeconds, half),
              ]);
              // CPU time is measured per process, so it is not reported for two processes sharing one load.
              return { requests: a.requests + b.requests, rate: a.rate + b.rate, p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), cpuPerRequest: NaN };
            },
            'one node': async (roundSeconds) => measureSide('one node', nodeA, urlA, await requestFor(urlA, limited), roundSeconds, connections),
          };
    const names = Object.keys(sides);
    if (warmupSeconds > 0) for (const name of names) await sides[name](warmupSeconds);

    const results = [];
    for (let round = 1; round <= rounds; round += 1) {
      const order = names.map((_, index) => names[(index + round - 1) % names.length]);
      const result = {};
      for (const name of order) result[name] = await sides[name](seconds);
      results.push(result);
    }

    const rows = [];
    for (const name of names) {
      results.forEach((result, index) => {
        const side = result[name];
        rows.push([
          name,
          String(index + 1),
          formatNumber(side.rate),
          formatNumber(side.p50, 2),
          formatNumber(side.p99, 2),
          formatNumber(side.cpuPerRequest, 1),
        ]);
      });
      const cpu = median(results.map((result) => result[name].cpuPerRequest));
      rows.push([
        `**${name}**`,
        '**median**',
        `**${formatNumber(median(results.map((result) => result[name].rate)))}**`,
        '',
        '',
        `**${formatNumber(cpu, 1)}**`,
      ]);
    }
    printTable(['side', 'round', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/request'], rows);
    const ratios = results.map((result) => result[names[0]].rate / result[names[1]].rate);
    const ratio = median(ratios);
    console.log('');
    console.log(`${names[0]} / ${names[1]} req/s per round: ${ratios.map((value) => formatNumber(value, 2)).join(', ')}; median ${formatNumber(ratio, 2)}`);
    if (mode === 'features') {
      // CPU time per request moves less than throughput when other processes share the machine.
      const cpuRatios = results.map((result) => result[names[1]].cpuPerRequest / result[names[0]].cpuPerRequest);
      const cpuRatio = median(cpuRatios);
      console.log(
        `${names[1]} / ${names[0]} server CPU per request, per round: ${cpuRatios.map((value) => formatNumber(value, 2)).join(', ')}; median ${formatNumber(cpuRatio, 2)}`,
      );
      console.log(
        `aim >= 0.8: by throughput ${ratio >= 0.8 ? 'met' : 'missed'} (${formatNumber(ratio, 2)}), by CPU time ${cpuRatio >= 0.8 ? 'met' : 'missed'} (${formatNumber(cpuRatio, 2)})`,
      );
    } else {
      console.log(`scaling ratio of two nodes to one: ${formatNumber(ratio, 2)} (2.00 would be linear)`);
    }
  } finally {
    for (const child of children) if (child.connected) child.send('stop');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : null)));
    await database.drop();
    await removeDir(dataDir);
  }
}

if (options.serve === 'node-a' || options.serve === 'node-b') await serveNode(options.serve);
else if (options.compare === 'features' || options.compare === 'nodes') await runNodes(options.compare);
else if (options.serve === 'tessera') await serveTessera();
else if (options.serve === 'bare') await serveBare(false);
else if (options.serve === 'bare-logged') await serveBare(true);
else await runParent();
