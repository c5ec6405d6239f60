export interface RateLimitConfig {
  requestsPerSecond: number;
  burst?: number;
}

/**
 * A token bucket over all API requests, refilled by the emulator's clock (not wall time) so tests
 * with a manual clock decide exactly when tokens come back.
 */
export class TokenBucket {
  private tokens: number;
  private readonly capacity: number;

  constructor(
    private readonly config: RateLimitConfig,
    private last: number,
  ) {
    if (!(config.requestsPerSecond > 0)) throw new Error('rateLimit.requestsPerSecond must be > 0');
    this.capacity = config.burst ?? Math.max(1, Math.ceil(config.requestsPerSecond));
    if (!(this.capacity >= 1)) throw new Error('rateLimit.burst must be >= 1');
    this.tokens = this.capacity;
  }

  /** Takes a token, or says how many whole seconds until one is available. */
  take(now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.config.requestsPerSecond);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    const wait = (1 - this.tokens) / this.config.requestsPerSecond;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }
}
