/** Milliseconds since the epoch. Awaited once per request, so a clock may be backed by anything async. */
export interface Clock {
  now(): number | Promise<number>;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: lets tests drive async operations without sleeping. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 15, 10, 30, 0)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }

  set(ms: number | Date): void {
    this.current = typeof ms === 'number' ? ms : ms.getTime();
  }
}
