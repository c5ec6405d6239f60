/**
 * Token bucket shared by every activity of a worker process: keeps this worker's Ops API request rate
 * under a cap (the task-queue-wide cap is Temporal's maxTaskQueueActivitiesPerSecond).
 */
export class RateLimiter {
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    // No burst by default: evenly spaced requests never exceed the cap in any one-second window.
    readonly burst: number = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0)) throw new Error(`rate limit must be a positive number, got ${perSecond}`);
    this.#tokens = this.burst;
    this.#last = now();
  }

  /** Resolves when a request may go; callers are served in arrival order. */
  acquire(): Promise<void> {
    const turn = this.#queue.then(() => this.#take());
    this.#queue = turn;
    return turn;
  }

  async #take(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000)),
      );
    }
  }
}
