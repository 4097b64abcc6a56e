import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import { recordLastUse, type LastUse } from '../store/token-repository.js';
import type { Schema } from '../store/schema.js';

export interface UsageRecorderOptions {
  flushIntervalMilliseconds: number;
  /** Tokens held between flushes; past this a flush starts early, so memory stays bounded. */
  maxPending: number;
}

export const defaultUsageOptions: UsageRecorderOptions = { flushIntervalMilliseconds: 5_000, maxPending: 10_000 };

/**
 * Collects last-use times off the hot path and writes them in batches, so verification never
 * waits on a database write. A crash loses the times recorded since the last flush, which runs
 * every 5 seconds by default and early when `maxPending` tokens are waiting.
 */
export class UsageRecorder {
  private pending = new Map<string, LastUse>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly logger: Logger,
    private readonly options: UsageRecorderOptions = defaultUsageOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMilliseconds);
    this.timer.unref();
  }

  record(tokenId: string, usedAt: number, ip: string | null): void {
    this.pending.set(tokenId, { tokenId, usedAt, ip });
    if (this.pending.size >= this.options.maxPending) void this.flush();
  }

  get queueDepth(): number {
    return this.pending.size;
  }

  /** Writes what is pending; concurrent callers share one write. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return;

    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.db
      .transaction()
      .execute((transaction) => recordLastUse(transaction, batch))
      .catch((error: unknown) => {
        this.logger.error({ err: error, tokens: batch.length }, 'failed to write last-used times; they are dropped');
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  /** Stops the timer and writes everything pending; called on shutdown so a clean stop loses nothing. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }
}
