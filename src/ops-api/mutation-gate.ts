/** One mutation's slot, taken before the request is sent. */
export interface MutationSlot {
  /** The request started (or may have started) `asyncOperationId`: the slot now belongs to that operation. */
  hold(asyncOperationId: string): void;
  /** The request started nothing: the slot is free again. */
  release(): void;
}

/** Asks the API about these operations; a finished one is reported to the gate through `finished`. */
export type OperationProbe = (asyncOperationIds: string[]) => Promise<void>;

/** What the client asks before each mutation: this process's gate, or the fleet's in front of it. */
export interface MutationLimiter {
  readonly limit: number;
  /** Why a mutation was held back, for its (retryable) error. */
  readonly fullMessage?: string;
  /**
   * A slot for one mutation, or undefined after `timeoutMs` without one. `asyncOperationId` is the operation's
   * id when the client chose it before sending. When every slot is taken, the gate may `probe` the operations
   * holding them whose waits it cannot see (they may run on another worker, or a dead one).
   */
  take(
    timeoutMs: number,
    asyncOperationId?: string,
    probe?: OperationProbe,
  ): Promise<MutationSlot | undefined>;
  /** A poll saw the operation finish. */
  finished(asyncOperationId: string): void;
}

/**
 * Caps the async operations this process has in flight (the real API allows at most 10 concurrent async
 * mutations per account). A mutation takes a slot before it is sent; once it has started an operation
 * the slot stays with that operation until a poll in this process sees it finish. The slot comes back
 * at once when the mutation fails without starting anything, and after `holdLimitMs` at the latest (the
 * wait may run on another worker, which this process never hears about).
 */
export class MutationGate implements MutationLimiter {
  readonly #held = new Map<string, number>(); // operation id → when its slot was taken
  #reserved = 0; // slots taken by requests still on the wire
  #waiters: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly holdLimitMs: number = 15 * 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(Number.isInteger(limit) && limit > 0))
      throw new Error(`mutation limit must be a positive integer, got ${limit}`);
  }

  /** The operations holding a slot, oldest first. */
  held(): string[] {
    this.#expire();
    return [...this.#held.keys()];
  }

  /** Operations (and requests) holding a slot now. */
  get inFlight(): number {
    this.#expire();
    return this.#held.size + this.#reserved;
  }

  /** Resolves with true once a slot is taken, or false after `timeoutMs` without one. */
  async acquire(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.inFlight >= this.limit) {
      const left = deadline - this.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1_000)); // wake to expire stale holds too
        this.#waiters.push(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    this.#reserved++;
    return true;
  }

  async take(
    timeoutMs: number,
    _asyncOperationId?: string,
    probe?: OperationProbe,
  ): Promise<MutationSlot | undefined> {
    // Their waits may run on another worker, whose polls this process never sees.
    if (probe && this.inFlight >= this.limit) await probe(this.held()).catch(() => undefined);
    if (!(await this.acquire(timeoutMs))) return undefined;
    return { hold: (id) => this.hold(id), release: () => this.release() };
  }

  /** The request started (or may have started) `asyncOperationId`: its slot now belongs to that operation. */
  hold(asyncOperationId: string): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
    if (this.#held.has(asyncOperationId))
      this.#wake(); // a repeat of an operation already counted
    else this.#held.set(asyncOperationId, this.now());
  }

  /** The request started nothing: its slot is free again. */
  release(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
    this.#wake();
  }

  /** A poll saw the operation finish. */
  finished(asyncOperationId: string): void {
    if (this.#held.delete(asyncOperationId)) this.#wake();
  }

  #expire(): void {
    const cutoff = this.now() - this.holdLimitMs;
    for (const [id, since] of this.#held) if (since <= cutoff) this.#held.delete(id);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
