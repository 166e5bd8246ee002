import type { Clock } from '../../plugin/ports/clock';

/** 2026-01-01T00:00:00Z, where a {@link ManualClock} starts unless told otherwise. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1);

/** The one clock of the tests: it stands still until the test moves it. */
export class ManualClock implements Clock {
  /** @param current - the time it shows, epoch ms */
  constructor(private current: number = MANUAL_CLOCK_START) {}

  /** @returns the time it was set to */
  now(): number {
    return this.current;
  }

  /** Moves the time on by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
}
