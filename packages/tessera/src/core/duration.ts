const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses "90d", "24h", "30m", "45s", "2w" or a bare number of seconds into seconds; null if invalid. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (secondsPerUnit[match[2] || 's'] ?? 1);
}

/** Formats seconds as the largest whole unit, e.g. 86400 → "1d", 5400 → "90m". */
export function formatDuration(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = secondsPerUnit[unit]!;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
