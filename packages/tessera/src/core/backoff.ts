/** Retry schedule of webhook deliveries. */
export interface BackoffOptions {
  baseSeconds: number;
  maxSeconds: number;
  maxAttempts: number;
}

/** About 8.5 hours from the first attempt to the last (an estimate: jitter shortens it). */
export const defaultBackoff: BackoffOptions = { baseSeconds: 5, maxSeconds: 3600, maxAttempts: 12 };

/**
 * Returns the delay in seconds before the next attempt after `attempts` failed ones: exponential,
 * capped, with "equal jitter" (half fixed, half random) so that receivers coming back up are not hit
 * by every sender at once. `random` is a number in [0, 1), passed in so that tests can fix it.
 */
export function retryDelaySeconds(attempts: number, options: BackoffOptions, random: number): number {
  const exponential = Math.min(options.maxSeconds, options.baseSeconds * 2 ** Math.max(0, attempts - 1));
  return exponential / 2 + (exponential / 2) * random;
}
