// A worker's share of the fleet's Ops API request rate (docs/worker.md, "Fleet-wide limits").
import type { Logger } from '../logger';
import { OpsApiError } from '../ops-api/errors';
import type { AnyOperationId } from '../ops-api/types';
import type { FleetCaps, SyncResult } from '../shared/fleet-limits';
import type { LimiterCoordinator } from './coordinator';

export interface RequestSlotsOptions {
  coordinator: LimiterCoordinator;
  holder: string;
  caps: FleetCaps;
  leaseMs: number;
  /** The longest a request may take (the client's timeout). */
  requestTimeoutMs: number;
  /** How long a request waits for a slot before it fails (retryably) as throttled. */
  acquireTimeoutMs: number;
  /** The rate's window plus a margin for clock-rate differences; default 1050 ms. */
  windowMs?: number;
  /** Slots unused this long, while nothing waits, go back to the fleet; default 5 s (shorter: more limiter updates). */
  idleMs?: number;
  /** While requests wait, at most one request for more slots per this; default 200 ms (up to 1 s when refused). */
  demandSyncMs?: number;
  logger?: Logger;
  now?: () => number;
}

interface Slot {
  /** Local ms until which the slot's last request may still fall inside a window. */
  busyUntil: number;
  inUse: boolean;
  /** Given back: used no more, reported once cooled down. */
  retiring: boolean;
  lastUsed: number;
}

const TICK_MS = 100;

export class RequestSlots {
  readonly #o: Required<Omit<RequestSlotsOptions, 'logger'>> & { logger: Logger | undefined };
  #slots: Slot[] = [];
  #target = 0;
  #leaseDeadline = -Infinity;
  readonly #waiters = new Set<() => void>();
  #syncing: Promise<void> | undefined;
  #nextDemandSyncAt = -Infinity;
  #refusals = 0;
  #reportDue = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #warnedCaps = false;
  #lastError = -Infinity;

  constructor(options: RequestSlotsOptions) {
    this.#o = {
      windowMs: 1_050,
      idleMs: 5_000,
      demandSyncMs: 200,
      now: () => performance.now(),
      logger: undefined,
      ...options,
    };
  }

  /** Slots this worker owns now (in use, cooling down or free). */
  get held(): number {
    return this.#slots.length;
  }

  /** Resolves with `done`, to call when the request's answer (or failure) is in. */
  async acquire(operationId: AnyOperationId): Promise<() => void> {
    if (this.#closed) throw this.#throttled(operationId, 'the worker is shutting down');
    this.#startTicking();
    const deadline = this.#o.now() + this.#o.acquireTimeoutMs;
    for (;;) {
      const slot = this.#usable();
      if (slot) {
        slot.inUse = true;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          slot.inUse = false;
          slot.busyUntil = this.#o.now() + this.#o.windowMs;
          slot.lastUsed = this.#o.now();
        };
      }
      const left = deadline - this.#o.now();
      if (left <= 0) {
        throw this.#throttled(
          operationId,
          `no request slot of the fleet's ${this.#o.caps.requestsPerSecond} per second came free within ${this.#o.acquireTimeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, TICK_MS));
        this.#waiters.add(wake);
        this.#maybeSync();
      });
    }
  }

  /**
   * Stops asking, and gives every slot back once its last request has cooled down. Best effort, for at most
   * `waitMs`: when this was the last worker, nobody runs the limiter to hear it, and the lease ends it anyway.
   */
  async close(waitMs = 3_000): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const s of this.#slots) s.retiring = true;
    if (this.#slots.length === 0) return;
    const giveBack = async () => {
      await this.#syncing;
      const coolest = Math.max(0, ...this.#slots.map((s) => s.busyUntil - this.#o.now()));
      await new Promise((r) => setTimeout(r, Math.min(coolest, this.#o.windowMs)).unref());
      this.#slots = this.#slots.filter((s) => s.inUse);
      await this.#sync();
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      giveBack().catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, waitMs))),
    ]).finally(() => clearTimeout(timer));
  }

  #throttled(operationId: AnyOperationId, why: string): OpsApiError {
    return new OpsApiError({
      operationId,
      kind: 'throttled',
      code: 'rate_limited',
      message: `${why}; try again shortly`,
      retryAfterMs: 1_000,
    });
  }

  #usable(): Slot | undefined {
    const now = this.#o.now();
    // The request and its window must end before the lease could end on the limiter's clock.
    if (now + this.#o.requestTimeoutMs + this.#o.windowMs > this.#leaseDeadline) return undefined;
    return this.#slots.find((s) => !s.inUse && !s.retiring && s.busyUntil <= now);
  }

  #startTicking(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.#o.now();
    // Above the fair share, or idle while nothing waits: give back (the least busy slots first).
    let excess = this.#slots.filter((s) => !s.retiring).length - this.#target;
    const candidates = this.#slots
      .filter((s) => !s.retiring && !s.inUse)
      .sort((a, b) => a.busyUntil - b.busyUntil);
    for (const s of candidates) {
      if (excess > 0) {
        s.retiring = true;
        excess--;
      } else if (this.#waiters.size === 0 && now - s.lastUsed >= this.#o.idleMs) {
        s.retiring = true;
      }
    }
    const before = this.#slots.length;
    this.#slots = this.#slots.filter((s) => !(s.retiring && !s.inUse && s.busyUntil <= now));
    if (this.#slots.length !== before) this.#reportDue = true;
    for (const wake of [...this.#waiters]) wake();
    this.#maybeSync();
  }

  #maybeSync(): void {
    if (this.#syncing || this.#closed) return;
    const now = this.#o.now();
    const renewDue = this.#slots.length > 0 && this.#leaseDeadline - now < this.#o.leaseMs / 2;
    const demandDue = this.#waiters.size > 0 && now >= this.#nextDemandSyncAt && !this.#usable();
    if (!renewDue && !demandDue && !this.#reportDue) return;
    this.#syncing = this.#sync().finally(() => (this.#syncing = undefined));
  }

  async #sync(): Promise<void> {
    const sentAt = this.#o.now();
    const sent = this.#slots.length;
    this.#reportDue = false;
    let answer: { accepted: boolean; result: SyncResult };
    try {
      answer = await this.#o.coordinator.sync({
        holder: this.#o.holder,
        slots: sent,
        wanted: this.#waiters.size,
        leaseMs: this.#o.leaseMs,
        caps: this.#o.caps,
      });
    } catch (err) {
      this.#reportDue = true;
      this.#nextDemandSyncAt = sentAt + 1_000;
      // Closing: the give-back is best effort, and its call may still be in flight when the connection closes.
      if (this.#closed) {
        this.#o.logger?.debug(
          { err },
          'fleet limiter not told: the worker stopped (its lease ends the slots)',
        );
        return;
      }
      if (sentAt - this.#lastError > 30_000) {
        this.#lastError = sentAt;
        this.#o.logger?.warn(
          { err },
          'fleet limiter unreachable: requests wait (their slots need its lease)',
        );
      }
      return;
    }
    const { accepted, result } = answer;
    if (accepted) this.#leaseDeadline = sentAt + this.#o.leaseMs;
    if (result.slots > sent) {
      for (let i = sent; i < result.slots; i++)
        this.#slots.push({ busyUntil: 0, inUse: false, retiring: false, lastUsed: this.#o.now() });
    } else if (result.slots < sent) {
      // The limiter no longer counts them (our lease ran out): use no more than it grants.
      let drop = this.#slots.length - result.slots;
      this.#slots = this.#slots.filter((s) => (drop > 0 && !s.inUse ? (drop--, false) : true));
      for (const s of this.#slots) if (drop-- > 0) s.retiring = true;
    }
    this.#target = result.target;
    this.#refusals = accepted ? 0 : this.#refusals + 1;
    this.#nextDemandSyncAt = sentAt + Math.min(1_000, this.#o.demandSyncMs * 2 ** this.#refusals);
    if (!this.#warnedCaps && result.caps.requestsPerSecond !== this.#o.caps.requestsPerSecond) {
      this.#warnedCaps = true;
      this.#o.logger?.warn(
        { fleet: result.caps.requestsPerSecond, ours: this.#o.caps.requestsPerSecond },
        'the fleet runs with another Ops API request rate than this worker is configured with: the lowest applies',
      );
    }
    for (const wake of [...this.#waiters]) wake();
  }
}
