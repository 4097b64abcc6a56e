import type { Clock } from '../../src/core/clock.js';

/** A clock that moves only when a test advances it, for expiry, grace periods and anything else time-based. */
export class FakeClock implements Clock {
  constructor(private current = Date.parse('2026-01-15T12:00:00Z')) {}

  now(): number {
    return this.current;
  }

  advance(milliseconds: number): void {
    this.current += milliseconds;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}
