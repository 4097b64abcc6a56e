import type { UsageStep } from '../store/schema.js';

export const stepMilliseconds: Record<UsageStep, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Start of the UTC bucket of `step` that contains `time`. */
export function bucketStart(step: UsageStep, time: number): number {
  return time - (time % stepMilliseconds[step]);
}

/** How long usage is kept at each step before it is deleted, in days. */
export interface UsageRetention {
  minuteDays: number;
  hourDays: number;
  dayDays: number;
}

export const defaultRetention: UsageRetention = { minuteDays: 2, hourDays: 35, dayDays: 400 };

export const usageSteps: readonly UsageStep[] = ['minute', 'hour', 'day'];

/** How often recorded usage is written by default; a crash loses at most this much usage. */
export const defaultUsageFlushIntervalMilliseconds = 5_000;

/** Returns, per step, the bucket start before which rows are past retention at `now`. */
export function retentionCutoffs(retention: UsageRetention, now: number): Record<UsageStep, number> {
  const day = stepMilliseconds.day;
  return { minute: now - retention.minuteDays * day, hour: now - retention.hourDays * day, day: now - retention.dayDays * day };
}
