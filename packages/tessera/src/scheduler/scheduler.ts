import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { ServiceContext } from '../services/context.js';
import { claimJobRun, ensureJob, findJob, finishJobRun } from '../store/scheduler-repository.js';
import { withJobLock } from './job-lock.js';
import { defaultBusyShare, Pacer, type Pace } from './pacer.js';

/** A periodic job: its name (the key of its stored state and lock), a cron pattern with seconds, and its work. */
export interface JobDefinition {
  name: string;
  /** Six-field cron pattern (seconds first), evaluated in UTC. */
  pattern: string;
  /** The job's work; paged work calls `pace` before each page, so the scheduler keeps to its share of the event loop. */
  run: (context: ServiceContext, pace: Pace) => Promise<unknown>;
}

export interface SchedulerOptions {
  /** Highest fraction of real time that the jobs' paged work may keep the event loop busy (see pacer.ts). */
  busyShare: number;
}

export type RunOutcome = 'ran' | 'not_due' | 'locked' | 'claimed_elsewhere' | 'failed';

/**
 * Runs jobs inside `tessera serve`. Croner only wakes the scheduler up. Whether a job is due comes
 * from its stored `next_due_at` and the service clock, so a run missed while no node was up is
 * caught up at the next start. Tests drive the jobs with a fake clock through `runDueJobs`.
 */
export class Scheduler {
  private readonly timers: Cron[] = [];
  private readonly running = new Map<string, Promise<RunOutcome>>();
  /** Names this node in the job table, for operators who watch several nodes. */
  readonly runnerId = `node-${randomUUID().slice(0, 8)}`;
  private stopped = false;
  /** Aborted by `stop`, which ends the pacer's pauses so that shutdown does not wait for them. */
  private readonly stopping = new AbortController();
  private readonly pacer: Pacer;

  constructor(
    private readonly context: ServiceContext,
    readonly jobs: readonly JobDefinition[],
    options: SchedulerOptions = { busyShare: defaultBusyShare },
  ) {
    this.pacer = new Pacer({ busyShare: options.busyShare, signal: this.stopping.signal });
  }

  /** Starts the timers and catches up every job that fell due while no node was running. */
  start(): void {
    for (const job of this.jobs) {
      this.timers.push(new Cron(job.pattern, { timezone: 'UTC', protect: true, unref: true }, () => void this.runIfDue(job)));
    }
    // Deferred to the next turn of the event loop, so that start-up finishes (and its log lines are written) first.
    setImmediate(() => void this.runDueJobs());
  }

  /** Runs every job that is due now, once; used at start-up for catch-up and by tests with a fake clock. */
  async runDueJobs(): Promise<Record<string, RunOutcome>> {
    const outcomes: Record<string, RunOutcome> = {};
    for (const job of this.jobs) outcomes[job.name] = await this.runIfDue(job);
    return outcomes;
  }

  /** Runs the job if it is due and no other node is running it; one run at a time on this node too. */
  runIfDue(job: JobDefinition): Promise<RunOutcome> {
    const inFlight = this.running.get(job.name);
    if (inFlight) return inFlight;
    const run = this.lockAndRun(job).finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
    return run;
  }

  private async lockAndRun(job: JobDefinition): Promise<RunOutcome> {
    if (this.stopped) return 'not_due';
    try {
      const outcome = await withJobLock(this.context, job.name, () => this.claimAndRun(job));
      return outcome ?? 'locked';
    } catch (error) {
      this.context.logger.error({ err: error, job: job.name }, 'scheduled job could not start');
      return 'failed';
    }
  }

  private async claimAndRun(job: JobDefinition): Promise<RunOutcome> {
    const now = this.context.clock.now();
    await ensureJob(this.context.db, job.name, now);
    const state = await findJob(this.context.db, job.name);
    if (!state || Number(state.next_due_at) > now) return 'not_due';

    const nextDueAt = new Cron(job.pattern, { timezone: 'UTC' }).nextRun(new Date(now))?.getTime() ?? now + 60_000;
    if (!(await claimJobRun(this.context.db, job.name, Number(state.next_due_at), nextDueAt, this.runnerId, now))) return 'claimed_elsewhere';

    let error: string | null = null;
    try {
      const result = await this.pacer.run((pace) => job.run(this.context, pace));
      this.context.logger.debug({ job: job.name, result }, 'scheduled job finished');
    } catch (caught) {
      error = caught instanceof Error ? caught.message.slice(0, 500) : String(caught);
      this.context.logger.error({ err: caught, job: job.name }, 'scheduled job failed; it runs again when next due');
    }
    await finishJobRun(this.context.db, job.name, { finishedAt: this.context.clock.now(), error });
    return error === null ? 'ran' : 'failed';
  }

  /** Stops the timers and waits for runs in progress, so shutdown never cuts a job's transaction. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const timer of this.timers) timer.stop();
    await Promise.allSettled([...this.running.values()]);
  }
}
