import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { defaultRetention, defaultUsageFlushIntervalMilliseconds, retentionCutoffs, stepMilliseconds, type UsageRetention } from '../core/usage-buckets.js';
import { recordLastUse } from '../store/token-repository.js';
import { addUsageCounts, deleteUsageBefore } from '../store/usage-repository.js';
import type { Schema, UsageStep } from '../store/schema.js';
import type { Metrics } from './metrics.js';
import { toCountRows, UsageBuffer, type UsageBatch, type VerificationUse } from './usage-buffer.js';

export interface UsageRecorderOptions {
  flushIntervalMilliseconds: number;
  /** Buffer entries (token-minutes plus address-minutes) that start a flush early. */
  maxPending: number;
  retention: UsageRetention;
}

export const defaultUsageOptions: UsageRecorderOptions = {
  flushIntervalMilliseconds: defaultUsageFlushIntervalMilliseconds,
  maxPending: 50_000,
  retention: defaultRetention,
};

/** Work that follows each written batch, off the hot path: anomaly detection. */
export interface UsageAnalyser {
  /** Runs before the batch is written, to read what the store knew before it. */
  prepare(batch: UsageBatch): Promise<void>;
  analyse(batch: UsageBatch): Promise<void>;
}

/**
 * Collects verification usage off the hot path and writes it in batches, so verification never
 * waits on a database write. Each batch is one transaction, so a crash loses at most the usage
 * recorded since the last flush (every 5 seconds by default, earlier when `maxPending` entries
 * wait) and never leaves a partial batch. While a flush is running, the buffer may grow to twice
 * `maxPending`; past that, new uses are dropped and counted in `droppedUses`, so memory stays bounded.
 */
export class UsageRecorder {
  private buffer = new UsageBuffer();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastPruneAt = 0;
  private analyser: UsageAnalyser | null = null;
  droppedUses = 0;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly options: UsageRecorderOptions = defaultUsageOptions,
  ) {}

  /** Attaches the analysis that runs after each flush. */
  setAnalyser(analyser: UsageAnalyser): void {
    this.analyser = analyser;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMilliseconds);
    this.timer.unref();
  }

  record(use: VerificationUse): void {
    if (this.buffer.size >= this.options.maxPending * 2) {
      this.droppedUses += 1;
      this.metrics.countDroppedUse();
      return;
    }
    this.buffer.add(use);
    if (this.buffer.size >= this.options.maxPending) void this.flush();
  }

  /** Records the scope a request of an admin token needed, so that `tessera check` finds the scope used. */
  recordScope(tokenId: string, at: number, scope: string): void {
    if (this.buffer.size >= this.options.maxPending * 2) return;
    this.buffer.addScope(tokenId, at, scope);
  }

  get queueDepth(): number {
    return this.buffer.size;
  }

  /** Writes what is pending; concurrent callers share one write. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.size === 0) return;

    const batch = this.buffer.take();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(batch: UsageBatch): Promise<void> {
    const stopTimer = this.metrics.startFlushTimer();
    try {
      await this.analyser?.prepare(batch);
      await this.db.transaction().execute(async (transaction) => {
        await addUsageCounts(transaction, toCountRows(batch.buckets));
        await recordLastUse(transaction, batch.lastUses);
      });
    } catch (error) {
      // Kept for the next flush, unless the buffer is already at its bound.
      const retried = this.buffer.size < this.options.maxPending;
      if (retried) this.buffer.restore(batch);
      this.logger.error(
        { err: error, buckets: batch.buckets.length, retried },
        retried ? 'failed to write usage; retrying at the next flush' : 'failed to write usage; it is dropped',
      );
      return;
    } finally {
      stopTimer();
    }

    try {
      await this.analyser?.analyse(batch);
    } catch (error) {
      this.logger.error({ err: error }, 'anomaly detection failed for a usage batch');
    }
    await this.pruneIfDue();
  }

  /** Deletes counters past retention, at most once an hour. */
  private async pruneIfDue(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPruneAt < stepMilliseconds.hour) return;
    this.lastPruneAt = now;
    try {
      const cutoffs = retentionCutoffs(this.options.retention, now);
      for (const step of Object.keys(cutoffs) as UsageStep[]) {
        const deleted = await deleteUsageBefore(this.db, step, cutoffs[step]);
        if (deleted > 0) this.logger.info({ step, deleted }, 'deleted usage past retention');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'failed to delete usage past retention; retrying in an hour');
    }
  }

  /** Stops the timer and writes everything pending; called on shutdown so a clean stop loses nothing. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }
}
