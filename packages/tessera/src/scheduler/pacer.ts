import { TesseraError } from '../core/errors.js';

/**
 * Waits before the next page of a job's work. Scheduled jobs run on the thread that verifies
 * tokens, and with SQLite every query runs on it too, so paged work calls this between pages.
 */
export type Pace = () => Promise<void>;

/** Default busy share: scheduled jobs keep the event loop busy for at most 5% of real time. */
export const defaultBusyShare = 0.05;

/** Lets queued callbacks (such as requests) run before the next page, without any further wait. */
export const yieldToEventLoop: Pace = () => new Promise((resolve) => setImmediate(resolve));

/** Shortest pause worth a timer, in milliseconds; a shorter one is carried over to the next page. */
const minimumPauseMs = 1;

/** Checks whether `value` is a valid busy share: a number greater than 0 and at most 1. */
export function isBusyShare(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= 1;
}

/** Returns `value` when it is a valid busy share, else raises an error that names `field`. */
export function validBusyShare(value: unknown, field: string): number {
  if (isBusyShare(value)) return value;
  const received = typeof value === 'string' ? `'${value}'` : String(value);
  throw new TesseraError(
    'CONFIGURATION_INVALID',
    `${field} must be a number greater than 0 and at most 1, e.g. 0.05 to keep scheduled jobs to 5% of the event loop; got ${received}`,
    { field },
  );
}

/**
 * Returns the pause in milliseconds after `busyMs` of work, so that the work takes at most
 * `busyShare` of the time: busy / (busy + pause) = busyShare.
 */
export function pauseAfter(busyMs: number, busyShare: number): number {
  return (Math.max(0, busyMs) * (1 - busyShare)) / busyShare;
}

export interface PacerOptions {
  /** Highest fraction of real time that the paced work may keep the event loop busy, greater than 0 and at most 1. */
  busyShare: number;
  /** Once aborted (the scheduler stops), pauses end at once and the work runs unpaced, as it did before pacing. */
  signal?: AbortSignal | undefined;
  /** Monotonic milliseconds; `performance.now` unless a test injects a fake. It is never the business clock, which tests fake. */
  now?: (() => number) | undefined;
  /** Waits `ms` milliseconds or until `signal` aborts; a real timer unless a test injects a fake. */
  sleep?: ((ms: number, signal: AbortSignal | undefined) => Promise<void>) | undefined;
}

function sleepWithTimer(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Keeps the scheduler's paged work to a share of the event loop. Each job run goes through `run`,
 * which hands the work a `Pace` to call before each page. It measures the real time since the run
 * last resumed, which is an upper bound of the run's own work. With PostgreSQL it also includes the
 * waits for the database and whatever else ran meanwhile, so the pauses there are longer than
 * needed. The pause earned by that time is added to one deadline shared by every run, so runs of
 * several jobs at once stay within the share together, not each on its own.
 */
export class Pacer {
  readonly busyShare: number;
  private readonly signal: AbortSignal | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Earliest time, on `now`'s scale, at which paced work may go on. */
  private resumeAt = Number.NEGATIVE_INFINITY;

  constructor(options: PacerOptions) {
    this.busyShare = validBusyShare(options.busyShare, 'busyShare');
    this.signal = options.signal;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? sleepWithTimer;
  }

  /**
   * Runs one job run, which counts as busy from now on, and hands it the function to call before
   * each page. Only `pace` charges time, so work that mostly waits for other processes (webhook
   * receivers, rotator programs) is not paced as long as it runs after the last call. Paged work
   * calls `pace` once more after its last page, or that page's time goes uncharged.
   */
  run<T>(work: (pace: Pace) => Promise<T>): Promise<T> {
    let resumedAt = this.now();
    return work(async () => {
      this.charge(resumedAt);
      await this.waitForTurn();
      resumedAt = this.now();
    });
  }

  /** Moves the shared deadline by the pause that the work since `resumedAt` earned. */
  // TODO: with PostgreSQL, requests that run while a page waits for a query are charged to the
  // page. With verification running beside it, the benchmark's pass with 1,000 warnings due took
  // 142 to 256 s instead of 9 to 22 s. Charging only the job's own time needs timing per query.
  private charge(resumedAt: number): void {
    const now = this.now();
    this.resumeAt = Math.max(this.resumeAt, now) + pauseAfter(now - resumedAt, this.busyShare);
  }

  /**
   * Sleeps until the shared deadline, which other runs may move while this one sleeps. A rest
   * shorter than `minimumPauseMs` stays on the deadline for the next page, and the run only yields.
   */
  private async waitForTurn(): Promise<void> {
    let slept = false;
    for (let rest = this.resumeAt - this.now(); rest >= minimumPauseMs && !this.signal?.aborted; rest = this.resumeAt - this.now()) {
      await this.sleep(rest, this.signal);
      slept = true;
    }
    if (!slept) await yieldToEventLoop();
  }
}
