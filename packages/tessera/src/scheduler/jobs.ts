import { raiseAlertsFromEvents } from '../services/alerts.js';
import { resumeRotations } from '../services/secret-rotation.js';
import { rotateDueSecrets } from '../services/secret-rotation-schedule.js';
import { runLifecyclePass, schedulerActor } from '../services/token-lifecycle.js';
import { defaultDeliveryOptions, fanOutEvents, sendDueDeliveries, type DeliveryOptions } from '../services/webhook-dispatch.js';
import type { JobDefinition } from './scheduler.js';

export interface JobOptions {
  /** Cron pattern (seconds first) of the token checks: expiry warnings, expiry, staleness, rotation due, policy violations. */
  lifecyclePattern: string;
  /** Cron pattern of event dispatch: alerts, webhook fan-out, deliveries and their retries. */
  dispatchPattern: string;
  /** Cron pattern of secret rotation: resuming rotations a crash interrupted, then rotating secrets due by policy. */
  rotationPattern: string;
  delivery: DeliveryOptions;
}

export const defaultJobOptions: JobOptions = {
  lifecyclePattern: '0 * * * * *',
  dispatchPattern: '*/2 * * * * *',
  rotationPattern: '*/5 * * * * *',
  delivery: defaultDeliveryOptions,
};

/** Returns the jobs that `tessera serve` runs. */
export function tesseraJobs(options: JobOptions = defaultJobOptions): JobDefinition[] {
  return [
    { name: 'token-lifecycle', pattern: options.lifecyclePattern, run: (context) => runLifecyclePass(context) },
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
      run: async (context) => ({
        alerts: await raiseAlertsFromEvents(context),
        queued: await fanOutEvents(context),
        sent: await sendDueDeliveries(context, options.delivery),
      }),
    },
  ];
}
