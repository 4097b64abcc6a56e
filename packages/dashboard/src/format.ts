const dayMs = 86_400_000;

/** Formats an ISO time as a short local date and time, or a dash for none. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Describes an expiry relative to `now`: "in 3 days", "2 days ago", "never". */
export function describeExpiry(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const days = Math.round((Date.parse(iso) - now) / dayMs);
  if (days === 0) return Date.parse(iso) > now ? 'within a day' : 'today';
  return days > 0 ? `in ${days} day${days === 1 ? '' : 's'}` : `${-days} day${days === -1 ? '' : 's'} ago`;
}
