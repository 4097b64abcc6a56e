import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { TesseraError } from '../core/errors.js';
import { openDatabase } from '../store/database.js';
import type { ServiceContext } from './context.js';
import { checkKeyRing } from './key-check.js';
import { loadKeyRing } from './key-file.js';
import { createLogger } from './logger.js';
import { AnomalyMonitor } from './anomaly-monitor.js';
import { InProcessCounters, type LimitCounters } from './limit-counters.js';
import { createPrometheusMetrics, noMetrics } from './metrics.js';
import { registerStateGauges } from './state-gauges.js';
import { UsageRecorder, defaultUsageOptions, type UsageRecorderOptions } from './usage-recorder.js';
import { VerificationCache, defaultCacheOptions, type VerificationCacheOptions } from './verification-cache.js';

export const databaseFileName = 'tessera.db';

export interface OpenOptions {
  dataDir: string;
  /** PostgreSQL URL; without it the embedded SQLite file in the data directory is used. */
  databaseUrl?: string | undefined;
  masterKey?: string | undefined;
  /** Create the data directory, key file and database when missing. */
  create?: boolean | undefined;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  cache?: Partial<VerificationCacheOptions> | undefined;
  usage?: Partial<UsageRecorderOptions> | undefined;
  /** Redis URL for rate-limit and quota counters shared by every node; without it they are kept in process. */
  redisUrl?: string | undefined;
  /** Prefix of every Redis key, so installations can share one Redis; defaults to `tessera:`. */
  redisKeyPrefix?: string | undefined;
  /** Collect Prometheus metrics; the server does, CLI commands on the data directory do not. */
  collectMetrics?: boolean | undefined;
}

/** An open installation: its database, keys and caches, shared by the HTTP server and the CLI. */
export class Tessera {
  private constructor(
    readonly context: ServiceContext,
    readonly keyFileCreated: boolean,
  ) {}

  static async open(options: OpenOptions): Promise<Tessera> {
    const create = options.create ?? false;
    const logger = options.logger ?? createLogger({ level: 'silent' });
    if (options.redisUrl && !/^rediss?:\/\//.test(options.redisUrl)) {
      throw new TesseraError('CONFIGURATION_INVALID', 'REDIS_URL must start with redis:// or rediss://');
    }

    if (!options.databaseUrl) await prepareSqliteDirectory(options.dataDir, create);
    const { keyRing, created } = await loadKeyRing({ masterKey: options.masterKey, dataDir: options.dataDir, create });
    const { db, dialect } = await openDatabase({ databaseUrl: options.databaseUrl, sqlitePath: join(options.dataDir, databaseFileName), logger });
    const clock = options.clock ?? systemClock;
    try {
      await checkKeyRing(db, keyRing, clock.now());
    } catch (error) {
      await db.destroy();
      throw error;
    }

    const metrics = options.collectMetrics ? await createPrometheusMetrics() : noMetrics();
    const context: ServiceContext = {
      db,
      dialect,
      keyRing,
      clock,
      cache: new VerificationCache({ ...defaultCacheOptions, ...options.cache }),
      usage: new UsageRecorder(db, logger, clock, metrics, { ...defaultUsageOptions, ...options.usage }),
      limits: await openLimitCounters(options, logger),
      metrics,
      logger,
    };
    context.usage.setAnalyser(new AnomalyMonitor(context));
    registerStateGauges(context);
    return new Tessera(context, created);
  }

  /** Writes pending usage and closes the database; a clean stop loses nothing. */
  async close(): Promise<void> {
    await this.context.usage.close();
    await this.context.limits.close();
    await this.context.db.destroy();
  }
}

async function prepareSqliteDirectory(dataDir: string, create: boolean): Promise<void> {
  if (create) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    return;
  }
  try {
    await access(join(dataDir, databaseFileName));
  } catch {
    throw new TesseraError('NOT_INITIALISED', `no Tessera database in ${dataDir}; run \`tessera init --data-dir ${dataDir}\` first or set DATABASE_URL`);
  }
}

/** Opens the limit counters; the Redis client is loaded only when REDIS_URL is set, so commands without it start faster. */
async function openLimitCounters(options: OpenOptions, logger: Logger): Promise<LimitCounters> {
  if (!options.redisUrl) return new InProcessCounters();
  const { RedisCounters } = await import('./redis-counters.js');
  return new RedisCounters({ url: options.redisUrl, keyPrefix: options.redisKeyPrefix, logger });
}
