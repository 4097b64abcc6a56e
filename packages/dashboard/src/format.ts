const dayMs = 86_400_000;

/** Formats an ISO time as a short local date and time, or a dash for none. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Describes an expiry relative to `now` in whole days: "in 3 days", "within a day", "2 days ago", "never". */
export function describeExpiry(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const days = (Date.parse(iso) - now) / dayMs;
  if (days > 0 && days < 1) return 'within a day';
  if (days <= 0 && days > -1) return 'less than a day ago';

  const whole = Math.floor(Math.abs(days));
  const unit = whole === 1 ? 'day' : 'days';
  return days > 0 ? `in ${whole} ${unit}` : `${whole} ${unit} ago`;
}

const units: [number, string][] = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** Describes a duration in the largest whole unit: 86400 as "day", 7200 as "2 hours", 90 as "90 seconds". */
export function describeSeconds(seconds: number): string {
  const [size, unit] = units.find(([size]) => seconds % size === 0) ?? [1, 'second'];
  const count = seconds / size;
  return count === 1 ? unit : `${count} ${unit}s`;
}
