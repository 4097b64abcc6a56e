import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { KeyRing } from '../core/key-ring.js';
import type { Dialect, Schema } from '../store/schema.js';
import type { VerificationCache } from './verification-cache.js';
import type { LimitCounters } from './limit-counters.js';
import type { Metrics } from './metrics.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Everything a use case needs, passed in so that tests can supply a fake clock and a real database. */
export interface ServiceContext {
  db: Kysely<Schema>;
  dialect: Dialect;
  keyRing: KeyRing;
  clock: Clock;
  cache: VerificationCache;
  usage: UsageRecorder;
  /** Rate-limit and quota counters: in process, or in Redis when REDIS_URL is set. */
  limits: LimitCounters;
  metrics: Metrics;
  logger: Logger;
}
