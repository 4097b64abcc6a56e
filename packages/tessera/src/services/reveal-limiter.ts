import { TesseraError } from '../core/errors.js';

export interface RevealLimit {
  /** Reveals a caller may make in one window. */
  maxReveals: number;
  windowMs: number;
}

export const defaultRevealLimit: RevealLimit = { maxReveals: 60, windowMs: 60_000 };

/**
 * A fixed-window counter per caller, held in this process only. Several server nodes each allow the
 * limit, and a restart resets it.
 */
export class RevealLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(private readonly limit: RevealLimit = defaultRevealLimit) {}

  /** Counts `reveals` for the caller, or throws RATE_LIMITED when they exceed the window's limit. */
  take(caller: string, now: number, reveals = 1): void {
    let window = this.windows.get(caller);
    if (!window || now - window.startedAt >= this.limit.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(caller, window);
      this.forgetExpired(now);
    }
    if (window.count + reveals > this.limit.maxReveals) {
      const retryAfterSeconds = Math.ceil((window.startedAt + this.limit.windowMs - now) / 1000);
      throw new TesseraError(
        'RATE_LIMITED',
        `too many secret reveals: at most ${this.limit.maxReveals} per ${this.limit.windowMs / 1000} s per caller; retry in ${retryAfterSeconds} s`,
      );
    }
    window.count += reveals;
  }

  private forgetExpired(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [caller, window] of this.windows) if (now - window.startedAt >= this.limit.windowMs) this.windows.delete(caller);
  }
}

// One limiter per open installation, kept beside its context rather than in it.
const limiters = new WeakMap<object, RevealLimiter>();

export function revealLimiterFor(context: object): RevealLimiter {
  let limiter = limiters.get(context);
  if (!limiter) {
    limiter = new RevealLimiter();
    limiters.set(context, limiter);
  }
  return limiter;
}

/** Replaces the limiter of an installation, for tests and for servers configured with another limit. */
export function setRevealLimit(context: object, limit: RevealLimit): void {
  limiters.set(context, new RevealLimiter(limit));
}
