import { raiseAlertsFromEvents } from '../services/alerts.js';
import { resumeRotations } from '../services/secret-rotation.js';
import { rotateDueSecrets } from '../services/secret-rotation-schedule.js';
import { runLifecyclePass, schedulerActor } from '../services/token-lifecycle.js';
import { defaultDeliveryOptions, fanOutEvents, sendDueDeliveries, type DeliveryOptions } from '../services/webhook-dispatch.js';
import { defaultBusyShare } from './pacer.js';
import type { JobDefinition } from './scheduler.js';

export interface JobOptions {
  /** Cron pattern (seconds first) of the token checks: expiry warnings, expiry, staleness, rotation due, policy violations. */
  lifecyclePattern: string;
  /** Cron pattern of event dispatch: alerts, webhook fan-out, deliveries and their retries. */
  dispatchPattern: string;
  /** Cron pattern of secret rotation: resuming rotations a crash interrupted, then rotating secrets due by policy. */
  rotationPattern: string;
  delivery: DeliveryOptions;
  /**
   * Highest fraction of real time that the jobs' paged work may keep the event loop busy, greater
   * than 0 and at most 1. The jobs share the thread that verifies tokens, and 1 turns pacing off.
   */
  busyShare: number;
}

export const defaultJobOptions: JobOptions = {
  lifecyclePattern: '0 * * * * *',
  dispatchPattern: '*/2 * * * * *',
  rotationPattern: '*/5 * * * * *',
  delivery: defaultDeliveryOptions,
  busyShare: defaultBusyShare,
};

/**
 * Returns the jobs that `tessera serve` runs. The token pass, alerts and webhook fan-out page
 * through rows with `pace` between pages. Deliveries and secret rotations do not: they mostly wait
 * for receivers and rotator programs, and the pacer would count that wait as busy time.
 */
export function tesseraJobs(options: JobOptions = defaultJobOptions): JobDefinition[] {
  return [
    { name: 'token-lifecycle', pattern: options.lifecyclePattern, run: (context, pace) => runLifecyclePass(context, pace) },
    {
      name: 'secret-rotation',
      pattern: options.rotationPattern,
      run: async (context) => ({
        resumed: (await resumeRotations(context, schedulerActor)).length,
        rotated: (await rotateDueSecrets(context, schedulerActor)).length,
      }),
    },
    {
      name: 'event-dispatch',
      pattern: options.dispatchPattern,
      run: async (context, pace) => {
        const alerts = await raiseAlertsFromEvents(context, pace);
        const queued = await fanOutEvents(context, pace);
        // Charges the last page of the fan-out. The deliveries after it are not paced.
        await pace();
        return { alerts, queued, sent: await sendDueDeliveries(context, options.delivery) };
      },
    },
  ];
}
